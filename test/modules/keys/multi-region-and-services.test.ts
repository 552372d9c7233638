/**
 * Multi-Region primary keys with replicas, and key policy statements for AWS services acting on the
 * account's behalf: what CustomerKey synthesizes, what it refuses (exact lines, all at once), and what
 * the synthesized policies allow, evaluated by @cloud-copilot/iam-simulate.
 */
import { Testing } from "cdktf";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { CustomerKey, type CustomerKeyProps } from "../../../modules/keys/customer-key";
import { ImportedKey } from "../../../modules/keys/imported-key";
import { buildKeyPolicy, type KeyServiceAccess } from "../../../modules/keys/key-policy";
import type { IKeyStore } from "../../../modules/keystores/key-store";
import { ADMINISTRATOR_ACCESS, decide, type PolicyDocument } from "../../helpers/policy-eval";
import { propsErrorLines, type StackJson } from "../../helpers/synth";

const ACCOUNT = "111111111111";
const OTHER = "999999999999";
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/KeyAdmins`;
const USER = `arn:aws:iam::${ACCOUNT}:role/AppWriters`;
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/mrk-1234abcd12ab34cd56ef1234567890ab`;
const minimal: CustomerKeyProps = { alias: "alias/t/app", administrators: [ADMIN], users: [USER] };
const cloudHsmStore: IKeyStore = { kind: "cloudhsm", keyStoreId: "cks-1234567890", readyWhen: [] };
const TRAIL = `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/audit`;
const LOG_GROUP = `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/app/audit`;
const ALARMS = `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:t-kms-*`;
const RULE = `arn:aws:events:eu-west-1:${ACCOUNT}:rule/key-events`;

const testStack = () =>
  new EnvironmentStack(Testing.app(), "test", {
    name: "t",
    account: ACCOUNT,
    region: "eu-west-1",
    tags: { Team: "keys" },
  });
const synth = (props: Partial<CustomerKeyProps>): StackJson => {
  const stack = testStack();
  new CustomerKey(stack, "appData", { ...minimal, ...props });
  return JSON.parse(Testing.synth(stack)) as StackJson;
};
const refusal = (props: Partial<CustomerKeyProps>): readonly string[] =>
  propsErrorLines(() => new CustomerKey(testStack(), "appData", { ...minimal, ...props }));
const one = (json: StackJson, type: string) => Object.values(json.resource?.[type] ?? {})[0] as Record<string, unknown>;

