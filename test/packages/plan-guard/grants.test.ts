/**
 * Every way to give a principal rights on a key: grants (`aws_kms_grant`), key policies on every
 * key kind (root module and child modules, for_each instances), organizations, and the alarm
 * topic's policy. Crafted plans in the shape `terraform show -json` writes.
 */
import { alarmKeyPolicy, alarmTopicPolicy } from "../../../modules/alarms/alarm-topic";
import {
  classifyPlans,
  parseAllowlist,
  type JsonValue,
  type LoadedPlan,
  type ResourceChange,
} from "@cmk-stacks/plan-guard";
import { cfg, planOf, policy, rc } from "./builders";

const ACCT = "111122223333";
const PARTNER = "555555555555";
const OTHER = "444455556666";
const KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab";
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCT}:key/${KEY_ID}`;
const ROOT = {
  Sid: "Root",
  Effect: "Allow",
  Principal: { AWS: `arn:aws:iam::${ACCT}:root` },
  Action: "kms:*",
  Resource: "*",
};
const declare = (o: object) => parseAllowlist({ allow: [], ...o });
const H =
  "a grant hands the key to another account without any change to the key policy, and what it encrypts or decrypts there is outside this account's control";
const FIX =
  "if intended, declare the account in the allowlist's externalAccounts (account, stack, reason with the ticket that approved it; cmk-stacks: also in the key's externalAccounts), reviewed by the security team; otherwise remove the principal";

const key = (address = "aws_kms_key.k", type?: string): ResourceChange =>
  rc(
    address,
    ["no-op"],
    { arn: KEY_ARN, key_id: KEY_ID, id: KEY_ID },
    { arn: KEY_ARN, key_id: KEY_ID, id: KEY_ID },
    type ? { type } : {},
  );
const grant = (
  address: string,
  after: Record<string, JsonValue>,
  extra: Partial<ResourceChange> = {},
): ResourceChange =>
  rc(
    address,
    ["create"],
    null,
    {
      key_id: KEY_ID,
      operations: ["Decrypt"],
      retiring_principal: null,
      constraints: [],
      grant_creation_tokens: null,
      name: "g",
      ...after,
    },
    extra,
  );
const lines = (p: LoadedPlan, allow?: ReturnType<typeof declare>) => {
  const r = classifyPlans([p], allow, { withoutGraph: true });
  return {
    exit: r.exitCode,
    blocked: r.blocked.map((f) => `${f.address} ${f.rule}: ${f.why}. Avoid: ${f.fix}`),
    risky: r.risky.filter((f) => f.rule !== "key-resource-change").map((f) => `${f.address} ${f.rule}: ${f.why}`),
  };
};

describe("grants", () => {
  test("a grant of Decrypt to another account's role is blocked: who, what, on which key, why, how to declare", () => {
    const p = planOf([
      key(),
      grant("aws_kms_grant.g", { key_id: KEY_ID, grantee_principal: `arn:aws:iam::${OTHER}:role/reader` }),
    ]);
    expect(lines(p)).toEqual({
      exit: 1,
      blocked: [
        `aws_kms_grant.g key-grant-cross-account: the grant gives arn:aws:iam::${OTHER}:role/reader, a principal of another account, as grantee: Decrypt on ${KEY_ARN} (the key belongs to ${ACCT}); ${H}. Avoid: ${FIX}`,
      ],
      risky: [],
    });
  });

  test("in a child module, a for_each instance, on every kind of key, by ARN or by reference", () => {
    for (const type of ["aws_kms_key", "aws_kms_external_key", "aws_kms_replica_key", "aws_kms_replica_external_key"]) {
      const k = key(`module.keys["eu"].${type}.k`, type);
      const g = grant(
        `module.share["x"].aws_kms_grant.g["reader"]`,
        {
          key_id: "will-be-known",
          grantee_principal: `arn:aws:iam::${OTHER}:role/reader`,
          operations: ["Decrypt", "CreateGrant"],
        },
        { module_address: 'module.share["x"]', index: "reader" },
      );
      g.change.after_unknown = { key_id: true };
      (g.change.after as Record<string, JsonValue>).key_id = null;
      const p = planOf([k, g], { config: [] });
      // The grant's key_id refers to the key in the other module through the module's output: resolved by the configuration reference.
      p.plan.configuration = {
        root_module: {
          module_calls: {
            share: { module: { resources: [cfg("aws_kms_grant.g", { key_id: `module.keys.${type}.k.arn` })] } },
          },
        },
      } as never;
      const r = classifyPlans([p], undefined, { withoutGraph: true });
      expect([type, r.blocked.map((f) => [f.address, f.rule])]).toEqual([
        type,
        [[`module.share["x"].aws_kms_grant.g["reader"]`, "key-grant-cross-account"]],
      ]);
      expect(r.blocked[0].why).toContain(
        "Decrypt, CreateGrant; CreateGrant lets it hand the key on to further principals",
      );
    }
  });

  test("the key by its ARN alone (not in the plan): its account is the ARN's", () => {
    const p = planOf([
      grant("aws_kms_grant.g", {
        key_id: `arn:aws:kms:eu-west-1:${ACCT}:key/${KEY_ID}`,
        grantee_principal: `arn:aws:iam::${OTHER}:user/u`,
      }),
    ]);
    expect(lines(p).blocked).toEqual([
      expect.stringMatching(/^aws_kms_grant\.g key-grant-cross-account: .* \(the key belongs to 111122223333\)/),
    ]);
  });

  test("a retiring principal of another account is blocked too (it can end the grantee's access)", () => {
    const p = planOf([
      key(),
      grant("aws_kms_grant.g", {
        grantee_principal: `arn:aws:iam::${ACCT}:role/app`,
        retiring_principal: `arn:aws:iam::${OTHER}:root`,
      }),
    ]);
    expect(lines(p).blocked).toEqual([
      `aws_kms_grant.g key-grant-cross-account: the grant gives arn:aws:iam::${OTHER}:root, a principal of another account, as retiring principal: RetireGrant on this grant (ending the grantee's access) on ${KEY_ARN} (the key belongs to ${ACCT}); ${H}. Avoid: ${FIX}`,
    ]);
  });

  test("a declared account is shown with what it gains, for its stack only", () => {
    const p = planOf([
      key(),
      grant("aws_kms_grant.g", {
        grantee_principal: `arn:aws:iam::${PARTNER}:role/analytics`,
        operations: ["Decrypt", "DescribeKey"],
        constraints: [{ encryption_context_equals: { app: "records" }, encryption_context_subset: null }],
      }),
    ]);
    expect(
      lines(
        p,
        declare({
          externalAccounts: [{ account: PARTNER, stack: "dev-keys", reason: "analytics reads records (#42)" }],
        }),
      ),
    ).toEqual({
      exit: 0,
      blocked: [],
      risky: [
        `aws_kms_grant.g key-grant-external-account-added: the grant gives arn:aws:iam::${PARTNER}:role/analytics, of declared external account ${PARTNER}, as grantee: Decrypt, DescribeKey (only with the encryption context its constraints name: that limits requests, not who makes them) on ${KEY_ARN} (declared in the allowlist's externalAccounts, ${PARTNER}: analytics reads records (#42))`,
      ],
    });
    expect(
      lines(p, declare({ externalAccounts: [{ account: PARTNER, stack: "prod-keys", reason: "prod only" }] })).exit,
    ).toBe(1);
  });

  test("encryption-context constraints and grant creation tokens do not make another account's grant acceptable", () => {
    const p = planOf([
      key(),
      grant("aws_kms_grant.g", {
        grantee_principal: `arn:aws:iam::${OTHER}:role/r`,
        constraints: [{ encryption_context_subset: { app: "x" }, encryption_context_equals: null }],
        grant_creation_tokens: ["t1"],
      }),
    ]);
    expect(lines(p).blocked).toHaveLength(1);
  });

  test("a service principal as grantee is blocked: a service acts for every account", () => {
    const p = planOf([key(), grant("aws_kms_grant.g", { grantee_principal: "logs.eu-west-1.amazonaws.com" })]);
    expect(lines(p).blocked).toEqual([
      `aws_kms_grant.g key-grant-service-principal: the grant's grantee is the service principal logs.eu-west-1.amazonaws.com, which gains Decrypt on ${KEY_ARN}: a service acts for every account that uses it and a grant cannot carry aws:SourceAccount, so the key would be open to other accounts through that service (CreateGrant takes only IAM principals). Avoid: grant to a role of this account, or let the service use the key through a key policy statement with aws:SourceAccount and aws:SourceArn conditions`,
    ]);
  });

  test("a key the plan does not show, in a plan spanning two accounts: a grantee in neither is blocked, one in either is not", () => {
    const roleIn = (account: string, name: string) =>
      rc(
        `aws_iam_role.${name}`,
        ["no-op"],
        { arn: `arn:aws:iam::${account}:role/${name}` },
        { arn: `arn:aws:iam::${account}:role/${name}` },
      );
    const g = (grantee: string) => {
      const change = grant("aws_kms_grant.g", { key_id: null, grantee_principal: grantee });
      change.change.after_unknown = { key_id: true };
      return planOf([roleIn(ACCT, "a"), roleIn(PARTNER, "b"), change]);
    };
    expect(lines(g(`arn:aws:iam::${OTHER}:role/x`)).blocked).toEqual([
      expect.stringContaining(
        `key-grant-cross-account: the grant gives arn:aws:iam::${OTHER}:role/x, a principal of another account, as grantee: Decrypt on a key known only after apply (the key belongs to ${ACCT}, ${PARTNER})`,
      ),
    ]);
    expect(lines(g(`arn:aws:iam::${PARTNER}:role/x`)).blocked).toEqual([]);
  });

  test("a grantee the guard cannot place (no account in it) is blocked", () => {
    expect(lines(planOf([key(), grant("aws_kms_grant.g", { grantee_principal: "AROAEXAMPLEID" })])).blocked).toEqual([
      expect.stringContaining(
        "key-grant-principal-unplaced: the guard cannot tell which account the grant's grantee AROAEXAMPLEID is in",
      ),
    ]);
  });

  describe("a grantee known only after apply", () => {
    const unknownGrantee = (): ResourceChange => {
      const g = grant("aws_kms_grant.g", { grantee_principal: null });
      g.change.after_unknown = { grantee_principal: true };
      return g;
    };
    const role = rc("aws_iam_role.app", ["create"], null, { name: "app" });
    const withConfig = (roleProvider: string) => {
      const p = planOf([key(), role, unknownGrantee()], {
        config: [
          cfg("aws_kms_grant.g", { grantee_principal: "aws_iam_role.app.arn", key_id: "aws_kms_key.k.key_id" }),
          cfg("aws_iam_role.app"),
        ],
      });
      const resources = p.plan.configuration?.root_module?.resources ?? [];
      resources[1].provider_config_key = roleProvider;
      return p;
    };

    test("from a role created in this plan by the same provider (same account): risky", () => {
      expect(lines(withConfig("aws"))).toEqual({
        exit: 0,
        blocked: [],
        risky: [
          `aws_kms_grant.g key-grant-principal-after-apply: the grant's grantee is known only after apply: aws_iam_role.app, created in this plan by the same provider configuration as the grant (so in the same account), gains Decrypt on ${KEY_ARN}`,
        ],
      });
    });

    test("from a role of another provider configuration (perhaps another account): blocked", () => {
      expect(lines(withConfig("aws.partner")).blocked).toEqual([
        expect.stringContaining(
          "key-grant-principal-unknown: the grant's grantee is known only after apply and the plan does not show it is an IAM role or user of this account",
        ),
      ]);
    });

    test("from anything else (a variable, a data source, no configuration): blocked", () => {
      expect(lines(planOf([key(), unknownGrantee()])).blocked).toEqual([
        expect.stringContaining("key-grant-principal-unknown"),
      ]);
    });
  });

  test("a grant to the key's own account, or a replacement that keeps grantee and operations, passes", () => {
    expect(
      lines(planOf([key(), grant("aws_kms_grant.g", { grantee_principal: `arn:aws:iam::${ACCT}:role/app` })])).exit,
    ).toBe(0);
    const before = {
      key_id: KEY_ID,
      grantee_principal: `arn:aws:iam::${OTHER}:role/r`,
      operations: ["Decrypt"],
      name: "g",
    };
    expect(
      lines(planOf([key(), rc("aws_kms_grant.g", ["delete", "create"], before, { ...before, name: "g2" })])).blocked,
    ).toEqual([]);
    expect(
      lines(
        planOf([
          key(),
          rc("aws_kms_grant.g", ["delete", "create"], before, { ...before, operations: ["Decrypt", "ReEncryptFrom"] }),
        ]),
      ).blocked,
    ).toHaveLength(1);
  });

  test("a forgotten grant (removed, destroy = false) is shown as still in force, not as gone", () => {
    const before = { key_id: KEY_ID, grantee_principal: `arn:aws:iam::${OTHER}:role/r`, operations: ["Decrypt"] };
    const r = classifyPlans([planOf([key(), rc("aws_kms_grant.g", ["forget"], before, null)])]);
    expect(r.blocked).toEqual([]);
    expect(r.risky.map((f) => [f.address, f.action, f.rule, f.why])).toEqual([
      [
        "aws_kms_grant.g",
        "forget",
        "key-resource-change",
        `the grant is forgotten, not retired: arn:aws:iam::${OTHER}:role/r can still Decrypt on key ${KEY_ID} through it, and the configuration no longer shows it (a later removal will not retire it)`,
      ],
    ]);
  });
});

