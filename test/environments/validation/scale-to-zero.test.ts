/**
 * cloudHsm.scaleToZero: refused for production-like environments, every reason at once with its field;
 * accepted for a non-production CloudHSM configuration; the shipped prod refuses it.
 */
import { environments } from "../../../environments";
import type { EnvironmentConfig } from "../../../environments/types";
import { validationMessages } from "../../../environments/validation";
import { resolveEnvironment } from "../../../environments/resolve";
import { sandbox } from "../../stacks/scale-to-zero.fixture";

type Draft = Record<string, any>;
const messagesFor = (env: EnvironmentConfig) => validationMessages({ [env.name]: env });
const SRC = "scale to zero (docs/cloudhsm.md): a scheduled outage of the CloudHSM key store";
const REFUSED = "an environment without cloudHsm.scaleToZero: scale to zero is for non-production only";

test("a non-production CloudHSM environment may scale to zero; defaults: working days, UTC", () => {
  const env = sandbox((e: Draft) => delete e.cloudHsm.scaleToZero.timezone);
  expect(messagesFor(env)).toEqual([]);
  expect(resolveEnvironment(env).cloudHsm?.scaleToZero).toEqual({
    downAt: "19:00",
    upAt: "07:00",
    weekdays: ["MON", "TUE", "WED", "THU", "FRI"],
    timezone: "UTC",
  });
});

test("the shipped prod refuses it: its name", () => {
  const prod = JSON.parse(JSON.stringify(environments.prod)) as Draft;
  prod.cloudHsm.scaleToZero = { downAt: "19:00", upAt: "07:00" };
  expect(messagesFor(prod as EnvironmentConfig)).toEqual([
    `environments.prod.name: "prod" is not allowed (${REFUSED} (the name holds a production word: prod, production, prd, live), ${SRC})`,
    `environments.prod.data.fsx.key: "fileShares" is not allowed (a key outside the CloudHSM store, or no cloudHsm.scaleToZero: FSx for ONTAP loses its key every time the store is disconnected, ${SRC})`,
  ]);
});

test("every production marker and schedule problem at once, each naming its field", () => {
  const env = sandbox((e: Draft) => {
    e.name = "eu-prd-2";
    e.tags = { Stage: "Production", env: "live", Team: "prod" };
    e.data.fsx = { ...environments.prod.data.fsx };
    e.data.ebs = { key: "fileShares" };
    e.hooks = { runner: "local", timeoutMinutes: 45 };
    e.cloudHsm.scaleToZero = { downAt: "7pm", upAt: "07:00", weekdays: ["MON", "MON"], timezone: "Mars/Olympus" };
  });
  expect(messagesFor(env)).toEqual([
    `environments.eu-prd-2.name: "eu-prd-2" is not allowed (${REFUSED} (the name holds a production word: prod, production, prd, live), ${SRC})`,
    `environments.eu-prd-2.tags.Stage: "Production" is not allowed (${REFUSED} (the Stage tag marks it production: prod, production, prd, live), ${SRC})`,
    `environments.eu-prd-2.tags.env: "live" is not allowed (${REFUSED} (the env tag marks it production: prod, production, prd, live), ${SRC})`,
    `environments.eu-prd-2.data.fsx.key: "fileShares" is not allowed (a key outside the CloudHSM store, or no cloudHsm.scaleToZero: FSx for ONTAP loses its key every time the store is disconnected, ${SRC})`,
    `environments.eu-prd-2.data.ebs.key: "fileShares" is not allowed (a key outside the CloudHSM store, or no cloudHsm.scaleToZero: with EBS default encryption on it, every new volume in the account and Region fails while the store is down, ${SRC})`,
    `environments.eu-prd-2.hooks.runner: "local" is not allowed ("lambda" with cloudHsm.scaleToZero: the schedule invokes the hook function (the local runner has none), ${SRC})`,
    `environments.eu-prd-2.cloudHsm.scaleToZero.downAt: "7pm" is not allowed (HH:MM on a 24-hour clock (00:00 to 23:59), EventBridge Scheduler cron, ${SRC})`,
    `environments.eu-prd-2.cloudHsm.scaleToZero.weekdays: ["MON","MON"] is not allowed (a non-empty list of distinct MON, TUE, WED, THU, FRI, SAT, SUN, EventBridge Scheduler cron day-of-week, ${SRC})`,
    `environments.eu-prd-2.cloudHsm.scaleToZero.timezone: "Mars/Olympus" is not allowed (an IANA time zone name such as UTC or Europe/Berlin, Scheduler ScheduleExpressionTimezone, ${SRC})`,
    // (the alarms' own rule: the health check needs the lambda runner too)
    `environments.eu-prd-2.hooks.runner: "local" is not allowed ('lambda' with alarms on a CloudHSM key store (its health check runs on a schedule in the hook Lambda function), docs/alarms.md: a CloudHSM store's state is polled on a schedule by the hook Lambda function)`,
  ]);
});