describe("multi-Region keys", () => {
  test("a primary key with a replica per Region, each through its own provider, with its policy, window and aliases", () => {
    const json = synth({
      multiRegion: true,
      replicaRegions: ["eu-central-1", "us-east-1"],
      aliases: ["alias/t/more"],
      deletionWindowDays: 14,
    });
    expect(one(json, "aws_kms_key").multi_region).toBe(true);
    const providers = (json.provider as { aws: Record<string, unknown>[] }).aws;
    expect(providers).toEqual([
      expect.objectContaining({ region: "eu-west-1", allowed_account_ids: [ACCOUNT] }),
      {
        alias: "eu-central-1",
        region: "eu-central-1",
        allowed_account_ids: [ACCOUNT],
        default_tags: [{ tags: { Team: "keys", Stack: "test" } }],
      },
      {
        alias: "us-east-1",
        region: "us-east-1",
        allowed_account_ids: [ACCOUNT],
        default_tags: [{ tags: { Team: "keys", Stack: "test" } }],
      },
    ]);
    expect(providers[0].alias).toBeUndefined();
    const replicas = Object.values(json.resource?.aws_kms_replica_key ?? {}) as Record<string, unknown>[];
    expect(
      replicas.map((r) => [r.provider, r.deletion_window_in_days, r.enabled, r.bypass_policy_lockout_safety_check]),
    ).toEqual([
      ["aws.eu-central-1", 14, true, false],
      ["aws.us-east-1", 14, true, false],
    ]);
    for (const r of replicas) {
      expect(r.primary_key_arn).toBe("${aws_kms_key.appData_key_18A68D91.arn}");
      expect(r.lifecycle).toEqual({ prevent_destroy: true });
      // The same policy as the primary's, built for the replica's Region (no service here: identical), but
      // for kms:ReplicateKey, which only the primary's administrators need.
      expect(r.policy).toBe((one(json, "aws_kms_key").policy as string).replace('"kms:ReplicateKey",', ""));
      const admins = (JSON.parse(r.policy as string) as { Statement: { Sid: string; Action: string[] }[] }).Statement;
      expect(admins.find((st) => st.Sid === "KeyAdministration")?.Action).not.toContain("kms:ReplicateKey");
    }
    const aliases = Object.values(json.resource?.aws_kms_alias ?? {}) as Record<string, unknown>[];
    expect(aliases.map((a) => [a.name, a.provider ?? "default"]).sort()).toEqual([
      ["alias/t/app", "aws.eu-central-1"],
      ["alias/t/app", "aws.us-east-1"],
      ["alias/t/app", "default"],
      ["alias/t/more", "aws.eu-central-1"],
      ["alias/t/more", "aws.us-east-1"],
      ["alias/t/more", "default"],
    ]);
  });

  test("two keys replicated to one Region share that Region's provider", () => {
    const stack = testStack();
    new CustomerKey(stack, "a", { ...minimal, multiRegion: true, replicaRegions: ["eu-central-1"] });
    new CustomerKey(stack, "b", {
      ...minimal,
      alias: "alias/t/b",
      multiRegion: true,
      replicaRegions: ["eu-central-1"],
    });
    const json = JSON.parse(Testing.synth(stack)) as StackJson;
    expect((json.provider as { aws: unknown[] }).aws).toHaveLength(2);
    expect(Object.keys(json.resource?.aws_kms_replica_key ?? {})).toHaveLength(2);
  });

  test("a single-Region key stays exactly as before: multi_region false, no replica, one provider", () => {
    const json = synth({});
    expect(one(json, "aws_kms_key").multi_region).toBe(false);
    expect(json.resource?.aws_kms_replica_key).toBeUndefined();
    expect((json.provider as { aws: unknown[] }).aws).toHaveLength(1);
  });

  test("every multi-Region problem at once, one exact line each", () => {
    expect(
      refusal({
        multiRegion: true,
        replicaRegions: ["eu-west-1", "eu-central-1", "eu-central-1", "cn-north-1", "Europe", "us-gov-west-1"],
      }),
    ).toEqual([
      'test/appData.replicaRegions.0: "eu-west-1" is not allowed (the primary key\'s own Region: a replica is in another Region, KMS ReplicateKey ReplicaRegion)',
      'test/appData.replicaRegions.2: "eu-central-1" is not allowed (already replicaRegions.1: at most 1 replica per Region, KMS ReplicateKey)',
      'test/appData.replicaRegions.3: "cn-north-1" is not allowed (a Region of the primary key\'s partition aws, KMS ReplicateKey ReplicaRegion)',
      'test/appData.replicaRegions.4: "Europe" is not allowed (an AWS Region code such as eu-west-1, KMS ReplicateKey ReplicaRegion)',
      'test/appData.replicaRegions.5: "us-gov-west-1" is not allowed (a Region of the primary key\'s partition aws, KMS ReplicateKey ReplicaRegion)',
    ]);
  });

  test("replicas without multiRegion, and a multi-Region key in a custom key store, are refused", () => {
    expect(refusal({ replicaRegions: ["eu-central-1"] })).toEqual([
      'test/appData.replicaRegions: ["eu-central-1"] is not allowed (only for a multi-Region key: set multiRegion: true, KMS ReplicateKey)',
    ]);
    expect(refusal({ multiRegion: true, keyStore: cloudHsmStore, rotation: false })).toEqual([
      'test/appData.multiRegion: true is not allowed (only for keys in the AWS KMS key store (store is "cloudhsm"): a key in a custom key store cannot be multi-Region, KMS CreateKey MultiRegion)',
    ]);
  });

  test("the stack refuses a provider for its own Region", () => {
    expect(propsErrorLines(() => testStack().providerFor("eu-west-1"))).toEqual([
      'test.providerFor: "eu-west-1" is not allowed (the stack\'s own Region: use the default provider)',
    ]);
  });
});

