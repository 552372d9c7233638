/** CloudHsm with scaleToZero built alone: who owns the HSMs in each phase, and what the construct refuses (all at once). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CloudHsm, type CloudHsmProps } from "../../../modules/cloudhsm/cloudhsm";
import { NETWORK, all, errorLines, synth, testStack } from "./stack";

const pem = (f: string) => readFileSync(join(__dirname, "../../hooks/fixtures", f), "utf8");
const PROPS: CloudHsmProps = {
  network: NETWORK,
  hsmAzs: ["eu-west-1a", "eu-west-1b"],
  keyStoreName: "t-cloudhsm",
  adminHost: { cliPackage: "s3://t-software-111111111111/cloudhsm/cloudhsm-cli.rpm" },
  trust: { mode: "provided", certificatePem: pem("cluster-cert.pem"), trustAnchorPem: pem("trust-anchor.pem") },
  scaleToZero: { downAt: "20:00", upAt: "06:30", weekdays: ["MON", "WED"], timezone: "UTC" },
};
const build = (props: Partial<CloudHsmProps> = {}, runner: "local" | "lambda" = "lambda") => {
  const stack = testStack(runner);
  const hsm = new CloudHsm(stack, "cloudhsm", { ...PROPS, ...props });
  return { hsm, json: synth(stack) };
};

test("ready: no aws_cloudhsm_v2_hsm; ensure-hsms for the first HSM and for all; the schedules; the window for the alarms", () => {
  const { hsm, json } = build();
  expect(all(json, "aws_cloudhsm_v2_hsm")).toEqual({});
  const inputs = Object.values(all(json, "aws_lambda_invocation")).map((i) => JSON.parse(i.input as string));
  const ensure = inputs.filter((i) => i.step === "ensure-hsms" && i.attempt === 1).map((i) => i.hsmAzs);
  expect(ensure.sort()).toEqual(["eu-west-1a", "eu-west-1a,eu-west-1b"]);
  const schedules = Object.values(all(json, "aws_scheduler_schedule"));
  expect(schedules.map((s) => s.schedule_expression).sort()).toEqual(
    [
      "cron(0 20 ? * MON,WED *)",
      "cron(15 20 ? * MON,WED *)",
      "cron(30 20 ? * MON,WED *)",
      "cron(30 6 ? * MON,WED *)",
      "cron(45 20 ? * MON,WED *)",
      "cron(45 6 ? * MON,WED *)",
      "cron(0 7 ? * MON,WED *)",
      "cron(15 7 ? * MON,WED *)",
    ].sort(),
  );
  expect(hsm.scaleWindow).toEqual({
    downAt: "20:00",
    upAt: "06:30",
    weekdays: ["MON", "WED"],
    timezone: "UTC",
    upMinutes: 60,
  });
});

test("awaiting the certificate: the first HSM comes from ensure-hsms too (Terraform never owns one), no schedule yet", () => {
  const { hsm, json } = build({ phase: "awaiting-certificate", trust: undefined });
  expect(all(json, "aws_cloudhsm_v2_hsm")).toEqual({});
  expect(all(json, "aws_scheduler_schedule")).toEqual({});
  expect(hsm.scaleWindow).toBeUndefined();
  const inputs = Object.values(all(json, "aws_lambda_invocation")).map((i) => JSON.parse(i.input as string));
  expect(inputs.filter((i) => i.step === "ensure-hsms").map((i) => i.hsmAzs)).toContain("eu-west-1a");
});

test("without scaleToZero nothing changes: Terraform owns every HSM", () => {
  const { json } = build({ scaleToZero: undefined });
  expect(Object.keys(all(json, "aws_cloudhsm_v2_hsm"))).toHaveLength(2);
  expect(all(json, "aws_scheduler_schedule")).toEqual({});
});

test("the local runner and bad times: every problem at once, each naming its prop", () => {
  const stack = testStack("local");
  expect(
    errorLines(
      () =>
        new CloudHsm(stack, "cloudhsm", {
          ...PROPS,
          scaleToZero: { downAt: "25:00", upAt: "06:30", weekdays: [], timezone: "Nowhere/Land" },
        }),
    ),
  ).toEqual([
    'test/cloudhsm/scale-to-zero.downAt: "25:00" is not allowed (HH:MM on a 24-hour clock (00:00 to 23:59), EventBridge Scheduler cron)',
    "test/cloudhsm/scale-to-zero.weekdays: [] is not allowed (a non-empty list of distinct MON, TUE, WED, THU, FRI, SAT, SUN, EventBridge Scheduler cron day-of-week)",
    'test/cloudhsm/scale-to-zero.timezone: "Nowhere/Land" is not allowed (an IANA time zone name such as UTC or Europe/Berlin, Scheduler ScheduleExpressionTimezone)',
    'test/cloudhsm/scale-to-zero: the stack\'s HookRuntime runner "local" is not allowed (scale-down and scale-up run on a schedule in the hook Lambda function: the lambda runner, with its network)',
  ]);
});

test("turning it on for an existing cluster: removed blocks (destroy = false) for every HSM address Terraform owned, no cluster", () => {
  const { json } = build();
  const removed = (json as { removed?: { from: string; lifecycle: { destroy: boolean } }[] }).removed ?? [];
  expect(removed.map((r) => r.lifecycle)).toEqual([{ destroy: false }, { destroy: false }]);
  // The same addresses the HSMs have without scaleToZero.
  const owned = Object.keys(all(build({ scaleToZero: undefined }).json, "aws_cloudhsm_v2_hsm")).map(
    (n) => `aws_cloudhsm_v2_hsm.${n}`,
  );
  expect(removed.map((r) => r.from).sort()).toEqual(owned.sort());
});

test("without scaleToZero there is no removed block", () => {
  expect((build({ scaleToZero: undefined }).json as { removed?: unknown }).removed).toBeUndefined();
});