describe("key policies on every key kind, in child modules", () => {
  const foreign = {
    Effect: "Allow",
    Principal: { AWS: `arn:aws:iam::${OTHER}:role/partner` },
    Action: "kms:Decrypt",
    Resource: "*",
  };
  test.each(["aws_kms_key", "aws_kms_external_key", "aws_kms_replica_key", "aws_kms_replica_external_key"])(
    '%s in module.keys["eu"] with for_each: another account is blocked',
    (type) => {
      const address = `module.keys["eu"].${type}.k["data"]`;
      const p = planOf([
        rc(
          address,
          ["update"],
          { arn: KEY_ARN, policy: policy(ROOT) },
          { arn: KEY_ARN, policy: policy(ROOT, foreign) },
          { type, module_address: 'module.keys["eu"]', index: "data" },
        ),
      ]);
      expect(classifyPlans([p]).blocked.map((f) => [f.address, f.rule])).toEqual([
        [address, "key-policy-cross-account"],
      ]);
    },
  );

  test("an aws_kms_key_policy in a child module resolves the key it references in another module", () => {
    const p = planOf([
      key('module.keys.aws_kms_replica_key.k["a"]', "aws_kms_replica_key"),
      rc(
        "module.pol.aws_kms_key_policy.p",
        ["update"],
        { key_id: "x", policy: policy(ROOT) },
        { key_id: "x", policy: policy(ROOT, foreign) },
        { module_address: "module.pol" },
      ),
    ]);
    p.plan.configuration = {
      root_module: {
        module_calls: {
          pol: {
            module: {
              resources: [cfg("aws_kms_key_policy.p", { key_id: "module.keys.aws_kms_replica_key.k.key_id" })],
            },
          },
        },
      },
    } as never;
    const r = classifyPlans([p]);
    expect(r.blocked.map((f) => f.rule)).toEqual(["key-policy-cross-account"]);
    expect(r.blocked[0].why).toContain(`(the key belongs to ${ACCT})`);
  });

  test("a foreign principal already there that gains more actions is blocked; with the same actions it is not", () => {
    const had = policy(ROOT, foreign);
    const keyUpdate = (after: string) =>
      planOf([rc("aws_kms_key.k", ["update"], { arn: KEY_ARN, policy: had }, { arn: KEY_ARN, policy: after })]);
    expect(
      classifyPlans([keyUpdate(policy(ROOT, { ...foreign, Action: ["kms:Decrypt", "kms:PutKeyPolicy"] }))]).blocked.map(
        (f) => f.why,
      ),
    ).toEqual([expect.stringContaining(`arn:aws:iam::${OTHER}:role/partner (gains kms:PutKeyPolicy)`)]);
    expect(
      classifyPlans([keyUpdate(policy(ROOT, { ...foreign, Sid: "Renamed", Action: "KMS:Decrypt" }))]).blocked,
    ).toEqual([]);
  });
});