const statementsOf = (json: StackJson, type = "aws_kms_key"): Record<string, unknown>[] =>
  (JSON.parse(one(json, type).policy as string) as { Statement: Record<string, unknown>[] }).Statement;
const serviceStatements = (statements: Record<string, unknown>[]) =>
  statements.filter((s) => (s.Principal as { Service?: string }).Service !== undefined);

describe("replicating a multi-Region key (evaluated)", () => {
  // ReplicateKey is authorized by the PRIMARY's key policy
  // (https://docs.aws.amazon.com/kms/latest/APIReference/API_ReplicateKey.html, "Required permissions"). In the
  // closed form the deploying principal is an administrator and no IAM policy can supply it: without it in the
  // administrators' statement the first apply of every replica is refused.
  const json = synth({ multiRegion: true, replicaRegions: ["eu-central-1"], policy: "closed" });
  const primary = JSON.parse(one(json, "aws_kms_key").policy as string) as PolicyDocument;
  const replica = JSON.parse(one(json, "aws_kms_replica_key").policy as string) as PolicyDocument;
  const REPLICA_ARN = KEY_ARN.replace("eu-west-1", "eu-central-1");
  const ask = (policy: PolicyDocument, principal: string, action: string, resource = KEY_ARN) =>
    decide({ principal, action, resource, resourceAccount: ACCOUNT, resourcePolicy: policy });

  test("the primary's administrators may replicate it (closed form, no IAM policy)", async () => {
    expect(await ask(primary, ADMIN, "kms:ReplicateKey")).toBe("Allowed");
  });

  test("nobody else may, and a replica grants it to nobody; administrators still cannot use the key", async () => {
    expect(await ask(primary, USER, "kms:ReplicateKey")).toBe("ExplicitlyDenied");
    expect(await ask(primary, `arn:aws:iam::${ACCOUNT}:role/Other`, "kms:ReplicateKey")).toBe("ImplicitlyDenied");
    expect(await ask(replica, ADMIN, "kms:ReplicateKey", REPLICA_ARN)).toBe("ImplicitlyDenied");
    expect(await ask(replica, ADMIN, "kms:PutKeyPolicy", REPLICA_ARN)).toBe("Allowed");
    expect(await ask(primary, ADMIN, "kms:Decrypt")).toBe("ExplicitlyDenied");
  });

  test("a single-Region key's policy names no kms:ReplicateKey", () => {
    expect(one(synth({ policy: "closed" }), "aws_kms_key").policy).not.toContain("kms:ReplicateKey");
  });

  test("account form: a user whose IAM allows kms:* may neither replicate the key nor move its primary Region", async () => {
    const account = synth({ multiRegion: true, replicaRegions: ["eu-central-1"] });
    const p = JSON.parse(one(account, "aws_kms_key").policy as string) as PolicyDocument;
    const r = JSON.parse(one(account, "aws_kms_replica_key").policy as string) as PolicyDocument;
    const asUser = (policy: PolicyDocument, action: string, resource = KEY_ARN) =>
      decide({
        principal: USER,
        action,
        resource,
        resourceAccount: ACCOUNT,
        resourcePolicy: policy,
        identityPolicies: [ADMINISTRATOR_ACCESS],
      });
    expect(await asUser(p, "kms:ReplicateKey")).toBe("ExplicitlyDenied");
    expect(await asUser(p, "kms:UpdatePrimaryRegion")).toBe("ExplicitlyDenied");
    expect(await asUser(r, "kms:UpdatePrimaryRegion", REPLICA_ARN)).toBe("ExplicitlyDenied");
    // Still a user: the key's use is untouched.
    expect(await asUser(p, "kms:Decrypt")).toBe("Allowed");
    expect(await asUser(r, "kms:Encrypt", REPLICA_ARN)).toBe("Allowed");
    // The administrators still replicate it.
    expect(
      await decide({
        principal: ADMIN,
        action: "kms:ReplicateKey",
        resource: KEY_ARN,
        resourceAccount: ACCOUNT,
        resourcePolicy: p,
      }),
    ).toBe("Allowed");
  });
});

