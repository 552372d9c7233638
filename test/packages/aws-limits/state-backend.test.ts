import { STATE_BACKEND } from "@cmk-stacks/aws-limits";
import { describeShape } from "./rules";

describeShape("STATE_BACKEND", STATE_BACKEND, [
  "docs.aws.amazon.com",
  "developer.hashicorp.com",
  "datatracker.ietf.org",
]);

test("the state key of a stack: <prefix>/<stack>.tfstate, prefix cmk by default", () => {
  expect(STATE_BACKEND.stateKey("prod-keys")).toBe("cmk/prod-keys.tfstate");
  expect(STATE_BACKEND.stateKey("prod-keys", "team/a")).toBe("team/a/prod-keys.tfstate");
});

test.each([
  ["cmk", true],
  ["team/a", true],
  ["/cmk", false],
  ["cmk/", false],
  ["a//b", false],
  ["a b", false],
])("key prefix %s: %s", (prefix, ok) => {
  expect(STATE_BACKEND.KEY_PREFIX_PATTERN.test(prefix)).toBe(ok);
});

test.each([
  ["", true],
  ["a".repeat(60), true],
  ["a".repeat(61), false],
  ["team-1_", true],
  ["team.1", false],
])("workspace prefix %p: %s", (prefix, ok) => {
  expect(STATE_BACKEND.CLOUD_WORKSPACE_PREFIX.test(prefix)).toBe(ok);
});

test.each([
  ["arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab", true],
  ["arn:aws:kms:eu-west-1:111111111111:key/mrk-1234abcd12ab34cd56ef1234567890ab", true],
  ["arn:aws:kms:eu-west-1:111111111111:alias/terraform-state", true],
  ["arn:aws:kms:eu-west-1:111111111111:alias/aws/s3", false],
  ["alias/terraform-state", false],
  ["1234abcd-12ab-34cd-56ef-1234567890ab", false],
])("state key %s: %s", (arn, ok) => {
  expect(STATE_BACKEND.KMS_KEY_OR_ALIAS_ARN.test(arn)).toBe(ok);
});

test("defaults: S3-native locking on (Terraform 1.10 or later), app.terraform.io", () => {
  expect([
    STATE_BACKEND.USE_LOCKFILE.value,
    STATE_BACKEND.CLOUD_HOSTNAME.value,
    STATE_BACKEND.LOCKFILE_MIN_TERRAFORM.value,
  ]).toEqual([true, "app.terraform.io", "1.10.0"]);
});
