/** SigningKey built alone in a test stack: the resource, its policy, its guards. */
import { Testing } from "cdktf";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { PropsError } from "../../../modules/core/errors";
import { SIGNING_KEY_SPECS, SigningKey, type SigningKeyProps } from "../../../modules/keys/signing-key";
import { SIGNING_KEY_SPECS as SCHEMA_SPECS } from "../../../environments/schema";
import { signingKeysTable } from "../../../environments/validation/keys";
import type { ICustomerKey } from "../../../modules/keys/customer-key";

const ADMIN = "arn:aws:iam::111122223333:role/KeyAdmin";
const SIGNER = "arn:aws:iam::111122223333:role/Signer";
type Json = { resource: Record<string, Record<string, Record<string, unknown>>> };

function synth(props: Partial<SigningKeyProps> = {}, region = "eu-west-1"): Json {
  const stack = new EnvironmentStack(Testing.app(), "test", { name: "test", account: "111122223333", region });
  new SigningKey(stack, "releases", {
    alias: "alias/test/releases",
    keySpec: "ECC_NIST_P256",
    administrators: [ADMIN],
    signers: [SIGNER],
    ...props,
  });
  return JSON.parse(Testing.synth(stack)) as Json;
}
const keyOf = (j: Json) => Object.values(j.resource.aws_kms_key)[0];
const sids = (j: Json) =>
  (JSON.parse(keyOf(j).policy as string) as { Statement: { Sid: string }[] }).Statement.map((s) => s.Sid);

test("an asymmetric SIGN_VERIFY key in AWS KMS: no key store, no rotation, prevent_destroy, 30-day default window, its alias", () => {
  const j = synth();
  expect(keyOf(j)).toMatchObject({
    key_usage: "SIGN_VERIFY",
    customer_master_key_spec: "ECC_NIST_P256",
    enable_key_rotation: false,
    multi_region: false,
    deletion_window_in_days: 30,
    bypass_policy_lockout_safety_check: false,
    description: "Signing key releases",
    lifecycle: { prevent_destroy: true },
    tags: { Name: "test/releases", KeyStore: "aws-kms" },
  });
  expect(keyOf(j).custom_key_store_id).toBeUndefined();
  expect(Object.values(j.resource.aws_kms_alias)[0]).toMatchObject({ name: "alias/test/releases" });
});

test("the policy has a statement only for the roles given, with the stack's partition and account", () => {
  expect(sids(synth())).toEqual([
    "AccountRootKeepsAccess",
    "KeyAdministration",
    "AdministratorsCannotUseKey",
    "Signing",
    "UsersCannotManageKey",
  ]);
  const all = synth(
    {
      verifiers: ["arn:aws-cn:iam::111122223333:role/V"],
      publicKeyReaders: ["arn:aws-cn:iam::111122223333:role/R"],
      signers: ["arn:aws-cn:iam::111122223333:role/S"],
      administrators: ["arn:aws-cn:iam::111122223333:role/A"],
      policy: "closed",
    },
    "cn-north-1",
  );
  expect(sids(all)).toEqual([
    "KeyAdministration",
    "AdministratorsCannotUseKey",
    "Signing",
    "Verification",
    "PublicKeyReading",
    "UsersCannotManageKey",
  ]);
  const china = JSON.parse(keyOf(synth({}, "cn-north-1")).policy as string) as {
    Statement: { Principal: { AWS: string } }[];
  };
  expect(china.Statement[0].Principal.AWS).toBe("arn:aws-cn:iam::111122223333:root");
});