test('a name that only contains the letters ("products", "prodigy") is not production-like; a Team tag is not a tier tag', () => {
  for (const name of ["products", "prodigy-lab"]) {
    const env = sandbox((e: Draft) => {
      e.name = name;
      e.tags = { Team: "prod" };
    });
    expect(messagesFor(env)).toEqual([]);
  }
});

test("S3 buckets on the store's keys are allowed (their requests fail during the window, on purpose)", () => {
  const env = sandbox((e: Draft) => {
    e.data.buckets = { scratch: { bucketName: "sandbox-scratch-333333333333", key: "fileShares" } };
  });
  expect(messagesFor(env)).toEqual([]);
});

test("the two runs must not overlap: with hooks.timeoutMinutes 120 each takes 9 invocations of 15 minutes", () => {
  const env = sandbox((e: Draft) => {
    e.hooks.timeoutMinutes = 120;
    e.cloudHsm.scaleToZero = { downAt: "19:00", upAt: "21:00" };
  });
  expect(messagesFor(env)).toEqual([
    `environments.sandbox.cloudHsm.scaleToZero.upAt: "21:00" is not allowed (at least 135 minutes from downAt 19:00 either way: each scale run may take 9 invocations of 15 minutes (hooks.timeoutMinutes 120), ${SRC})`,
  ]);
});

test("unknown fields and wrong types are refused by the shape check, naming the field", () => {
  const env = sandbox((e: Draft) => {
    e.cloudHsm.scaleToZero = { downAt: 19, upAt: "07:00", weekdays: ["MONDAY"], at: "x" };
  });
  const lines = messagesFor(env);
  expect(lines.some((l) => l.startsWith("environments.sandbox.cloudHsm.scaleToZero.downAt:"))).toBe(true);
  expect(lines.some((l) => l.startsWith("environments.sandbox.cloudHsm.scaleToZero.weekdays"))).toBe(true);
  expect(lines.some((l) => l.includes("cloudHsm.scaleToZero.at"))).toBe(true);
  expect(lines.join("\n")).not.toMatch(/\n\s+at /);
});

test("adoptHsms is refused with scaleToZero (the hook steps own the HSMs: nothing to import)", () => {
  const env = sandbox((e: Draft) => {
    e.cloudHsm.adoptHsms = { [`${e.cloudHsm.hsmAzs[0]}-1`]: "hsm-abcdefghijk" };
  });
  const az = (env.cloudHsm as Draft).hsmAzs[0];
  expect(messagesFor(env)).toEqual([
    `environments.sandbox.cloudHsm.adoptHsms: {"${az}-1":"hsm-abcdefghijk"} is not allowed (unset with scaleToZero (the hook steps own the HSMs there: ensure-hsms and scale-up count the HSMs AWS put in place and create none), docs/cloudhsm.md, Scale to zero)`,
  ]);
});

test("restored is refused with scaleToZero (turn scale to zero off to restore)", () => {
  const env = sandbox((e: Draft) => {
    e.cloudHsm.restored = {
      clusterId: "cluster-abcdefghijk",
      backupId: "backup-abcdefghijk",
      hsmIds: ["hsm-abcdefghijk"],
    };
  });
  expect(messagesFor(env)).toEqual([
    `environments.sandbox.cloudHsm.restored: {"clusterId":"cluster-abcdefghijk","backupId":"backup-abcdefghijk","hsmIds":[... is not allowed (unset with scaleToZero (the hook steps own the HSMs there): turn scale to zero off, restore, then turn it on again (docs/cloudhsm.md), docs/cloudhsm.md, Scale to zero)`,
  ]);
});
