/**
 * Manual rotation of keys that cannot rotate (keys in a CloudHSM or external key store): each
 * generation is a KMS key of its own, the aliases move to the current one, earlier ones are kept for
 * decryption only, and a generation listed in `retired` is left out (its deletion scheduled).
 * Synthesized resources and their key policies, evaluated.
 */
import { Testing } from "cdktf";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { CustomerKey, type CustomerKeyProps } from "../../../modules/keys/customer-key";
import type { IKeyStore } from "../../../modules/keystores/key-store";
import { ADMINISTRATOR_ACCESS, decide, type PolicyDocument } from "../../helpers/policy-eval";
import { propsErrorLines, type StackJson } from "../../helpers/synth";

const ACCOUNT = "111111111111";
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/KeyAdmins`;
const USER = `arn:aws:iam::${ACCOUNT}:role/AppWriters`;
const WRITER = `arn:aws:iam::${ACCOUNT}:role/Ingest`;
const READER = `arn:aws:iam::${ACCOUNT}:role/Audit`;
const OTHER = "222222222222";
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
const cloudHsmStore: IKeyStore = { kind: "cloudhsm", keyStoreId: "cks-1234567890", readyWhen: [] };
const xksStore: IKeyStore = { kind: "xks", keyStoreId: "cks-0987654321", readyWhen: [] };
const base: CustomerKeyProps = {
  alias: "alias/t/app",
  aliases: ["alias/t/reports"],
  administrators: [ADMIN],
  users: [USER],
  keyStore: cloudHsmStore,
};
const MANUAL = "https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys-manually.html";

const testStack = () =>
  new EnvironmentStack(Testing.app(), "test", { name: "t", account: ACCOUNT, region: "eu-west-1" });
const keyJson = (props: Partial<CustomerKeyProps>): StackJson => {
  const stack = testStack();
  new CustomerKey(stack, "appData", { ...base, ...props });
  return JSON.parse(Testing.synth(stack)) as StackJson;
};
type Res = Record<string, Record<string, unknown>>;
const keys = (json: StackJson): Res => (json.resource?.aws_kms_key ?? {}) as Res;
const aliases = (json: StackJson): Res => (json.resource?.aws_kms_alias ?? {}) as Res;
const policyOf = (key: Record<string, unknown>) => JSON.parse(key.policy as string) as PolicyDocument;
const refusal = (props: Partial<CustomerKeyProps>) =>
  propsErrorLines(() => new CustomerKey(testStack(), "appData", { ...base, ...props }));

describe("addresses stay stable", () => {
  test("without generations the key is exactly what it was (no generation tags)", () => {
    const plain = keyJson({});
    expect(Object.keys(keys(plain))).toEqual(["appData_key_18A68D91"]);
    expect(keys(plain).appData_key_18A68D91.tags).toEqual({ Name: "t/app", KeyStore: "cloudhsm" });
  });

  test("generation 2 adds key-gen2 beside the unchanged generation-1 address, and every alias moves to it", () => {
    const plain = keyJson({});
    const rotated = keyJson({ generations: { current: 2 } });
    const k = keys(rotated);
    const gen2 = Object.keys(k).find((id) => id.startsWith("appData_key-gen2_")) as string;
    expect(Object.keys(k).sort()).toEqual(["appData_key_18A68D91", gen2].sort());
    // Same alias addresses (UpdateAlias in place, never a new alias), now pointing at generation 2.
    expect(Object.keys(aliases(rotated)).sort()).toEqual(Object.keys(aliases(plain)).sort());
    for (const a of Object.values(aliases(rotated))) expect(a.target_key_id).toBe(`\${aws_kms_key.${gen2}.key_id}`);
    // Same store, same settings; its own description and generation tags.
    expect(k[gen2]).toMatchObject({
      custom_key_store_id: "cks-1234567890",
      customer_master_key_spec: "SYMMETRIC_DEFAULT",
      enable_key_rotation: false,
      deletion_window_in_days: 30,
      description: "Customer key appData (t) generation 2",
      tags: { Name: "t/app", KeyStore: "cloudhsm", KeyGeneration: "2", KeyGenerationState: "current" },
      lifecycle: { prevent_destroy: true },
    });
    expect(k.appData_key_18A68D91).toMatchObject({
      description: "Customer key appData (t)",
      custom_key_store_id: "cks-1234567890",
      tags: { Name: "t/app", KeyStore: "cloudhsm", KeyGeneration: "1", KeyGenerationState: "superseded" },
      lifecycle: { prevent_destroy: true },
    });
  });

  test("generation 3 keeps generations 1 and 2 at their addresses; retiring 1 leaves it out and nothing else moves", () => {
    const two = keys(keyJson({ generations: { current: 2 } }));
    const three = keys(keyJson({ generations: { current: 3 } }));
    const retired = keys(keyJson({ generations: { current: 3, retired: [1] } }));
    const gen2 = Object.keys(two).find((id) => id.includes("key-gen2")) as string;
    const gen3 = Object.keys(three).find((id) => id.includes("key-gen3")) as string;
    expect(Object.keys(three).sort()).toEqual(["appData_key_18A68D91", gen2, gen3].sort());
    expect(Object.keys(retired).sort()).toEqual([gen2, gen3].sort());
    expect(three[gen2].tags).toMatchObject({ KeyGeneration: "2", KeyGenerationState: "superseded" });
  });

  test("in an external key store each generation uses its own external key", () => {
    const k = keys(
      keyJson({ keyStore: xksStore, xksKeyId: "ext-1", generations: { current: 2, xksKeyIds: { "2": "ext-2" } } }),
    );
    expect(Object.values(k).map((x) => [x.xks_key_id, (x.tags as Record<string, string>).KeyGeneration])).toEqual(
      expect.arrayContaining([
        ["ext-1", "1"],
        ["ext-2", "2"],
      ]),
    );
  });
});

describe("the superseded generation is decrypt-only for its users (evaluated)", () => {
  const props: Partial<CustomerKeyProps> = {
    generations: { current: 2 },
    encryptOnlyUsers: [WRITER],
    decryptOnlyUsers: [READER],
    externalAccounts: [{ account: OTHER, allow: ["use"] }],
  };
  const all = keys(keyJson(props));
  const gen1 = policyOf(all.appData_key_18A68D91);
  const gen2 = policyOf(Object.entries(all).find(([id]) => id.includes("key-gen2"))![1]);
  // The other account's side: its own IAM allows everything, so the key policy alone decides.
  const crossAccount = (principal: string) =>
    principal.includes(`::${OTHER}:`) ? { identityPolicies: [ADMINISTRATOR_ACCESS] } : {};
  const ask = (
    policy: PolicyDocument,
    principal: string,
    action: string,
    extra: Partial<Parameters<typeof decide>[0]> = {},
  ) => decide({ principal, action, resource: KEY_ARN, resourceAccount: ACCOUNT, resourcePolicy: policy, ...extra });

  test.each<[string, string, string]>([
    [USER, "kms:Decrypt", "Allowed"],
    [USER, "kms:DescribeKey", "Allowed"],
    [USER, "kms:ReEncryptFrom", "Allowed"],
    [USER, "kms:Encrypt", "ExplicitlyDenied"],
    [USER, "kms:GenerateDataKey", "ExplicitlyDenied"],
    [USER, "kms:GenerateDataKeyWithoutPlaintext", "ExplicitlyDenied"],
    [USER, "kms:ReEncryptTo", "ExplicitlyDenied"],
    [USER, "kms:ScheduleKeyDeletion", "ExplicitlyDenied"],
    [WRITER, "kms:Encrypt", "ExplicitlyDenied"],
    [WRITER, "kms:GenerateDataKey", "ExplicitlyDenied"],
    [READER, "kms:Decrypt", "Allowed"],
    [READER, "kms:Encrypt", "ExplicitlyDenied"],
    [`arn:aws:iam::${OTHER}:root`, "kms:Decrypt", "Allowed"],
    [`arn:aws:iam::${OTHER}:root`, "kms:Encrypt", "ExplicitlyDenied"],
    [`arn:aws:iam::${OTHER}:root`, "kms:GenerateDataKey", "ExplicitlyDenied"],
    [ADMIN, "kms:ScheduleKeyDeletion", "Allowed"],
    [ADMIN, "kms:Decrypt", "ExplicitlyDenied"],
  ])("generation 1: %s %s -> %s", async (principal, action, expected) => {
    expect(await ask(gen1, principal, action, crossAccount(principal))).toBe(expected);
  });

  test("a user with AdministratorAccess still cannot encrypt under generation 1 (account form)", async () => {
    expect(await ask(gen1, USER, "kms:Encrypt", { identityPolicies: [ADMINISTRATOR_ACCESS] })).toBe("ExplicitlyDenied");
  });

  // Anyone of the account whose IAM allows kms:* (the account form's root statement) is no user of the key,
  // yet used to encrypt under generation 1, directly or through a grant it gave itself.
  const OPERATOR = `arn:aws:iam::${ACCOUNT}:role/PlatformOperator`;
  test.each<[string, string]>([
    ["kms:Encrypt", "ExplicitlyDenied"],
    ["kms:GenerateDataKey", "ExplicitlyDenied"],
    ["kms:GenerateDataKeyWithoutPlaintext", "ExplicitlyDenied"],
    ["kms:GenerateDataKeyPair", "ExplicitlyDenied"],
    ["kms:GenerateDataKeyPairWithoutPlaintext", "ExplicitlyDenied"],
    ["kms:ReEncryptTo", "ExplicitlyDenied"],
    ["kms:Decrypt", "Allowed"],
    ["kms:ReEncryptFrom", "Allowed"],
  ])(
    "generation 1, an identity of the account with AdministratorAccess (no user): %s -> %s",
    async (action, expected) => {
      expect(await ask(gen1, OPERATOR, action, { identityPolicies: [ADMINISTRATOR_ACCESS] })).toBe(expected);
    },
  );

  test.each<[string, string[], string, string]>([
    ["a grant to itself to encrypt", ["Encrypt"], "false", "ExplicitlyDenied"],
    ["a grant to itself for data keys", ["Decrypt", "GenerateDataKeyWithoutPlaintext"], "false", "ExplicitlyDenied"],
    ["a grant to itself to re-encrypt to the key", ["ReEncryptTo"], "false", "ExplicitlyDenied"],
    ["a decrypt-only grant", ["Decrypt", "RetireGrant"], "false", "Allowed"],
    ["an AWS resource's decrypt grant (EBS attach)", ["Decrypt"], "true", "Allowed"],
  ])(
    "generation 1, an identity with AdministratorAccess creating %s: %s",
    async (_what, operations, forAws, expected) => {
      expect(
        await ask(gen1, OPERATOR, "kms:CreateGrant", {
          identityPolicies: [ADMINISTRATOR_ACCESS],
          context: { "kms:GrantOperations": operations, "kms:GrantIsForAWSResource": forAws },
        }),
      ).toBe(expected);
    },
  );

  test("generation 2 (current) is untouched: the same identity still encrypts and grants through IAM", async () => {
    expect(await ask(gen2, OPERATOR, "kms:Encrypt", { identityPolicies: [ADMINISTRATOR_ACCESS] })).toBe("Allowed");
    expect(
      await ask(gen2, OPERATOR, "kms:CreateGrant", {
        identityPolicies: [ADMINISTRATOR_ACCESS],
        context: { "kms:GrantOperations": ["Encrypt"], "kms:GrantIsForAWSResource": "false" },
      }),
    ).toBe("Allowed");
  });

  test("an AWS service of `services` writes new logs under generation 2 only (generation 1 decrypt-only for it too)", async () => {
    const TRAIL = `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/audit`;
    const withTrail = keys(keyJson({ ...props, services: [{ service: "cloudtrail", sourceArns: [TRAIL] }] }));
    const old = policyOf(withTrail.appData_key_18A68D91);
    const now = policyOf(Object.entries(withTrail).find(([id]) => id.includes("key-gen2"))![1]);
    // (The evaluator drops kms:EncryptionContext:<key> request keys: the condition key is rewritten to a
    // stand-in it reads, identically in policy and request, as test/modules/keys/multi-region-and-services.test.ts does.)
    const EC = "kms:EncryptionContext:aws:cloudtrail:arn";
    const STAND_IN = "aws:PrincipalTag/kms-ec:aws:cloudtrail:arn";
    const stand = (p: PolicyDocument) => JSON.parse(JSON.stringify(p).replaceAll(EC, STAND_IN)) as PolicyDocument;
    const trail = (policy: PolicyDocument) =>
      ask(stand(policy), "cloudtrail.amazonaws.com", "kms:GenerateDataKey", {
        context: { "aws:SourceArn": TRAIL, [STAND_IN]: TRAIL },
      });
    expect(await trail(now)).toBe("Allowed");
    expect(await trail(old)).toBe("ExplicitlyDenied");
  });

  test("users keep grants for AWS resources on generation 1 (an EBS volume under it still attaches), not others", async () => {
    expect(await ask(gen1, USER, "kms:CreateGrant", { context: { "kms:GrantIsForAWSResource": "true" } })).toBe(
      "Allowed",
    );
    expect(
      await ask(gen1, USER, "kms:CreateGrant", {
        context: { "kms:GrantIsForAWSResource": "true", "kms:GrantOperations": ["Decrypt"] },
      }),
    ).toBe("Allowed");
    expect(await ask(gen1, USER, "kms:CreateGrant", { context: { "kms:GrantIsForAWSResource": "false" } })).toBe(
      "ImplicitlyDenied",
    );
  });

  test.each<[string, string, string]>([
    [USER, "kms:Encrypt", "Allowed"],
    [USER, "kms:GenerateDataKey", "Allowed"],
    [USER, "kms:ReEncryptTo", "Allowed"],
    [USER, "kms:Decrypt", "Allowed"],
    [WRITER, "kms:Encrypt", "Allowed"],
    [WRITER, "kms:Decrypt", "ExplicitlyDenied"],
    [`arn:aws:iam::${OTHER}:root`, "kms:Encrypt", "Allowed"],
  ])("generation 2 (current): %s %s -> %s", async (principal, action, expected) => {
    expect(await ask(gen2, principal, action, crossAccount(principal))).toBe(expected);
  });
});

describe("refusals, every problem at once", () => {
  test("an AWS-KMS key rotates by itself: generations above 1 are refused", () => {
    expect(refusal({ keyStore: undefined, generations: { current: 2 } })).toEqual([
      `test/appData.generations.current: 2 is not allowed (1 for an AWS-KMS key: it rotates automatically or on demand (rotation, rotationPeriodDays), keeping its id and without re-encryption; generations are for keys in a custom key store, which cannot rotate (${MANUAL}), ${MANUAL})`,
    ]);
  });

  test("current below 1, a retired current generation, a repeated and an unknown one", () => {
    expect(refusal({ generations: { current: 0 } })).toEqual([
      `test/appData.generations.current: 0 is not allowed (a whole number from 1 to 100 (100 generations is a century of yearly rotations), ${MANUAL})`,
    ]);
    expect(refusal({ generations: { current: 3, retired: [3, 1, 1, 7] } })).toEqual([
      `test/appData.generations.retired.0: 3 is not allowed (the current generation is never retired: rotate to a new generation first, ${MANUAL})`,
      `test/appData.generations.retired.2: 1 is not allowed (listed once, ${MANUAL})`,
      `test/appData.generations.retired.3: 7 is not allowed (an earlier generation, 1 to 2, ${MANUAL})`,
    ]);
  });

  test("an external key store needs each later generation's external key, new material each time", () => {
    expect(
      refusal({
        keyStore: xksStore,
        xksKeyId: "ext-1",
        generations: { current: 3, xksKeyIds: { "2": "ext-1", "4": "ext-4" } },
      }),
    ).toEqual([
      `test/appData.generations.xksKeyIds.3: (missing) is not allowed (required: generation 3 is a new key in the external key store and needs its own external key (new key material), KMS CreateKey XksKeyId, ${MANUAL})`,
      `test/appData.generations.xksKeyIds.2: "ext-1" is not allowed (the external key of xksKeyId: a new generation needs new key material, another external key, ${MANUAL})`,
      `test/appData.generations.xksKeyIds.4: "ext-4" is not allowed (only for generations 2 to 3 (generation 1 uses xksKeyId), ${MANUAL})`,
    ]);
    expect(refusal({ generations: { current: 2, xksKeyIds: { "2": "ext-2" } } })).toEqual([
      `test/appData.generations.xksKeyIds: {"2":"ext-2"} is not allowed (only for keys in an external key store (store is "cloudhsm"), ${MANUAL})`,
    ]);
  });
});