describe("service statements", () => {
  const all: KeyServiceAccess[] = [
    { service: "events", sourceArns: [RULE] },
    { service: "cloudtrail", sourceArns: [TRAIL] },
    { service: "logs", sourceArns: [LOG_GROUP] },
    { service: "cloudwatch", sourceArns: [ALARMS] },
  ];

  test("each service gets the statement its documentation prescribes, in a fixed order", () => {
    expect(serviceStatements(statementsOf(synth({ services: all })))).toEqual([
      {
        Sid: "CloudTrailEncryptsLogs",
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: ["kms:GenerateDataKey*"],
        Resource: "*",
        Condition: {
          StringEquals: { "aws:SourceArn": TRAIL },
          StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": `arn:aws:cloudtrail:*:${ACCOUNT}:trail/*` },
        },
      },
      {
        Sid: "CloudTrailDescribesKey",
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "kms:DescribeKey",
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceArn": TRAIL } },
      },
      {
        Sid: "CloudWatchLogsUseKey",
        Effect: "Allow",
        Principal: { Service: "logs.eu-west-1.amazonaws.com" },
        Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        Resource: "*",
        Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": LOG_GROUP } },
      },
      {
        Sid: "CloudWatchAlarmsUseKey",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnLike: { "aws:SourceArn": ALARMS } },
      },
      {
        Sid: "EventBridgeRulesUseKey",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnLike: { "aws:SourceArn": RULE } },
      },
    ]);
  });

  test("a replica's policy names CloudWatch Logs only for log groups of its own Region, with that Region's principal", () => {
    const central = `arn:aws:logs:eu-central-1:${ACCOUNT}:log-group:/app/dr`;
    const json = synth({
      multiRegion: true,
      replicaRegions: ["eu-central-1"],
      services: [{ service: "logs", sourceArns: [LOG_GROUP, central] }],
    });
    const logs = (statements: Record<string, unknown>[]) =>
      serviceStatements(statements).map((s) => [(s.Principal as { Service: string }).Service, s.Condition]);
    expect(logs(statementsOf(json))).toEqual([
      ["logs.eu-west-1.amazonaws.com", { ArnLike: { "kms:EncryptionContext:aws:logs:arn": LOG_GROUP } }],
    ]);
    expect(logs(statementsOf(json, "aws_kms_replica_key"))).toEqual([
      ["logs.eu-central-1.amazonaws.com", { ArnLike: { "kms:EncryptionContext:aws:logs:arn": central } }],
    ]);
  });

  test("an imported key takes the same statements", () => {
    const stack = testStack();
    new ImportedKey(stack, "byok", {
      ...minimal,
      name: "byok",
      importers: [`arn:aws:iam::${ACCOUNT}:role/Custodians`],
      services: [{ service: "cloudtrail", sourceArns: [TRAIL] }],
    });
    const json = JSON.parse(Testing.synth(stack)) as StackJson;
    expect(serviceStatements(statementsOf(json, "aws_kms_external_key")).map((s) => s.Sid)).toEqual([
      "CloudTrailEncryptsLogs",
      "CloudTrailDescribesKey",
    ]);
  });

  test("every service problem at once, one exact line each", () => {
    expect(
      refusal({
        services: [
          { service: "s3" as KeyServiceAccess["service"], sourceArns: ["arn:aws:s3:::bucket"] },
          {
            service: "cloudtrail",
            sourceArns: [
              `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/*`,
              `arn:aws:cloudtrail:eu-west-1:${OTHER}:trail/audit`,
              `arn:aws-cn:cloudtrail:cn-north-1:${ACCOUNT}:trail/audit`,
              `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:x`,
              TRAIL,
              TRAIL,
            ],
          },
          {
            service: "logs",
            sourceArns: [
              `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:*`,
              `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/app`,
              `arn:aws:logs:*:${ACCOUNT}:log-group:/app`,
              `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/app-*`,
            ],
          },
          { service: "cloudwatch", sourceArns: [] },
          {
            service: "events",
            sourceArns: [`arn:aws:events:eu-west-1:${ACCOUNT}:rule/*`, `arn:aws:events:eu-west-1:${ACCOUNT}:*`],
          },
          { service: "logs", sourceArns: [LOG_GROUP] },
        ],
      }),
    ).toEqual([
      'test/appData.services.0.service: "s3" is not allowed (one of cloudtrail, logs, cloudwatch, events: the services whose key policy statement AWS documents, docs/keys.md)',
      `test/appData.services.1.sourceArns.0: "arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/*" is not allowed (an exact ARN without wildcards (arn:aws:cloudtrail:<region>:${ACCOUNT}:trail/<trail name>): the statement compares aws:SourceArn with StringEquals)`,
      `test/appData.services.1.sourceArns.1: "arn:aws:cloudtrail:eu-west-1:${OTHER}:trail/audit" is not allowed (an ARN of the key's account ${ACCOUNT} (arn:aws:cloudtrail:<region>:${ACCOUNT}:trail/<trail name>): the service acts for that account only)`,
      `test/appData.services.1.sourceArns.2: "arn:aws-cn:cloudtrail:cn-north-1:${ACCOUNT}:trail/audit" is not allowed (an ARN of the key's partition aws (arn:aws:cloudtrail:<region>:${ACCOUNT}:trail/<trail name>))`,
      `test/appData.services.1.sourceArns.3: "arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:x" is not allowed (an ARN of cloudtrail (arn:aws:cloudtrail:<region>:${ACCOUNT}:trail/<trail name>), not of logs)`,
      `test/appData.services.1.sourceArns.5: "${TRAIL}" is not allowed (listed twice)`,
      `test/appData.services.2.sourceArns.0: "arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:*" is not allowed (a wildcard only after a non-empty name prefix (arn:aws:logs:<region>:${ACCOUNT}:log-group:<prefix>*): '*' alone matches every one of the account's resources)`,
      `test/appData.services.2.sourceArns.1: "arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/app" is not allowed (a logs ARN in the key's Region eu-west-1: logs.us-east-1.amazonaws.com uses only a key (or replica) of its own Region)`,
      `test/appData.services.2.sourceArns.2: "arn:aws:logs:*:${ACCOUNT}:log-group:/app" is not allowed (a literal Region in the ARN (arn:aws:logs:<region>:${ACCOUNT}:log-group:<log group name>))`,
      "test/appData.services.3.sourceArns: [] is not allowed (at least one ARN: a service statement without a source would let the service use the key for any account, confused deputy)",
      `test/appData.services.4.sourceArns.0: "arn:aws:events:eu-west-1:${ACCOUNT}:rule/*" is not allowed (a wildcard only after a non-empty name prefix (arn:aws:events:<region>:${ACCOUNT}:rule/<rule name> or rule/<event bus name>/<prefix>*): '*' alone matches every one of the account's resources)`,
      `test/appData.services.4.sourceArns.1: "arn:aws:events:eu-west-1:${ACCOUNT}:*" is not allowed (a wildcard only after a non-empty name prefix (arn:aws:events:<region>:${ACCOUNT}:rule/<rule name> or rule/<event bus name>/<prefix>*): '*' alone matches every one of the account's resources)`,
      'test/appData.services.5.service: "logs" is not allowed (listed once per key: put every source ARN in one entry)',
    ]);
  });
});