describe("organizations", () => {
  const orgStatement = (c: object) => ({
    Effect: "Allow",
    Principal: "*",
    Action: ["kms:Decrypt"],
    Resource: "*",
    Condition: c,
  });
  const keyUpdate = (after: string) =>
    planOf([rc("aws_kms_key.k", ["update"], { arn: KEY_ARN, policy: policy(ROOT) }, { arn: KEY_ARN, policy: after })]);

  test("aws:PrincipalOrgID of an undeclared organization is blocked, with who gains what and how to declare it", () => {
    const r = classifyPlans([
      keyUpdate(policy(ROOT, orgStatement({ StringEquals: { "aws:PrincipalOrgID": "o-abc123def4" } }))),
    ]);
    expect(r.blocked.map((f) => [f.rule, f.why, f.fix])).toEqual([
      [
        "key-policy-cross-organization",
        "the key policy opens the key to every account of an organization not declared for this stack: o-abc123def4 (gains kms:Decrypt); an organization is a set of accounts, any of which can use the key from outside this account as far as those actions go (decrypt what it protects, encrypt or re-encrypt under it, hand it on by grants), and this account cannot take back what they decrypted",
        "if intended, declare the organization in the allowlist's externalOrganizations (organization, stack, reason with the ticket that approved it); otherwise narrow the statement to named accounts with aws:PrincipalAccount",
      ],
    ]);
  });

  test("an organization path names its organization; a declared organization is shown", () => {
    const p = keyUpdate(
      policy(
        ROOT,
        orgStatement({
          "ForAnyValue:StringLike": { "AWS:PrincipalOrgPaths": ["o-abc123def4/r-ab12/ou-ab12-11111111/*"] },
        }),
      ),
    );
    expect(classifyPlans([p]).blocked.map((f) => f.rule)).toEqual(["key-policy-cross-organization"]);
    const r = classifyPlans(
      [p],
      declare({ externalOrganizations: [{ organization: "o-abc123def4", reason: "group-wide backup (#9)" }] }),
    );
    expect([r.exitCode, r.risky.map((f) => f.why)]).toEqual([
      0,
      [
        "the key policy newly opens the key to declared organizations: o-abc123def4 (gains kms:Decrypt) (declared in the allowlist's externalOrganizations, o-abc123def4: group-wide backup (#9))",
      ],
    ]);
  });

  test("an organization condition together with the key's own account is bounded by the account: nothing blocked", () => {
    expect(
      classifyPlans([
        keyUpdate(
          policy(
            ROOT,
            orgStatement({ StringEquals: { "aws:PrincipalOrgID": "o-abc123def4", "aws:PrincipalAccount": ACCT } }),
          ),
        ),
      ]).blocked,
    ).toEqual([]);
  });

  test.each([
    [
      { organization: "o-ABC" },
      "a.json: externalOrganizations[0].organization must be an organization id (o- and 10 to 32 lower-case letters or digits)",
    ],
    [
      { organization: "o-abc123def4" },
      "a.json: externalOrganizations[0] (o-abc123def4) has no reason: say why this organization may use the keys",
    ],
    [
      { organization: "o-abc123def4", reason: "x", accounts: [] },
      "a.json: externalOrganizations[0] has unknown field(s) accounts (allowed: organization, stack, reason, expires)",
    ],
    [
      { organization: "o-abc123def4", reason: "x", stack: "" },
      "a.json: externalOrganizations[0].stack must be a non-empty string when given",
    ],
  ])("the allowlist refuses %j", (entry, message) => {
    expect(() => parseAllowlist({ allow: [], externalOrganizations: [entry] }, "a.json")).toThrow(message);
  });
});

