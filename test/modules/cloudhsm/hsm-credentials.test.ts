/** HsmCredentials built alone: two empty secrets named from the stack, never destroyed. */
import { HsmCredentials } from "../../../modules/cloudhsm/hsm-credentials";
import { KMSUSER_VERIFIED_TAG } from "../../../hooks/lib/markers";
import { all, errorLines, synth, testStack } from "./stack";

test("no props: the admin and kmsuser secrets, created empty, 30-day recovery window, tagged as key store credentials", () => {
  const stack = testStack();
  new HsmCredentials(stack, "credentials");
  const json = synth(stack);
  expect(
    Object.values(all(json, "aws_secretsmanager_secret")).map((s) => [
      s.name,
      s.recovery_window_in_days,
      s.tags,
      s.lifecycle,
    ]),
  ).toEqual([
    [
      "t/cloudhsm/admin-password",
      30,
      { "cmk:holds": "key-store-credential", Name: "t-cloudhsm-admin-password" },
      { prevent_destroy: true },
    ],
    [
      "t/cloudhsm/kmsuser-password",
      30,
      { "cmk:holds": "key-store-credential", Name: "t-cloudhsm-kmsuser-password" },
      { prevent_destroy: true, ignore_changes: [`tags["${KMSUSER_VERIFIED_TAG}"]`] },
    ],
  ]);
  expect(json.resource.aws_secretsmanager_secret_version).toBeUndefined();
});

test("a shorter recovery window", () => {
  const stack = testStack();
  new HsmCredentials(stack, "credentials", { recoveryWindowInDays: 7 });
  expect(Object.values(all(synth(stack), "aws_secretsmanager_secret")).map((s) => s.recovery_window_in_days)).toEqual([
    7, 7,
  ]);
});

test.each([
  ["fails when the recovery window is shorter than 7 days", 6, "6"],
  ["fails when the recovery window is longer than 30 days", 31, "31"],
  ["fails when the recovery window is not whole days", 7.5, "7.5"],
])("%s", (_name, days, shownValue) => {
  expect(errorLines(() => new HsmCredentials(testStack(), "credentials", { recoveryWindowInDays: days }))).toEqual([
    `test/credentials.recoveryWindowInDays: ${shownValue} is not allowed (7 to 30 days, Secrets Manager DeleteSecret RecoveryWindowInDays)`,
  ]);
});
