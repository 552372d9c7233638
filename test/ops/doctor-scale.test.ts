import { GetScheduleCommand } from "@aws-sdk/client-scheduler";
import { checkScaleSchedules, scaleScheduleNames } from "../../tools/ops/doctor-scale";
import { awsError, envWith, mockedClients, mocks, resetMocks } from "./helpers";

const sleepy = envWith("prod", (e) => ({
  ...e,
  hooks: { ...e.hooks, runner: "lambda" as const },
  cloudHsm: { ...e.cloudHsm!, scaleToZero: { downAt: "19:00", upAt: "07:00", timezone: "UTC" } },
}));
const SUNDAY = new Date("2026-12-13T12:00:00Z");
const TUESDAY_NOON = new Date("2026-12-15T12:00:00Z");
const WINDOW = "down 19:00, up 07:00 (UTC) on MON,TUE,WED,THU,FRI";

beforeEach(() => resetMocks("111111111111"));

describe("doctor: scale-to-zero schedules", () => {
  test("names follow modules/cloudhsm/scale-to-zero.ts: <env>-cloudhsm-<down|up>-<n> in <env>-cloudhsm-scale", () => {
    const { group, names } = scaleScheduleNames(sleepy);
    expect(group).toBe("prod-cloudhsm-scale");
    expect(names[0]).toBe("prod-cloudhsm-down-1");
    expect(names.filter((n) => n.includes("-up-"))).toHaveLength(names.length / 2);
    expect(names).toContain("prod-cloudhsm-up-1");
  });

  test("a DISABLED schedule is degraded, with the window position and why a teardown does it; inside the window zero HSMs are expected", async () => {
    mocks.scheduler.on(GetScheduleCommand).resolves({ State: "DISABLED" });
    const fs = await checkScaleSchedules(sleepy, mockedClients(), SUNDAY);
    expect(fs[0]).toEqual({
      check: "scale-schedule",
      subject: "prod-cloudhsm-scale/prod-cloudhsm-down-1",
      severity: "degraded",
      detail: `DISABLED: no scale-down or scale-up runs, the cluster stays as it is (inside the scale-to-zero window (down; ${WINDOW}): zero HSMs and a DISCONNECTED store are expected)`,
      fix: "a teardown in progress disables the schedules on purpose (the key store stays CONNECTED while keys are pending deletion); otherwise terraform apply of the keys stack enables them again",
    });
    expect(fs.every((f) => f.severity === "degraded")).toBe(true);
  });

  test("ENABLED schedules are ok; outside the window it says so", async () => {
    mocks.scheduler.on(GetScheduleCommand).resolves({ State: "ENABLED" });
    const fs = await checkScaleSchedules(sleepy, mockedClients(), TUESDAY_NOON);
    expect(fs[0]).toEqual({
      check: "scale-schedule",
      subject: "prod-cloudhsm-scale/prod-cloudhsm-down-1",
      severity: "ok",
      detail: `ENABLED (outside the scale-to-zero window (${WINDOW}))`,
    });
  });

  test("a schedule not created yet is ok (pre-deploy); AccessDenied is not checked, naming the action", async () => {
    mocks.scheduler.on(GetScheduleCommand).resolves({ State: "ENABLED" });
    mocks.scheduler
      .on(GetScheduleCommand, { Name: "prod-cloudhsm-down-1" })
      .rejects(awsError("ResourceNotFoundException", "Schedule not found", 404));
    mocks.scheduler.on(GetScheduleCommand, { Name: "prod-cloudhsm-up-1" }).rejects(awsError("AccessDeniedException"));
    const fs = await checkScaleSchedules(sleepy, mockedClients(), SUNDAY);
    expect(fs.find((f) => f.subject.endsWith("down-1"))).toMatchObject({
      severity: "ok",
      detail: expect.stringMatching(/^not created yet/),
    });
    expect(fs.find((f) => f.subject.endsWith("up-1"))).toMatchObject({
      severity: "unknown",
      detail: "not checked: scheduler:GetSchedule was denied (AccessDeniedException)",
    });
  });

  test("an environment without scaleToZero asks nothing", async () => {
    const fs = await checkScaleSchedules(envWith("prod"), mockedClients(), SUNDAY);
    expect(fs).toEqual([]);
    expect(mocks.scheduler.commandCalls(GetScheduleCommand)).toHaveLength(0);
  });
});
