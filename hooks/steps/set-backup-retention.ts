import { ModifyClusterCommand } from "@aws-sdk/client-cloudhsm-v2";
import { CLOUDHSM, inRange } from "@cmk-stacks/aws-limits";
import { checkClusterHealthy, cloudHsmError, describeCluster } from "../lib/cluster";
import { guarded, HookError } from "../lib/errors";
import { ProgressReporter } from "../lib/progress";
import { withRetry } from "../lib/retry";
import type { Sender, StepResult, StepRuntime } from "../lib/runtime";

/** Inputs of `set-backup-retention`. */
export interface SetBackupRetentionInput extends StepRuntime {
  readonly clients: { readonly cloudhsm: Sender };
  readonly clusterId: string;
  /** Days CloudHSM keeps backups after the cluster's deletion: the rulebook's {@link CLOUDHSM.BACKUP_RETENTION_DAYS}. */
  readonly days: number;
}

/**
 * Applies the cluster's backup retention (ModifyCluster BackupRetentionPolicy): the AWS provider
 * has no argument for it (5.100 and 6.25). Describe first; when the cluster already keeps backups
 * for `days`, nothing else is called.
 */
export function setBackupRetention(input: SetBackupRetentionInput): Promise<StepResult> {
  return guarded(input.log, () => body(input));
}

async function body(input: SetBackupRetentionInput): Promise<StepResult> {
  const { clients, clusterId, days } = input;
  const progress = new ProgressReporter(`set-backup-retention ${clusterId}`, input.clock, input.log);
  const label = progress.label;
  if (!inRange(CLOUDHSM.BACKUP_RETENTION_DAYS, days)) {
    const range = CLOUDHSM.BACKUP_RETENTION_DAYS;
    throw new HookError(
      label,
      "InvalidInput",
      `backup retention ${days} days is not allowed`,
      `pass --days between ${range.min} and ${range.max} (CloudHSM BackupRetentionPolicy)`,
    );
  }
  const cluster = await withRetry("DescribeClusters", () => describeCluster(clients.cloudhsm, clusterId, label), {
    ...input,
    label,
  });
  checkClusterHealthy(cluster, label);
  const current = cluster.BackupRetentionPolicy;
  const describeRetention = (p: typeof current) =>
    p?.Value ? `${p.Value} ${(p.Type ?? "DAYS").toLowerCase()}` : "the default retention";
  progress.observe(`backups kept for ${describeRetention(current)}`);
  if (current?.Type === "DAYS" && current.Value === String(days)) {
    progress.note("already done");
    return { status: "ALREADY_DONE", state: `${days} days`, elapsedMs: progress.elapsed() };
  }
  try {
    await withRetry(
      "ModifyCluster",
      () =>
        clients.cloudhsm.send(
          new ModifyClusterCommand({
            ClusterId: clusterId,
            BackupRetentionPolicy: { Type: "DAYS", Value: String(days) },
          }),
        ),
      {
        ...input,
        label,
      },
    );
  } catch (err) {
    throw cloudHsmError(label, "ModifyCluster", err);
  }
  progress.observe(`backups kept for ${days} days`);
  return { status: "DONE", state: `${days} days`, elapsedMs: progress.elapsed() };
}
