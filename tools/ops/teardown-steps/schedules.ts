/**
 * Scale to zero (`cloudHsm.scaleToZero`, docs/cloudhsm.md "Scale to zero") during a teardown.
 *
 * KMS deletes a CloudHSM key store's key material from the cluster only while the store is CONNECTED
 * through the keys' deletion window (https://docs.aws.amazon.com/kms/latest/developerguide/delete-cmk-keystore.html).
 * A scale-to-zero environment disconnects its store and deletes every HSM on a schedule, so before the
 * teardown schedules key deletion it:
 *  1. disables the stack's EventBridge Scheduler schedules (GetSchedule, then UpdateSchedule with every
 *     field as it is and State DISABLED: UpdateSchedule replaces every field it is not given with its
 *     default, https://docs.aws.amazon.com/scheduler/latest/APIReference/API_UpdateSchedule.html).
 *     Disabled rather than deleted: the change is undone by `terraform apply` of the keys stack if the
 *     teardown is abandoned, and the keys stack's guarded Terraform phase deletes them at its turn;
 *  2. brings the cluster up when it is down (the `scale-up` hook step itself: HSMs in at least 2 AZs,
 *     ACTIVE, then the store CONNECTED), so the store stays CONNECTED through the window.
 */
import {
  GetScheduleCommand,
  UpdateScheduleCommand,
  type GetScheduleCommandOutput,
  type UpdateScheduleCommandInput,
} from "@aws-sdk/client-scheduler";
import { awsErrorCode, errorMessage } from "../../../hooks/lib/errors";
import { str, TeardownStop, type StateResource, type TeardownDeps } from "./model";

/** One schedule of the keys stack, as its Terraform state names it. */
export interface ScheduleRef {
  readonly address: string;
  readonly name: string;
  readonly group: string;
  readonly arn?: string;
}

/** What the scale-up schedule runs (its target's input, written by modules/cloudhsm/scale-to-zero.ts). */
export interface ScaleUpArgs {
  readonly clusterId: string;
  readonly keyStoreId: string;
  readonly hsmAzs: readonly string[];
}

/** The EventBridge Scheduler schedules in a stack's state. */
export function stateSchedules(resources: readonly StateResource[]): ScheduleRef[] {
  return resources
    .filter((r) => r.type === "aws_scheduler_schedule")
    .map((r) => {
      const name = str(r, "name") ?? str(r, "id")?.split("/").at(-1) ?? "";
      const group = str(r, "group_name") ?? (str(r, "id")?.includes("/") ? str(r, "id")?.split("/")[0] : undefined);
      const arn = str(r, "arn");
      return { address: r.address, name, group: group ?? "default", ...(arn ? { arn } : {}) };
    })
    .filter((s) => s.name !== "");
}

function accessDenied(s: ScheduleRef, action: string, err: unknown): TeardownStop {
  return new TeardownStop(
    "refused",
    `EventBridge Scheduler refused ${action} on schedule ${s.group}/${s.name} (${awsErrorCode(err)}: ${errorMessage(err)}): the operator's role needs scheduler:GetSchedule and scheduler:UpdateSchedule on ${s.arn ?? `arn:<partition>:scheduler:<region>:<account>:schedule/${s.group}/${s.name}`}, and iam:PassRole on the schedule's role (docs/operations.md, "Teardown": permissions); nothing was changed by this step`,
  );
}

const DENIED = new Set(["AccessDeniedException", "AccessDenied", "UnauthorizedOperation"]);

/** GetSchedule; undefined when the schedule is gone. AccessDenied stops the run with the permission it needs. */
export async function readSchedule(deps: TeardownDeps, s: ScheduleRef): Promise<GetScheduleCommandOutput | undefined> {
  try {
    return (await deps.clients.scheduler.send(
      new GetScheduleCommand({ Name: s.name, GroupName: s.group }),
    )) as GetScheduleCommandOutput;
  } catch (err) {
    const code = awsErrorCode(err);
    if (code === "ResourceNotFoundException") return undefined;
    if (DENIED.has(code)) throw accessDenied(s, "GetSchedule", err);
    throw err;
  }
}

/** UpdateSchedule with every field GetSchedule returned, State DISABLED. */
export function disabledInput(current: GetScheduleCommandOutput): UpdateScheduleCommandInput {
  const keep = <K extends keyof GetScheduleCommandOutput>(k: K) =>
    current[k] !== undefined && current[k] !== null ? { [k]: current[k] } : {};
  return {
    Name: current.Name,
    GroupName: current.GroupName,
    ScheduleExpression: current.ScheduleExpression,
    FlexibleTimeWindow: current.FlexibleTimeWindow,
    Target: current.Target,
    ...keep("Description"),
    ...keep("ScheduleExpressionTimezone"),
    ...keep("StartDate"),
    ...keep("EndDate"),
    ...keep("KmsKeyArn"),
    ...keep("ActionAfterCompletion"),
    State: "DISABLED",
  } as UpdateScheduleCommandInput;
}

/** Disables one schedule (see the file comment); a schedule deleted meanwhile counts as stopped. */
export async function disableSchedule(
  deps: TeardownDeps,
  s: ScheduleRef,
  current: GetScheduleCommandOutput,
): Promise<void> {
  try {
    await deps.clients.scheduler.send(new UpdateScheduleCommand(disabledInput(current)));
  } catch (err) {
    const code = awsErrorCode(err);
    if (code === "ResourceNotFoundException") return;
    if (DENIED.has(code)) throw accessDenied(s, "UpdateSchedule", err);
    throw err;
  }
}

/** The scale-up schedule's arguments, from its target input; undefined for any other schedule. */
export function scaleUpArgs(schedule: GetScheduleCommandOutput): ScaleUpArgs | undefined {
  let input: unknown;
  try {
    input = JSON.parse(schedule.Target?.Input ?? "");
  } catch {
    return undefined;
  }
  if (typeof input !== "object" || input === null) return undefined;
  const i = input as Record<string, unknown>;
  if (i.step !== "scale-up" || typeof i.clusterId !== "string" || typeof i.keyStoreId !== "string") return undefined;
  if (typeof i.hsmAzs !== "string" || i.hsmAzs === "") return undefined;
  return { clusterId: i.clusterId, keyStoreId: i.keyStoreId, hsmAzs: i.hsmAzs.split(",") };
}
