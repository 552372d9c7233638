/** MacKey (HMAC, GENERATE_VERIFY_MAC) built alone in a test stack: the resource, its policy, its guards. */
import { Testing } from "cdktf";
import { KMS } from "@cmk-stacks/aws-limits";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { PropsError } from "../../../modules/core/errors";
import { MacKey, type MacKeyProps } from "../../../modules/keys/mac-key";
import type { ICustomerKey } from "../../../modules/keys/customer-key";
import { decide } from "../../helpers/policy-eval";

const ADMIN = "arn:aws:iam::111122223333:role/KeyAdmin";
const GENERATOR = "arn:aws:iam::111122223333:role/MacGenerator";
const VERIFIER = "arn:aws:iam::111122223333:role/MacVerifier";
type Json = { resource: Record<string, Record<string, Record<string, unknown>>> };

const stackFor = (region = "eu-west-1") =>
  new EnvironmentStack(Testing.app(), "test", { name: "test", account: "111122223333", region });

function synth(props: Partial<MacKeyProps> = {}, region = "eu-west-1"): Json {
  const stack = stackFor(region);
  new MacKey(stack, "webhooks", {
    alias: "alias/test/webhooks",
    administrators: [ADMIN],
    macGenerators: [GENERATOR],
    macVerifiers: [VERIFIER],
    ...props,
  });
  return JSON.parse(Testing.synth(stack)) as Json;
}
const keyOf = (j: Json) => Object.values(j.resource.aws_kms_key)[0];
const policyOf = (j: Json) =>
  JSON.parse(keyOf(j).policy as string) as { Statement: { Sid: string; Principal: { AWS: string | string[] } }[] };
const errorOf = (props: MacKeyProps): PropsError => {
  try {
    new MacKey(stackFor(), "bad", props);
  } catch (e) {
    return e as PropsError;
  }
  throw new Error("no error");
};

test("an HMAC_256 GENERATE_VERIFY_MAC key in AWS KMS: no key store, no rotation, prevent_destroy, 30-day default window, its alias", () => {
  const j = synth();
  expect(keyOf(j)).toMatchObject({
    key_usage: "GENERATE_VERIFY_MAC",
    customer_master_key_spec: "HMAC_256",
    enable_key_rotation: false,
    multi_region: false,
    deletion_window_in_days: 30,
    bypass_policy_lockout_safety_check: false,
    is_enabled: true,
    description: "HMAC key webhooks",
    lifecycle: { prevent_destroy: true },
    tags: { Name: "test/webhooks", KeyStore: "aws-kms" },
  });
  expect(keyOf(j).custom_key_store_id).toBeUndefined();
  expect(keyOf(j).rotation_period_in_days).toBeUndefined();
  expect(j.resource.aws_kms_external_key).toBeUndefined();
  expect(Object.values(j.resource.aws_kms_alias)[0]).toMatchObject({ name: "alias/test/webhooks" });
});

test.each(KMS.HMAC_KEY_SPECS)("key spec %s is synthesized as given", (spec) => {
  expect(keyOf(synth({ keySpec: spec })).customer_master_key_spec).toBe(spec);
});

test("the policy has a statement only for the roles given, with the stack's partition", () => {
  expect(policyOf(synth({ macVerifiers: undefined })).Statement.map((s) => s.Sid)).toEqual([
    "AccountRootKeepsAccess",
    "KeyAdministration",
    "AdministratorsCannotUseKey",
    "MacGeneration",
    "UsersCannotManageKey",
  ]);
  const closed = policyOf(synth({ policy: "closed" }, "cn-north-1"));
  expect(closed.Statement.map((s) => s.Sid)).toEqual([
    "KeyAdministration",
    "AdministratorsCannotUseKey",
    "MacGeneration",
    "MacVerification",
    "UsersCannotManageKey",
  ]);
  expect(policyOf(synth({}, "cn-north-1")).Statement[0].Principal.AWS).toBe("arn:aws-cn:iam::111122223333:root");
});

const KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
test.each([
  [GENERATOR, "kms:GenerateMac", "Allowed"],
  [GENERATOR, "kms:VerifyMac", "ImplicitlyDenied"],
  [GENERATOR, "kms:Decrypt", "ImplicitlyDenied"],
  [GENERATOR, "kms:Encrypt", "ImplicitlyDenied"],
  [GENERATOR, "kms:ScheduleKeyDeletion", "ExplicitlyDenied"],
  [VERIFIER, "kms:VerifyMac", "Allowed"],
  [VERIFIER, "kms:GenerateMac", "ImplicitlyDenied"],
  [VERIFIER, "kms:Decrypt", "ImplicitlyDenied"],
  [VERIFIER, "kms:PutKeyPolicy", "ExplicitlyDenied"],
  [ADMIN, "kms:GenerateMac", "ExplicitlyDenied"],
  [ADMIN, "kms:VerifyMac", "ExplicitlyDenied"],
  [ADMIN, "kms:ScheduleKeyDeletion", "Allowed"],
] as const)("closed policy, evaluated: %s %s is %s", async (principal, action, expected) => {
  const resourcePolicy = policyOf(synth({ policy: "closed" })) as never;
  // Administrators are refused GenerateMac/VerifyMac even with an IAM policy allowing everything.
  const identityPolicies =
    principal === ADMIN || expected === "ExplicitlyDenied"
      ? [{ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }]
      : undefined;
  expect(
    await decide({
      principal,
      action,
      resource: KEY_ARN,
      resourceAccount: "111122223333",
      resourcePolicy,
      identityPolicies,
    }),
  ).toBe(expected);
});

test("every invariant is guarded at once, one line each", () => {
  const error = errorOf({
    alias: "alias/aws/x",
    keySpec: "RSA_2048" as never,
    administrators: [],
    deletionWindowDays: 45,
  });
  expect(error).toBeInstanceOf(PropsError);
  expect(error.lines).toEqual([
    'test/bad.keySpec: "RSA_2048" is not allowed (HMAC_224, HMAC_256, HMAC_384, HMAC_512, KMS CreateKey KeySpec for GENERATE_VERIFY_MAC)',
    "test/bad.alias: \"alias/aws/x\" is not allowed ('alias/' then letters, digits, ':', '/', '_', '-', at most 256 chars, not 'alias/aws/...' (reserved for AWS managed keys), KMS CreateAlias AliasName)",
    "test/bad.deletionWindowDays: 45 is not allowed (7 to 30 days, KMS ScheduleKeyDeletion PendingWindowInDays)",
    "test/bad.administrators: [] is not allowed (at least one administrator, or nobody but the account root could manage the key)",
    "test/bad.macGenerators: (missing) is not allowed (at least one MAC generator or verifier: an HMAC key nobody may use)",
  ]);
});

test("principals of another account are refused (HMAC keys are not shared; administration stays in the key's account)", () => {
  const error = errorOf({
    alias: "alias/test/m",
    administrators: ["arn:aws:iam::555555555555:role/KeyAdmin"],
    macGenerators: [GENERATOR],
    macVerifiers: ["arn:aws:iam::555555555555:role/Verifier"],
  });
  expect(error.lines).toEqual([
    'test/bad.administrators.0: "arn:aws:iam::555555555555:role/KeyAdmin" is not allowed (a principal of the key\'s account 111122223333: HMAC keys are not shared with other accounts, KMS key policies)',
    'test/bad.macVerifiers.0: "arn:aws:iam::555555555555:role/Verifier" is not allowed (a principal of the key\'s account 111122223333: HMAC keys are not shared with other accounts, KMS key policies)',
  ]);
});

test("a MacKey is not an ICustomerKey: S3, EBS and FSx constructs cannot be given one", () => {
  const key = new MacKey(stackFor(), "k", { alias: "alias/k", administrators: [ADMIN], macVerifiers: [VERIFIER] });
  // @ts-expect-error: no grant(), no store: the type system refuses it where a consumer wants a key.
  const asConsumerKey: ICustomerKey = key;
  expect(asConsumerKey).toBe(key);
});
