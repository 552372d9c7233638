/**
 * CustomerKey built alone with minimal props in a test EnvironmentStack: synthesized resources, the
 * key policy evaluated by an independent IAM evaluator, and the exact lines of its refusals.
 * How the keys stack maps an environment onto these props is tested in test/stacks/keys-stack.test.ts.
 */
import { App, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { CustomerKey, type CustomerKeyProps } from "../../../modules/keys/customer-key";
import { buildKeyPolicy } from "../../../modules/keys/key-policy";
import { ServiceLinkedRole } from "../../../modules/keys/service-linked-role";
import type { IKeyStore } from "../../../modules/keystores/key-store";
import { checkCompliance } from "../../../modules/compliance";
import { ADMINISTRATOR_ACCESS, decide, type Decision, type PolicyDocument } from "../../helpers/policy-eval";
import type { StackJson } from "../../helpers/synth";
import { propsErrorLines } from "../../helpers/synth";

const ACCOUNT = "111111111111";
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/KeyAdmins`;
const USER = `arn:aws:iam::${ACCOUNT}:role/AppWriters`;
const minimal: CustomerKeyProps = { alias: "alias/t/app", administrators: [ADMIN], users: [USER] };
const cloudHsmStore: IKeyStore = { kind: "cloudhsm", keyStoreId: "cks-1234567890", readyWhen: [] };
const xksStore: IKeyStore = { kind: "xks", keyStoreId: "cks-0987654321", readyWhen: [] };

const testStack = (region = "eu-west-1") =>
  new EnvironmentStack(Testing.app(), "test", { name: "t", account: ACCOUNT, region });
const synth = (stack: TerraformStack) => JSON.parse(Testing.synth(stack)) as StackJson;
const kmsKey = (json: StackJson) => Object.values(json.resource?.aws_kms_key ?? {})[0] as Record<string, unknown>;
/** Synthesizes one key built with `props` in a fresh test stack. */
const keyJson = (props: CustomerKeyProps, region?: string) => {
  const stack = testStack(region);
  new CustomerKey(stack, "appData", props);
  return synth(stack);
};

describe("CustomerKey with minimal props", () => {
  const json = keyJson(minimal);
  const key = kmsKey(json);

  test("a symmetric single-Region key with the secure defaults: 30-day window, rotation, prevent_destroy, lockout check kept", () => {
    expect(key).toMatchObject({
      description: "Customer key appData (t)",
      customer_master_key_spec: "SYMMETRIC_DEFAULT",
      key_usage: "ENCRYPT_DECRYPT",
      multi_region: false,
      is_enabled: true,
      enable_key_rotation: true,
      deletion_window_in_days: 30,
      bypass_policy_lockout_safety_check: false,
      tags: { Name: "t/app", KeyStore: "aws-kms" },
      lifecycle: { prevent_destroy: true },
    });
    expect(key.custom_key_store_id).toBeUndefined();
    expect(key.xks_key_id).toBeUndefined();
    expect(key.depends_on).toBeUndefined();
  });

  test("the alias points at the key", () => {
    const [name] = Object.keys(json.resource?.aws_kms_key ?? {});
    expect(Object.values(json.resource?.aws_kms_alias ?? {})).toEqual([
      expect.objectContaining({ name: "alias/t/app", target_key_id: `\${aws_kms_key.${name}.key_id}` }),
    ]);
  });

  test("the name defaults to the construct id; the store to aws-kms", () => {
    const key = new CustomerKey(testStack(), "appData", minimal);
    expect([key.name, key.store]).toEqual(["appData", "aws-kms"]);
  });

  test("the partition of the policy's account root follows the stack's Region (GovCloud)", () => {
    const gov = JSON.parse(
      kmsKey(
        keyJson(
          {
            ...minimal,
            administrators: [ADMIN.replace("arn:aws:", "arn:aws-us-gov:")],
            users: [USER.replace("arn:aws:", "arn:aws-us-gov:")],
          },
          "us-gov-west-1",
        ),
      ).policy as string,
    ) as PolicyDocument;
    expect(
      (gov.Statement as { Sid: string; Principal: unknown }[]).find((s) => s.Sid === "AccountRootKeepsAccess")
        ?.Principal,
    ).toEqual({ AWS: `arn:aws-us-gov:iam::${ACCOUNT}:root` });
  });

  test("the synthesized policy is what buildKeyPolicy builds from the stack's partition and account", () => {
    expect(key.policy).toBe(
      JSON.stringify(buildKeyPolicy({ partition: "aws", account: ACCOUNT, administrators: [ADMIN], users: [USER] })),
    );
  });
});

describe("the key policy a CustomerKey synthesizes, evaluated", () => {
  const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/0b0b0b0b-0000-4000-8000-000000000000`;
  const OTHER = `arn:aws:iam::${ACCOUNT}:role/CloudAdministrators`;
  const SLR = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
  const FOR_AWS = { "kms:GrantIsForAWSResource": "true" };
  const NOT_FOR_AWS = { "kms:GrantIsForAWSResource": "false" };
  const policyOf = (props: CustomerKeyProps) => JSON.parse(kmsKey(keyJson(props)).policy as string) as PolicyDocument;
  const account = policyOf({ ...minimal, serviceRoles: [SLR] });
  const closed = policyOf({ ...minimal, policy: "closed" });

  type Row = [
    label: string,
    policy: PolicyDocument,
    principal: string,
    action: string,
    context: Record<string, string> | undefined,
    identity: PolicyDocument[] | undefined,
    expected: Decision,
  ];
  const rows: Row[] = [
    ["administrator manages the key", account, ADMIN, "kms:ScheduleKeyDeletion", undefined, undefined, "Allowed"],
    [
      "administrator with AdministratorAccess cannot decrypt",
      account,
      ADMIN,
      "kms:Decrypt",
      undefined,
      [ADMINISTRATOR_ACCESS],
      "ExplicitlyDenied",
    ],
    [
      "administrator cannot create grants",
      account,
      ADMIN,
      "kms:CreateGrant",
      FOR_AWS,
      [ADMINISTRATOR_ACCESS],
      "ExplicitlyDenied",
    ],
    ["user encrypts", account, USER, "kms:Encrypt", undefined, undefined, "Allowed"],
    ["user creates a grant for an AWS resource", account, USER, "kms:CreateGrant", FOR_AWS, undefined, "Allowed"],
    [
      "user cannot create a grant for anything else",
      account,
      USER,
      "kms:CreateGrant",
      NOT_FOR_AWS,
      undefined,
      "ImplicitlyDenied",
    ],
    [
      "user with AdministratorAccess cannot change the policy",
      account,
      USER,
      "kms:PutKeyPolicy",
      undefined,
      [ADMINISTRATOR_ACCESS],
      "ExplicitlyDenied",
    ],
    [
      "service-linked role creates a grant for an AWS resource",
      account,
      SLR,
      "kms:CreateGrant",
      FOR_AWS,
      undefined,
      "Allowed",
    ],
    [
      "service-linked role cannot create a grant for anything else",
      account,
      SLR,
      "kms:CreateGrant",
      NOT_FOR_AWS,
      undefined,
      "ImplicitlyDenied",
    ],
    ["service-linked role decrypts", account, SLR, "kms:Decrypt", undefined, undefined, "Allowed"],
    [
      "service-linked role cannot schedule deletion",
      account,
      SLR,
      "kms:ScheduleKeyDeletion",
      undefined,
      undefined,
      "ExplicitlyDenied",
    ],
    [
      "account form: an unlisted identity with AdministratorAccess decrypts",
      account,
      OTHER,
      "kms:Decrypt",
      undefined,
      [ADMINISTRATOR_ACCESS],
      "Allowed",
    ],
    [
      "closed form: an unlisted identity with AdministratorAccess cannot decrypt",
      closed,
      OTHER,
      "kms:Decrypt",
      undefined,
      [ADMINISTRATOR_ACCESS],
      "ImplicitlyDenied",
    ],
    [
      "closed form: an unlisted identity with AdministratorAccess cannot change the policy",
      closed,
      OTHER,
      "kms:PutKeyPolicy",
      undefined,
      [ADMINISTRATOR_ACCESS],
      "ImplicitlyDenied",
    ],
    [
      "closed form: the administrator keeps PutKeyPolicy",
      closed,
      ADMIN,
      "kms:PutKeyPolicy",
      undefined,
      undefined,
      "Allowed",
    ],
    [
      "closed form: no service-linked role unless listed",
      closed,
      SLR,
      "kms:CreateGrant",
      FOR_AWS,
      undefined,
      "ImplicitlyDenied",
    ],
    [
      "another account's administrator cannot decrypt",
      account,
      "arn:aws:iam::999999999999:role/Admin",
      "kms:Decrypt",
      undefined,
      [ADMINISTRATOR_ACCESS],
      "ImplicitlyDenied",
    ],
  ];
  test.each(rows)("%s", async (_label, policy, principal, action, context, identity, expected) => {
    expect(
      await decide({
        principal,
        action,
        resource: KEY_ARN,
        resourceAccount: ACCOUNT,
        context,
        identityPolicies: identity,
        resourcePolicy: policy,
      }),
    ).toBe(expected);
  });
});

