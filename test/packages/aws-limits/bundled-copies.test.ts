/**
 * The copies of rulebook rules that the hook bundle still carries: hooks/ and the parts of xks-check
 * that rotate-xks-credential imports are bundled into the hook asset of every stack with hooks, so
 * making them read @cmk-stacks/aws-limits changes that asset's bytes and hash, and with it the
 * synthesized output (which issue 19 keeps byte-identical). Until they are folded in one
 * asset-changing commit, these tests hold each copy to the rulebook's verdict. Delete a case when
 * its copy reads the rulebook.
 */
import { inRange, KMS, SECRETS_MANAGER, XKS } from "@cmk-stacks/aws-limits";
import { STEP_CONTRACT } from "../../../hooks/contract";
import { ID_PATTERNS } from "../../../hooks/lib/validate";
import { validateCredential } from "../../../packages/xks-check/credentials";

test("import-key-material --valid-days: 0 (no expiry) or KMS.KEY_MATERIAL_VALIDITY_DAYS", () => {
  const spec = STEP_CONTRACT["import-key-material"].args.validDays;
  expect([spec.min, spec.max]).toEqual([0, KMS.KEY_MATERIAL_VALIDITY_DAYS.max]);
  expect(inRange(KMS.KEY_MATERIAL_VALIDITY_DAYS, 1)).toBe(true);
});

const ACCESS_KEY_IDS = ["ABCDEFGHIJKLMNOPQRST", "A".repeat(30), "ABCDEFGHIJKLMNOPQRS", "A".repeat(31), "ABCDEFGHIJKLMNOPQRS0", "abcdefghijklmnopqrst"];
const SECRETS = ["a".repeat(43), "aZ09/+=".repeat(9).slice(0, 64), "a".repeat(42), "a".repeat(65), `${"a".repeat(42)}-`];
const GOOD_SECRET = "a".repeat(43);
const GOOD_ID = "ABCDEFGHIJKLMNOPQRST";
const accepted = (values: { accessKeyId: string; secretAccessKey: string }) => {
  try {
    validateCredential(values, { accessKeyId: "id", secretAccessKey: "secret" });
    return true;
  } catch {
    return false;
  }
};

test.each(ACCESS_KEY_IDS)("xks-check (bundled in rotate-xks-credential) judges access key id %s as XKS.ACCESS_KEY_ID does", (id) => {
  expect(accepted({ accessKeyId: id, secretAccessKey: GOOD_SECRET })).toBe(XKS.ACCESS_KEY_ID.regex.test(id));
});

test.each(SECRETS)("xks-check (bundled in rotate-xks-credential) judges secret access key %s as XKS.SECRET_ACCESS_KEY does", (secret) => {
  expect(accepted({ accessKeyId: GOOD_ID, secretAccessKey: secret })).toBe(XKS.SECRET_ACCESS_KEY.regex.test(secret));
});

test.each([
  "arn:aws:secretsmanager:eu-west-1:333333333333:secret:prod/xks-proxy-credential-AbCdEf",
  "arn:aws-us-gov:secretsmanager:us-gov-west-1:333333333333:secret:x_y+z=a.b@c-d",
  "arn:aws:ssm:eu-west-1:111111111111:parameter/xks",
  "arn:aws:secretsmanager:eu-west-1:12345:secret:x",
  "arn:aws:secretsmanager:eu-west-1:333333333333:secret:a b",
  "xks/staging",
])("the hook runners' secretArn pattern judges %s as SECRETS_MANAGER.SECRET_ARN does", (arn) => {
  // The hook copy also takes the aws-iso partitions and any Region-shaped text; on ARNs of the
  // partitions this project deploys to, the two agree.
  expect(ID_PATTERNS.secretArn.test(arn)).toBe(SECRETS_MANAGER.SECRET_ARN.regex.test(arn));
});