describe("the alarm topic's policy and its key", () => {
  const env = { account: ACCT, region: "eu-west-1", partition: "aws" } as never;
  const TOPIC_ARN = `arn:aws:sns:eu-west-1:${ACCT}:dev-kms-alarms`;
  const shipped = JSON.stringify(alarmTopicPolicy(env, "dev-kms-", TOPIC_ARN));
  const topicPolicy = (before: string | null, after: string, address = "aws_sns_topic_policy.p") =>
    planOf([
      rc(
        address,
        before === null ? ["create"] : ["update"],
        before === null ? null : { arn: TOPIC_ARN, policy: before },
        { arn: TOPIC_ARN, policy: after },
      ),
    ]);

  test("the shipped topic policy and topic key policy pass", () => {
    expect(classifyPlans([topicPolicy(null, shipped)]).blocked).toEqual([]);
    // The form with the alarms' exact ARNs (what AlarmTopic synthesizes while the list fits).
    const names = ["dev-kms-request-quota", "dev-kms-xks-latency"];
    expect(
      classifyPlans([topicPolicy(null, JSON.stringify(alarmTopicPolicy(env, "dev-kms-", TOPIC_ARN, names)))]).blocked,
    ).toEqual([]);
    expect(
      classifyPlans([
        planOf([
          rc("aws_kms_key.topic", ["create"], null, { policy: JSON.stringify(alarmKeyPolicy(env, "dev-kms-", names)) }),
        ]),
      ]).blocked,
    ).toEqual([]);
    const keyPolicy = JSON.stringify(alarmKeyPolicy(env, "dev-kms-"));
    expect(classifyPlans([planOf([rc("aws_kms_key.topic", ["create"], null, { policy: keyPolicy })])]).blocked).toEqual(
      [],
    );
  });

  test("another account allowed to subscribe is blocked (aws_sns_topic_policy and aws_sns_topic.policy)", () => {
    const doc = JSON.parse(shipped) as { Statement: object[] };
    doc.Statement.push({
      Sid: "Partner",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${OTHER}:root` },
      Action: ["sns:Subscribe"],
      Resource: TOPIC_ARN,
    });
    for (const address of ["aws_sns_topic_policy.p", "module.alarms.aws_sns_topic.t"]) {
      const r = classifyPlans([topicPolicy(shipped, JSON.stringify(doc), address)]);
      expect(r.blocked.map((f) => [f.address, f.rule, f.why])).toEqual([
        [
          address,
          "topic-policy-cross-account",
          `the topic policy gives principals of another account rights they did not have: arn:aws:iam::${OTHER}:root (gains sns:Subscribe) (the alarm topic belongs to ${ACCT}); they can read the alarms (subscribe), silence them (change subscriptions or the policy) or publish forged ones`,
        ],
      ]);
    }
  });

  test("everyone allowed to subscribe is blocked; a declared account is shown", () => {
    const open = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: "*", Action: "sns:Subscribe", Resource: TOPIC_ARN }],
    });
    expect(classifyPlans([topicPolicy(shipped, open)]).blocked.map((f) => f.rule)).toEqual(["topic-policy-public"]);
    const partner = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: PARTNER }, Action: "sns:Subscribe", Resource: TOPIC_ARN }],
    });
    const r = classifyPlans(
      [topicPolicy(shipped, partner)],
      declare({ externalAccounts: [{ account: PARTNER, reason: "NOC receives alarms (#5)" }] }),
    );
    expect([r.exitCode, r.risky.map((f) => f.rule)]).toEqual([0, ["topic-policy-external-account-added"]]);
  });

  test("a topic whose policy the configuration leaves to SNS is not judged; a configured policy known only after apply is risky", () => {
    const topic = rc("aws_sns_topic.t", ["create"], null, { name: "t" });
    topic.change.after_unknown = { policy: true, arn: true };
    expect(classifyPlans([planOf([topic], { config: [cfg("aws_sns_topic.t")] })]).risky.map((f) => f.rule)).toEqual([]);
    expect(
      classifyPlans([
        planOf([topic], { config: [cfg("aws_sns_topic.t", { policy: "data.aws_iam_policy_document.p.json" })] }),
      ]).risky.map((f) => f.rule),
    ).toEqual(["topic-policy-unknown"]);
  });
});

describe("a key policy that lets a named principal create grants without a condition (key-policy-grant-unconfined)", () => {
  const ADMIN = `arn:aws:iam::${ACCT}:role/admin`;
  const APP = `arn:aws:iam::${ACCT}:role/app`;
  const admin = { Sid: "Admin", Effect: "Allow", Principal: { AWS: ADMIN }, Action: "kms:*", Resource: "*" };
  const grants = (condition?: object) => ({
    Sid: "Grants",
    Effect: "Allow",
    Principal: { AWS: APP },
    Action: ["kms:CreateGrant", "kms:ListGrants"],
    Resource: "*",
    ...(condition ? { Condition: condition } : {}),
  });
  const judge = (before: object[], after: object[]) =>
    classifyPlans([
      planOf([
        rc(
          "aws_kms_key.k",
          ["update"],
          { arn: KEY_ARN, key_id: KEY_ID, id: KEY_ID, policy: policy(...before) },
          { arn: KEY_ARN, key_id: KEY_ID, id: KEY_ID, policy: policy(...after) },
        ),
      ]),
    ]).risky.filter((f) => f.rule === "key-policy-grant-unconfined");

  test("a role newly given kms:CreateGrant with no condition is shown: it can hand the key to any account", () => {
    const found = judge([admin], [admin, grants()]);
    expect(found.map((f) => [f.address, f.severity, f.why, f.fix])).toEqual([
      [
        "aws_kms_key.k",
        "risky",
        `the key policy lets ${APP} call kms:CreateGrant without a condition confining the grant (kms:GrantIsForAWSResource): it can give any principal, in any account, rights on the key through grants that no plan and no key-policy check shows`,
        'add Condition {"Bool": {"kms:GrantIsForAWSResource": "true"}} (grants for AWS services such as EBS only), or name the grantees with kms:GranteePrincipal; grants Terraform should own belong in aws_kms_grant, where the guard judges the grantee',
      ],
    ]);
    // The same through a wildcard action, beside the account root's Allow.
    expect(judge([ROOT, admin], [ROOT, admin, { ...grants(), Action: "kms:Create*" }])).toHaveLength(1);
  });

  test("confined by kms:GrantIsForAWSResource or the grantee, held before, or only through the account root: nothing", () => {
    expect(judge([admin], [admin, grants({ Bool: { "kms:GrantIsForAWSResource": "true" } })])).toEqual([]);
    expect(
      judge([admin], [admin, grants({ StringEquals: { "kms:GranteePrincipal": `arn:aws:iam::${ACCT}:role/ebs` } })]),
    ).toEqual([]);
    expect(judge([admin, grants()], [admin, { ...grants(), Sid: "GrantsRenamed" }])).toEqual([]);
    expect(judge([admin], [ROOT, admin])).toEqual([]);
  });
});