/**
 * The evaluator drops request keys of the form `kms:EncryptionContext:<context key>` (it only reads
 * variable keys written with '/', e.g. `aws:PrincipalTag/<key>`), so an encryption-context condition
 * could never match there. Both the policy and the request are rewritten the same way to a stand-in
 * string key it does read, `aws:PrincipalTag/kms-ec:<context key>`, compared by the same operator:
 * what is evaluated is still the synthesized condition's operator and values.
 */
const STAND_IN = "aws:PrincipalTag/kms-ec:";
const standIn = (key: string) => key.replace(/^kms:EncryptionContext:/i, STAND_IN);
function withStandIn(doc: PolicyDocument): PolicyDocument {
  const statements = [doc.Statement].flat().map((s) => ({
    ...s,
    ...(s.Condition
      ? {
          Condition: Object.fromEntries(
            Object.entries(s.Condition).map(([op, keys]) => [
              op,
              Object.fromEntries(Object.entries(keys).map(([k, v]) => [standIn(k), v])),
            ]),
          ),
        }
      : {}),
  }));
  return { ...doc, Statement: statements };
}

describe("service statements, evaluated", () => {
  const policy = buildKeyPolicy({
    partition: "aws",
    account: ACCOUNT,
    region: "eu-west-1",
    administrators: [ADMIN],
    users: [USER],
    form: "closed",
    services: [
      { service: "cloudtrail", sourceArns: [TRAIL] },
      { service: "logs", sourceArns: [LOG_GROUP] },
      { service: "cloudwatch", sourceArns: [ALARMS] },
    ],
  }) as unknown as PolicyDocument;
  const ask = (principal: string, action: string, context: Record<string, string>, identity = false) =>
    decide({
      principal,
      action,
      resource: KEY_ARN,
      resourceAccount: ACCOUNT,
      resourcePolicy: withStandIn(policy),
      context: Object.fromEntries(Object.entries(context).map(([k, v]) => [standIn(k), v])),
      identityPolicies: identity ? [ADMINISTRATOR_ACCESS] : [],
    });

  test("the stand-in is read: without the encryption context, CloudWatch Logs is denied", async () => {
    expect(await ask("logs.eu-west-1.amazonaws.com", "kms:Decrypt", {})).toBe("ImplicitlyDenied");
  });
  const trailContext = (trail: string, account = ACCOUNT) => ({
    "aws:SourceArn": trail,
    "aws:SourceAccount": account,
    "kms:EncryptionContext:aws:cloudtrail:arn": trail,
  });

  test("CloudTrail: allowed for the listed trail only", async () => {
    expect(await ask("cloudtrail.amazonaws.com", "kms:GenerateDataKey", trailContext(TRAIL))).toBe("Allowed");
    expect(await ask("cloudtrail.amazonaws.com", "kms:DescribeKey", { "aws:SourceArn": TRAIL })).toBe("Allowed");
    const otherTrail = `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/other`;
    const foreignTrail = `arn:aws:cloudtrail:eu-west-1:${OTHER}:trail/audit`;
    expect(await ask("cloudtrail.amazonaws.com", "kms:GenerateDataKey", trailContext(otherTrail))).toBe(
      "ImplicitlyDenied",
    );
    expect(await ask("cloudtrail.amazonaws.com", "kms:GenerateDataKey", trailContext(foreignTrail, OTHER))).toBe(
      "ImplicitlyDenied",
    );
    // A trail of another account naming ours in the encryption context is still refused by aws:SourceArn.
    expect(
      await ask("cloudtrail.amazonaws.com", "kms:GenerateDataKey", {
        ...trailContext(foreignTrail, OTHER),
        "kms:EncryptionContext:aws:cloudtrail:arn": TRAIL,
      }),
    ).toBe("ImplicitlyDenied");
    expect(await ask("cloudtrail.amazonaws.com", "kms:Decrypt", trailContext(TRAIL))).toBe("ImplicitlyDenied");
  });

  test("CloudWatch Logs: allowed for the listed log group only, in the key's Region", async () => {
    const logs = (group: string) => ({ "kms:EncryptionContext:aws:logs:arn": group });
    expect(await ask("logs.eu-west-1.amazonaws.com", "kms:Decrypt", logs(LOG_GROUP))).toBe("Allowed");
    expect(await ask("logs.eu-west-1.amazonaws.com", "kms:GenerateDataKey", logs(LOG_GROUP))).toBe("Allowed");
    expect(
      await ask(
        "logs.eu-west-1.amazonaws.com",
        "kms:Decrypt",
        logs(`arn:aws:logs:eu-west-1:${OTHER}:log-group:/app/audit`),
      ),
    ).toBe("ImplicitlyDenied");
    expect(
      await ask(
        "logs.eu-west-1.amazonaws.com",
        "kms:Decrypt",
        logs(`arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/other`),
      ),
    ).toBe("ImplicitlyDenied");
    expect(await ask("logs.us-east-1.amazonaws.com", "kms:Decrypt", logs(LOG_GROUP))).toBe("ImplicitlyDenied");
    expect(await ask("logs.eu-west-1.amazonaws.com", "kms:PutKeyPolicy", logs(LOG_GROUP))).toBe("ImplicitlyDenied");
  });

  test("CloudWatch alarms: allowed for this account's matching alarms only", async () => {
    const alarm = (arn: string, account = ACCOUNT) => ({ "aws:SourceArn": arn, "aws:SourceAccount": account });
    const own = `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:t-kms-quota`;
    expect(await ask("cloudwatch.amazonaws.com", "kms:GenerateDataKey", alarm(own))).toBe("Allowed");
    expect(await ask("cloudwatch.amazonaws.com", "kms:Decrypt", alarm(own))).toBe("Allowed");
    expect(
      await ask(
        "cloudwatch.amazonaws.com",
        "kms:Decrypt",
        alarm(`arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:other`),
      ),
    ).toBe("ImplicitlyDenied");
    expect(
      await ask(
        "cloudwatch.amazonaws.com",
        "kms:Decrypt",
        alarm(`arn:aws:cloudwatch:eu-west-1:${OTHER}:alarm:t-kms-quota`, OTHER),
      ),
    ).toBe("ImplicitlyDenied");
    expect(await ask("cloudwatch.amazonaws.com", "kms:Encrypt", alarm(own))).toBe("ImplicitlyDenied");
  });

  test("no other principal gains anything by the service statements", async () => {
    // A role of this account with AdministratorAccess, and one of another account, setting every source
    // and encryption-context key to the listed resources: a closed key policy names neither.
    const everything = {
      ...trailContext(TRAIL),
      "kms:EncryptionContext:aws:logs:arn": LOG_GROUP,
    };
    for (const principal of [`arn:aws:iam::${ACCOUNT}:role/Ops`, `arn:aws:iam::${OTHER}:role/Intruder`])
      for (const action of ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:Encrypt"])
        expect(await ask(principal, action, everything, true)).toBe("ImplicitlyDenied");
    // Another service principal with the right source keys gains nothing either.
    expect(await ask("s3.amazonaws.com", "kms:GenerateDataKey", everything)).toBe("ImplicitlyDenied");
  });
});

describe("source ARNs known only at apply", () => {
  test("a token ARN (a trail's arn) is not judged and goes into the statement as a reference", () => {
    const stack = testStack();
    const { CloudtrailEventDataStore } = jest.requireActual<
      typeof import("@cdktf/provider-aws/lib/cloudtrail-event-data-store")
    >("@cdktf/provider-aws/lib/cloudtrail-event-data-store");
    const store = new CloudtrailEventDataStore(stack, "eds", { name: "audit" });
    new CustomerKey(stack, "appData", { ...minimal, services: [{ service: "cloudtrail", sourceArns: [store.arn] }] });
    const json = JSON.parse(Testing.synth(stack)) as StackJson;
    const trail = serviceStatements(statementsOf(json))[0] as { Condition: { StringEquals: Record<string, string> } };
    expect(trail.Condition.StringEquals["aws:SourceArn"]).toBe("${aws_cloudtrail_event_data_store.eds.arn}");
  });
});