describe("CustomerKey in a custom key store", () => {
  test("a CloudHSM key: created in the store after it is ready, rotation off by default, the rotation rule suppressed with its reason", () => {
    const stack = testStack();
    const key = new CustomerKey(stack, "records", { ...minimal, keyStore: cloudHsmStore });
    const json = kmsKey(synth(stack));
    expect(json).toMatchObject({
      custom_key_store_id: "cks-1234567890",
      enable_key_rotation: false,
      tags: { Name: "t/app", KeyStore: "cloudhsm" },
    });
    expect(json.xks_key_id).toBeUndefined();
    expect(key.store).toBe("cloudhsm");
    const rotation = checkCompliance([stack]).findings.filter((f) => f.ruleId === "CKV_AWS_7");
    expect(rotation.map((f) => [f.path, Boolean(f.suppressedBecause)])).toEqual([["test/records/key", true]]);
  });

  test("an XKS key carries its external key id", () => {
    expect(kmsKey(keyJson({ ...minimal, keyStore: xksStore, xksKeyId: "ext-key-1" }))).toMatchObject({
      custom_key_store_id: "cks-0987654321",
      xks_key_id: "ext-key-1",
      enable_key_rotation: false,
    });
  });

  test("the key waits for the store to be ready and for dependsOn (e.g. a service-linked role it names)", () => {
    const stack = testStack();
    const slr = new ServiceLinkedRole(stack, "slr", {
      roleArn: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
    });
    const connected = new ServiceLinkedRole(stack, "connected", {
      roleArn: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS`,
    });
    new CustomerKey(stack, "records", {
      ...minimal,
      keyStore: { ...cloudHsmStore, readyWhen: [connected] },
      dependsOn: [slr],
    });
    expect(kmsKey(synth(stack)).depends_on).toEqual([
      "aws_iam_service_linked_role.connected",
      "aws_iam_service_linked_role.slr",
    ]);
  });
});

describe("CustomerKey refuses props it cannot build from, every problem at once", () => {
  const P = "test/appData";
  test.each<[string, Partial<CustomerKeyProps>, string[]]>([
    [
      "fails when the deletion window is 45 days",
      { deletionWindowDays: 45 },
      [`${P}.deletionWindowDays: 45 is not allowed (7 to 30 days, KMS ScheduleKeyDeletion PendingWindowInDays)`],
    ],
    [
      "fails when the deletion window is 6 days",
      { deletionWindowDays: 6 },
      [`${P}.deletionWindowDays: 6 is not allowed (7 to 30 days, KMS ScheduleKeyDeletion PendingWindowInDays)`],
    ],
    [
      "fails when the deletion window is not whole days",
      { deletionWindowDays: 7.5 },
      [`${P}.deletionWindowDays: 7.5 is not allowed (7 to 30 days, KMS ScheduleKeyDeletion PendingWindowInDays)`],
    ],
    [
      "fails when the alias lacks the alias/ prefix",
      { alias: "t/app" },
      [
        `${P}.alias: "t/app" is not allowed ('alias/' then letters, digits, ':', '/', '_', '-', at most 256 chars, not 'alias/aws/...' (reserved for AWS managed keys), KMS CreateAlias AliasName)`,
      ],
    ],
    [
      "fails when the alias is in the reserved alias/aws/ namespace",
      { alias: "alias/aws/s3" },
      [
        `${P}.alias: "alias/aws/s3" is not allowed ('alias/' then letters, digits, ':', '/', '_', '-', at most 256 chars, not 'alias/aws/...' (reserved for AWS managed keys), KMS CreateAlias AliasName)`,
      ],
    ],
    [
      "fails when the alias is longer than 256 chars",
      { alias: `alias/${"a".repeat(251)}` },
      [
        `${P}.alias: "alias/${"a".repeat(251)}" is not allowed ('alias/' then letters, digits, ':', '/', '_', '-', at most 256 chars, not 'alias/aws/...' (reserved for AWS managed keys), KMS CreateAlias AliasName)`,
      ],
    ],
    [
      "fails when rotation is asked for a key in a custom key store (refused, not passed through)",
      { keyStore: cloudHsmStore, rotation: true },
      [
        `${P}.rotation: true is not allowed (keys in a custom key store cannot rotate automatically, KMS EnableKeyRotation)`,
      ],
    ],
    [
      "fails when a store key has no key store",
      { store: "xks", xksKeyId: "k1" },
      [
        `${P}.keyStore: (missing) is not allowed (a "xks" key is created in a xks key store, KMS CreateKey CustomKeyStoreId)`,
      ],
    ],
    [
      "fails when the key store is of the other kind",
      { store: "xks", xksKeyId: "k1", keyStore: cloudHsmStore },
      [
        `${P}.keyStore.kind: "cloudhsm" is not allowed (store is "xks": the key store must be of the same kind, KMS CreateKey CustomKeyStoreId)`,
      ],
    ],
    [
      "fails when an aws-kms key is given a key store",
      { store: "aws-kms", keyStore: cloudHsmStore },
      [
        `${P}.keyStore.kind: "cloudhsm" is not allowed (store is "aws-kms": an AWS-KMS key is not created in a custom key store, KMS CreateKey CustomKeyStoreId)`,
      ],
    ],
    [
      "fails when an XKS key has no external key id",
      { keyStore: xksStore },
      [`${P}.xksKeyId: (missing) is not allowed (required for a key in an external key store, KMS CreateKey XksKeyId)`],
    ],
    [
      "fails when the external key id has characters KMS refuses",
      { keyStore: xksStore, xksKeyId: "key 1" },
      [`${P}.xksKeyId: "key 1" is not allowed (1-128 chars of letters, digits, '-', '_', '.', KMS CreateKey XksKeyId)`],
    ],
    [
      "fails when a principal's IAM name is longer than IAM allows (the validation table's rule, IAM.principalLengthsOk)",
      { users: [`arn:aws:iam::${ACCOUNT}:role/team/${"n".repeat(65)}`] },
      [
        `${P}.users.0: "arn:aws:iam::${ACCOUNT}:role/team/${"n".repeat(65)}" is not allowed (a role or user name of at most 64 chars and a path of at most 512 chars, IAM quotas)`,
      ],
    ],
    [
      "fails when a key outside an external key store has an external key id",
      { xksKeyId: "k1" },
      [
        `${P}.xksKeyId: "k1" is not allowed (only for a key in an external key store (store is "aws-kms"), KMS CreateKey XksKeyId)`,
      ],
    ],
    [
      "fails when a closed key policy has no administrator (nobody could manage the key)",
      { policy: "closed", administrators: [] },
      [
        `${P}.administrators: [] is not allowed (at least one administrator for a closed key policy, or nobody could manage the key)`,
      ],
    ],
    [
      "fails when a role list is empty (a key policy statement without a principal)",
      { administrators: [], users: [] },
      [
        `${P}.administrators: [] is not allowed (at least one administrator: a key policy statement without a principal is refused, KMS CreateKey MalformedPolicyDocumentException)`,
        `${P}.users: [] is not allowed (at least one user: a key policy statement without a principal is refused, KMS CreateKey MalformedPolicyDocumentException)`,
      ],
    ],
    [
      "fails when a principal is not an IAM role or user ARN",
      { administrators: ["KeyAdmins"], users: [`arn:aws:iam::${ACCOUNT}:root`] },
      [
        `${P}.administrators.0: "KeyAdmins" is not allowed (an IAM role or user ARN of the partition aws (arn:aws:iam::<account>:role/<name>), key policy Principal)`,
        `${P}.users.0: "arn:aws:iam::${ACCOUNT}:root" is not allowed (an IAM role or user ARN of the partition aws (arn:aws:iam::<account>:role/<name>), key policy Principal)`,
      ],
    ],
    [
      "fails when a principal is in another partition than the stack",
      { users: [USER, `arn:aws-cn:iam::${ACCOUNT}:role/AppWriters`] },
      [
        `${P}.users.1: "arn:aws-cn:iam::${ACCOUNT}:role/AppWriters" is not allowed (an IAM role or user ARN of the partition aws (arn:aws:iam::<account>:role/<name>), key policy Principal)`,
      ],
    ],
    [
      "fails when a user is also an administrator (IAM names compared case-insensitively)",
      { users: [ADMIN.toLowerCase()] },
      [
        `${P}.users.0: "${ADMIN.toLowerCase()}" is not allowed (also an administrator of this key: administrators are denied its use and users its administration, so it could do neither)`,
      ],
    ],
    [
      "reports every problem at once",
      { alias: "alias/aws/x", deletionWindowDays: 45, keyStore: cloudHsmStore, rotation: true, xksKeyId: "k1" },
      [
        `${P}.alias: "alias/aws/x" is not allowed ('alias/' then letters, digits, ':', '/', '_', '-', at most 256 chars, not 'alias/aws/...' (reserved for AWS managed keys), KMS CreateAlias AliasName)`,
        `${P}.deletionWindowDays: 45 is not allowed (7 to 30 days, KMS ScheduleKeyDeletion PendingWindowInDays)`,
        `${P}.rotation: true is not allowed (keys in a custom key store cannot rotate automatically, KMS EnableKeyRotation)`,
        `${P}.xksKeyId: "k1" is not allowed (only for a key in an external key store (store is "cloudhsm"), KMS CreateKey XksKeyId)`,
      ],
    ],
  ])("%s", (_label, change, lines) => {
    expect(propsErrorLines(() => new CustomerKey(testStack(), "appData", { ...minimal, ...change }))).toEqual(lines);
  });

  test("the first accepted values on each side of the deletion window", () => {
    expect(kmsKey(keyJson({ ...minimal, deletionWindowDays: 7 })).deletion_window_in_days).toBe(7);
    expect(kmsKey(keyJson({ ...minimal, deletionWindowDays: 30 })).deletion_window_in_days).toBe(30);
  });

  test("fails when the stack is not an EnvironmentStack (it has no account or partition to read)", () => {
    expect(propsErrorLines(() => new CustomerKey(new TerraformStack(new App(), "plain"), "appData", minimal))).toEqual([
      'plain/appData: is in the stack "plain", which is not an EnvironmentStack (its constructs read the account, Region, partition and name prefix from an EnvironmentStack: new EnvironmentStack(app, id, { name, account, region }))',
    ]);
  });

  test("refuses nothing it cannot judge: principals that are Terraform references pass through", () => {
    const stack = testStack();
    const role = new TerraformVariable(stack, "app_role", { type: "string" });
    new CustomerKey(stack, "appData", { ...minimal, users: [role.stringValue] });
    expect(kmsKey(synth(stack)).policy).toContain("${var.app_role}");
  });
});

test("grants for consumers are created in the consumer's stack", () => {
  const app = Testing.app();
  const keyStack = new EnvironmentStack(app, "k", { name: "t", account: ACCOUNT, region: "eu-west-1" });
  const consumer = new EnvironmentStack(app, "c", { name: "t", account: ACCOUNT, region: "eu-west-1" });
  const key = new CustomerKey(keyStack, "key", minimal);
  const grant = key.grantEncryptDecrypt(consumer, "app-grant", `arn:aws:iam::${ACCOUNT}:role/App`);
  expect(TerraformStack.of(grant)).toBe(consumer);
  expect(grant.operationsInput).toEqual([
    "Encrypt",
    "Decrypt",
    "ReEncryptFrom",
    "ReEncryptTo",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "DescribeKey",
  ]);
  expect(grant.granteePrincipalInput).toBe(`arn:aws:iam::${ACCOUNT}:role/App`);
  expect(grant.nameInput).toBe("app-grant");
});

test("policy principals come out sorted, so reordering the role lists is not a plan change", () => {
  const a = buildKeyPolicy({ partition: "aws", account: "1", administrators: ["b", "a"], users: ["d", "c"] });
  const b = buildKeyPolicy({ partition: "aws", account: "1", administrators: ["a", "b"], users: ["c", "d"] });
  expect(JSON.stringify(a)).toBe(JSON.stringify(b));
});