test("every invariant is guarded at once, one line each", () => {
  const stack = new EnvironmentStack(Testing.app(), "test", {
    name: "test",
    account: "111122223333",
    region: "eu-west-1",
  });
  let error: unknown;
  try {
    new SigningKey(stack, "bad", {
      alias: "alias/aws/x",
      keySpec: "SYMMETRIC_DEFAULT" as never,
      administrators: [],
      deletionWindowDays: 45,
    });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(PropsError);
  expect((error as PropsError).lines).toEqual([
    'test/bad.keySpec: "SYMMETRIC_DEFAULT" is not allowed (RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, KMS CreateKey KeySpec for SIGN_VERIFY)',
    "test/bad.alias: \"alias/aws/x\" is not allowed ('alias/' then letters, digits, ':', '/', '_', '-', at most 256 chars, not 'alias/aws/...' (reserved for AWS managed keys), KMS CreateAlias AliasName)",
    "test/bad.deletionWindowDays: 45 is not allowed (7 to 30 days, KMS ScheduleKeyDeletion PendingWindowInDays)",
    "test/bad.administrators: [] is not allowed (at least one administrator, or nobody but the account root could manage the key)",
    "test/bad.signers: (missing) is not allowed (at least one signer, verifier or public-key reader: a signing key nobody may use)",
  ]);
});

test("principals of another account are refused (signing keys are not shared; administration stays in the key's account)", () => {
  const stack = new EnvironmentStack(Testing.app(), "test", {
    name: "test",
    account: "111122223333",
    region: "eu-west-1",
  });
  let error: unknown;
  try {
    new SigningKey(stack, "release", {
      alias: "alias/test/release",
      keySpec: "ECC_NIST_P256",
      administrators: ["arn:aws:iam::555555555555:role/KeyAdmin"],
      signers: ["arn:aws:iam::111122223333:role/Signer"],
      verifiers: ["arn:aws:iam::555555555555:role/Verifier"],
    });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(PropsError);
  expect((error as PropsError).lines).toEqual([
    'test/release.administrators.0: "arn:aws:iam::555555555555:role/KeyAdmin" is not allowed (a principal of the key\'s account 111122223333: signing keys are not shared with other accounts, KMS key policies)',
    'test/release.verifiers.0: "arn:aws:iam::555555555555:role/Verifier" is not allowed (a principal of the key\'s account 111122223333: signing keys are not shared with other accounts, KMS key policies)',
  ]);
});

test("the construct, the schema and the validation table offer the same key specs", () => {
  expect([...SCHEMA_SPECS]).toEqual([...SIGNING_KEY_SPECS]);
  const rule = signingKeysTable.fields.find((f) => f.field === "signingKeys.*.keySpec")?.rule;
  const words = (spec: string) =>
    typeof rule === "function" ? rule({ env: {} as never, parent: { keySpec: spec }, segments: [] }) : rule;
  expect(words("RSA_2048")).toBe(SIGNING_KEY_SPECS.join(", "));
});

test.each([
  ["ML_DSA_44", "6.1.0"],
  ["ML_DSA_65", "6.1.0"],
  ["ML_DSA_87", "6.1.0"],
  ["ECC_NIST_EDWARDS25519", "6.21.0"],
])("%s is refused by the construct, naming the provider release that accepts it (%s)", (spec, version) => {
  const stack = new EnvironmentStack(Testing.app(), "test", {
    name: "test",
    account: "111122223333",
    region: "eu-west-1",
  });
  let error: unknown;
  try {
    new SigningKey(stack, "pq", {
      alias: "alias/test/pq",
      keySpec: spec as never,
      administrators: [ADMIN],
      signers: [SIGNER],
    });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(PropsError);
  expect((error as PropsError).lines).toEqual([
    `test/pq.keySpec: "${spec}" is not allowed (RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1; KMS offers ${spec} but the AWS provider 5.100.0 that npm run validate plans with rejects it (the provider accepts it from ${version}), KMS CreateKey KeySpec for SIGN_VERIFY)`,
  ]);
});

test("a SigningKey is not an ICustomerKey: S3, EBS and FSx constructs cannot be given one", () => {
  const stack = new EnvironmentStack(Testing.app(), "test", {
    name: "test",
    account: "111122223333",
    region: "eu-west-1",
  });
  const key = new SigningKey(stack, "k", {
    alias: "alias/k",
    keySpec: "RSA_2048",
    administrators: [ADMIN],
    signers: [SIGNER],
  });
  // @ts-expect-error: no grant(), no store: the type system refuses it where a consumer wants a key.
  const asConsumerKey: ICustomerKey = key;
  expect(asConsumerKey).toBe(key);
  expect("grantEncryptDecrypt" in key).toBe(false);
});
