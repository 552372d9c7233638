/**
 * doctor, scale to zero (`cloudHsm.scaleToZero`, docs/cloudhsm.md "Scale to zero"): the stack's
 * EventBridge Scheduler schedules (names as modules/cloudhsm/scale-to-zero.ts gives them). A DISABLED
 * schedule is reported: no scale-down or scale-up runs, so the cluster stays as it is (a teardown
 * disables them on purpose so the key store stays CONNECTED through the keys' deletion window).
 * Zero HSMs or a DISCONNECTED store inside the schedule's window are the schedule working, never a
 * finding here: the finding says where in the window the environment is (the window `status` uses).
 */
import { GetScheduleCommand, type GetScheduleCommandOutput } from "@aws-sdk/client-scheduler";
import { awsErrorCode } from "../../hooks/lib/errors";
import { describeWindow, invocationsFor, scalePhase, windowOf } from "../../hooks/lib/scale-window";
import type { ResolvedEnvironment } from "../../environments/resolve";
import type { OpsClients } from "./clients";
import { notChecked, type Finding } from "./findings";

/** The schedules a scale-to-zero environment's keys stack creates: `<env>-cloudhsm-<down|up>-<n>` in `<env>-cloudhsm-scale`. */
export function scaleScheduleNames(env: ResolvedEnvironment): { group: string; names: string[] } {
  const n = invocationsFor(env.hooks.timeoutMinutes);
  const names: string[] = [];
  for (const kind of ["down", "up"]) for (let i = 1; i <= n; i++) names.push(`${env.name}-cloudhsm-${kind}-${i}`);
  return { group: `${env.name}-cloudhsm-scale`, names };
}

export async function checkScaleSchedules(env: ResolvedEnvironment, c: OpsClients, now: Date): Promise<Finding[]> {
  const cfg = env.cloudHsm?.scaleToZero;
  if (!cfg) return [];
  const w = windowOf(cfg, env.hooks.timeoutMinutes);
  const { phase } = scalePhase(w, now);
  const where =
    phase === "up"
      ? `outside the scale-to-zero window (${describeWindow(w)})`
      : `inside the scale-to-zero window (${phase}; ${describeWindow(w)}): zero HSMs and a DISCONNECTED store are expected`;
  const { group, names } = scaleScheduleNames(env);
  const out: Finding[] = [];
  for (const name of names) {
    const subject = `${group}/${name}`;
    let s: GetScheduleCommandOutput;
    try {
      s = await c.scheduler.send(new GetScheduleCommand({ Name: name, GroupName: group }));
    } catch (e) {
      out.push(
        awsErrorCode(e) === "ResourceNotFoundException"
          ? {
              check: "scale-schedule",
              subject,
              severity: "ok",
              detail: "not created yet: the keys stack's apply creates it once the key store is connected",
            }
          : notChecked("scale-schedule", subject, "scheduler:GetSchedule", e),
      );
      continue;
    }
    out.push(
      s.State === "DISABLED"
        ? {
            check: "scale-schedule",
            subject,
            severity: "degraded",
            detail: `DISABLED: no scale-down or scale-up runs, the cluster stays as it is (${where})`,
            fix: "a teardown in progress disables the schedules on purpose (the key store stays CONNECTED while keys are pending deletion); otherwise terraform apply of the keys stack enables them again",
          }
        : { check: "scale-schedule", subject, severity: "ok", detail: `${s.State ?? "?"} (${where})` },
    );
  }
  return out;
}
