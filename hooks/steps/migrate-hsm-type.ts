/**
 * `migrate-hsm-type`: changes a cluster's HSM type in place as AWS documents it
 * (https://docs.aws.amazon.com/cloudhsm/latest/userguide/hsm1-to-hsm2-migration.html), never by a new
 * cluster (`hsm_type` is ForceNew in the AWS provider, so Terraform ignores it after creation):
 *
 * 1. DescribeClusters: the cluster is ACTIVE, the change is a documented one (hsm1.medium ->
 *    hsm2m.medium), or a manual rollback to the original type inside `HsmTypeRollbackExpiration`;
 *    a migration already running (UPDATE_IN_PROGRESS) is only waited for.
 * 2. Backup checkpoint: the newest READY backup of the cluster is pinned (ModifyBackupAttributes
 *    NeverExpires), so retention never deletes the state the cluster had before the change. AWS
 *    also backs the cluster up before each HSM it replaces. No READY backup: refused.
 * 3. ModifyCluster(HsmType): the cluster enters limited-write mode (no new keys, users or key
 *    changes) while AWS replaces the HSMs one at a time, same IPs.
 * 4. Wait until the cluster and every HSM are ACTIVE on the new type, bounded by AWS's "about 30
 *    minutes" per HSM ({@link CLOUDHSM.hsmTypeMigrationWaitMinutes}); AWS rolling back on its own
 *    (errors or failed validation) is reported as such.
 * 5. Report until when a manual rollback is possible (HsmTypeRollbackExpiration, 24 hours).
 */
import {
  DescribeBackupsCommand,
  ModifyBackupAttributesCommand,
  type Backup,
  type DescribeBackupsCommandOutput,
} from "@aws-sdk/client-cloudhsm-v2";
import { CLOUDHSM } from "@cmk-stacks/aws-limits";
import { pollFor } from "../lib/backoff";
import { formatDuration } from "../lib/clock";
import { checkClusterHealthy, cloudHsmError, describeCluster } from "../lib/cluster";
import { modifyClusterHsmType, type ClusterWithType } from "../lib/cluster-fields";
import { guarded, HookError } from "../lib/errors";
import { ProgressReporter } from "../lib/progress";
import { noBlindRetry, withRetry, withRetryUnlessDone } from "../lib/retry";
import type { Sender, StepResult, StepRuntime } from "../lib/runtime";
import { waitUntil } from "../lib/wait";

/** Inputs of `migrate-hsm-type`. */
export interface MigrateHsmTypeInput extends StepRuntime {
  readonly clients: { readonly cloudhsm: Sender };
  readonly clusterId: string;
  /** The HSM type the cluster should have. */
  readonly hsmType: string;
}

/** The cluster's state for the progress lines: `UPDATE_IN_PROGRESS, hsm2m.medium, HSMs 1/2 on hsm2m.medium`. */
export function migrationSummary(cluster: ClusterWithType, target: string): string {
  const hsms = cluster.Hsms ?? [];
  const onTarget = hsms.filter((h) => (h.HsmType ?? cluster.HsmType) === target && h.State === "ACTIVE").length;
  return `${cluster.State ?? "UNKNOWN"}, ${cluster.HsmType ?? "?"}, HSMs ${onTarget}/${hsms.length} ACTIVE on ${target}`;
}

/** True when the cluster and every HSM are ACTIVE on `target`. */
export function migrated(cluster: ClusterWithType, target: string): boolean {
  const hsms = cluster.Hsms ?? [];
  return (
    cluster.State === "ACTIVE" &&
    cluster.HsmType === target &&
    hsms.every((h) => h.State === "ACTIVE" && (h.HsmType ?? cluster.HsmType) === target)
  );
}

function rollbackWindow(cluster: ClusterWithType, now: number): string {
  const until = cluster.HsmTypeRollbackExpiration;
  if (!until || until.getTime() <= now) return "the manual rollback window is closed";
  return `a manual rollback (migrate-hsm-type --hsm-type <the original type>) is possible until ${until.toISOString()} (HsmTypeRollbackExpiration, ${formatDuration(until.getTime() - now)} from now)`;
}

export function migrateHsmType(input: MigrateHsmTypeInput): Promise<StepResult> {
  return guarded(input.log, () => body(input));
}

async function body(input: MigrateHsmTypeInput): Promise<StepResult> {
  const { clients, clusterId, hsmType: target, clock } = input;
  const progress = new ProgressReporter(`migrate-hsm-type ${clusterId}`, clock, input.log);
  const label = progress.label;
  const retry = { ...input, label };
  if (!(CLOUDHSM.HSM_TYPES as readonly string[]).includes(target))
    throw new HookError(
      label,
      "InvalidInput",
      `HSM type ${target} is not one CloudHSM offers`,
      `pass --hsm-type ${CLOUDHSM.HSM_TYPES.join(" or ")} (${CLOUDHSM.HSM_TYPE_MIGRATION_DOC})`,
    );
  const describe = () =>
    withRetry(
      "DescribeClusters",
      async () => (await describeCluster(clients.cloudhsm, clusterId, label)) as ClusterWithType,
      retry,
    );
  const first = await describe();
  progress.observe(migrationSummary(first, target));
  checkClusterHealthy(first, label);
  if (migrated(first, target)) {
    progress.note(`already done: ${rollbackWindow(first, clock.now())}`);
    return { status: "ALREADY_DONE", state: migrationSummary(first, target), elapsedMs: progress.elapsed() };
  }

  const running = first.State === "UPDATE_IN_PROGRESS";
  // AWS rolled back = ACTIVE on the old type AFTER the change was seen running (not before it shows).
  let sawRunning = running;
  if (running && first.HsmType !== target)
    throw new HookError(
      label,
      "MigrationInProgress",
      `the cluster is already changing to ${first.HsmType ?? "another type"} (limited-write mode)`,
      `wait for it (migrate-hsm-type --hsm-type ${first.HsmType ?? "<that type>"}), then decide (${CLOUDHSM.HSM_TYPE_MIGRATION_DOC})`,
    );
  if (!running) {
    const from = first.HsmType;
    const forward = CLOUDHSM.hsmTypeMigrationDocumented(from, target);
    const rollback =
      CLOUDHSM.hsmTypeMigrationDocumented(target, from) &&
      (first.HsmTypeRollbackExpiration?.getTime() ?? 0) > clock.now();
    if (!forward && !rollback)
      throw new HookError(
        label,
        "MigrationNotSupported",
        `AWS documents no in-place change from ${from ?? "an unknown type"} to ${target}${CLOUDHSM.hsmTypeMigrationDocumented(target, from) ? " after the 24-hour rollback window" : ""}`,
        `only ${CLOUDHSM.HSM_TYPE_MIGRATIONS.map((m) => `${m.from} -> ${m.to}`).join(", ")} (and back within ${CLOUDHSM.HSM_TYPE_ROLLBACK_HOURS.value} hours) is a ModifyCluster change; anything else is a new cluster, which this project never plans (${CLOUDHSM.HSM_TYPE_MIGRATION_DOC})`,
      );
    if (first.State !== "ACTIVE")
      throw new HookError(
        label,
        "ClusterNotActive",
        `the cluster is ${first.State ?? "in an unknown state"}; only an ACTIVE cluster changes HSM type`,
        "finish the cluster's bootstrap (or wait for the running change), then re-run",
      );
    const active = (first.Hsms ?? []).filter((h) => h.State === "ACTIVE").length;
    if (active < CLOUDHSM.KEY_STORE_MIN_HSMS.value)
      progress.note(
        `only ${active} ACTIVE HSM${active === 1 ? "" : "s"}: while AWS replaces ${active === 1 ? "it" : "them"} the cluster has none, and the key store's keys are unusable (AWS asks for a highly available cluster first)`,
      );
    await pinCheckpoint(input, label, progress);
    try {
      // Not sent again after a failure AWS may have acted on: a change already running (or done) is the answer.
      const out = (await withRetryUnlessDone(
        "ModifyCluster",
        () => clients.cloudhsm.send(noBlindRetry(modifyClusterHsmType(clusterId, target))),
        async () => {
          const now = await describe();
          return now.State === "UPDATE_IN_PROGRESS" || now.HsmType === target ? { Cluster: now } : undefined;
        },
        retry,
      )) as {
        Cluster?: ClusterWithType;
      };
      progress.note(
        `ModifyCluster accepted: ${from} -> ${target}; the cluster is in limited-write mode (no new keys, users or key changes) until it ends`,
      );
      if (out.Cluster) progress.observe(migrationSummary(out.Cluster, target));
      if (out.Cluster?.State === "UPDATE_IN_PROGRESS") sawRunning = true;
    } catch (err) {
      throw cloudHsmError(label, "ModifyCluster", err);
    }
  } else progress.note(`a migration to ${target} is already running; waiting for it`);

  const hsms = Math.max(first.Hsms?.length ?? 0, 1);
  const minutes = CLOUDHSM.hsmTypeMigrationWaitMinutes(hsms);
  const final = await waitUntil<ClusterWithType>({
    runtime: { ...input, timeoutMs: progress.elapsed() + minutes * 60_000 },
    progress,
    target: `${hsms} HSM${hsms === 1 ? "" : "s"} ACTIVE on ${target}`,
    describe,
    stateOf: (c) => migrationSummary(c, target),
    done: (c) => migrated(c, target),
    check: (c) => {
      checkClusterHealthy(c, label);
      if (c.State === "UPDATE_IN_PROGRESS") sawRunning = true;
      if (sawRunning && c.State === "ACTIVE" && c.HsmType !== target)
        throw new HookError(
          label,
          "MigrationRolledBack",
          `AWS stopped the migration and rolled the cluster back to ${c.HsmType ?? "its original type"}${c.StateMessage ? `: ${c.StateMessage}` : ""}`,
          `the cluster keeps its keys and runs on the original type; read the message and CloudTrail (ModifyCluster), fix the cause, then re-run (${CLOUDHSM.HSM_TYPE_MIGRATION_DOC})`,
        );
    },
    policy: pollFor(CLOUDHSM.HSM_TYPE_MIGRATION_MINUTES_PER_HSM.value * 60_000),
    timeoutAction: `AWS gives about ${CLOUDHSM.HSM_TYPE_MIGRATION_MINUTES_PER_HSM.value} minutes per HSM; the migration goes on at AWS: check the cluster (aws cloudhsmv2 describe-clusters), then re-run this step to keep waiting`,
  });
  const state = migrationSummary(final, target);
  progress.note(`done: ${rollbackWindow(final, clock.now())}`);
  return { status: "DONE", state, elapsedMs: progress.elapsed() };
}

/** Pins the newest READY backup (NeverExpires) as the checkpoint before the change. */
async function pinCheckpoint(input: MigrateHsmTypeInput, label: string, progress: ProgressReporter): Promise<Backup> {
  const { clients, clusterId, clock } = input;
  const retry = { ...input, label };
  let newest: Backup | undefined;
  try {
    let token: string | undefined;
    do {
      const page = (await withRetry(
        "DescribeBackups",
        () =>
          clients.cloudhsm.send(
            new DescribeBackupsCommand({
              Filters: { clusterIds: [clusterId], states: ["READY"] },
              SortAscending: false,
              NextToken: token,
            }),
          ),
        retry,
      )) as DescribeBackupsCommandOutput;
      for (const b of page.Backups ?? [])
        if (
          b.BackupState === "READY" &&
          (!newest || (b.CreateTimestamp?.getTime() ?? 0) > (newest.CreateTimestamp?.getTime() ?? 0))
        )
          newest = b;
      token = page.NextToken;
    } while (token);
  } catch (err) {
    throw cloudHsmError(label, "DescribeBackups", err);
  }
  if (!newest?.BackupId)
    throw new HookError(
      label,
      "NoBackupCheckpoint",
      `cluster ${clusterId} has no READY backup to keep as the checkpoint before the change`,
      "wait for CloudHSM's daily backup (or add an HSM, which takes one), then re-run",
    );
  const age = newest.CreateTimestamp
    ? ` taken ${formatDuration(clock.now() - newest.CreateTimestamp.getTime())} ago`
    : "";
  if (!newest.NeverExpires) {
    try {
      await withRetry(
        "ModifyBackupAttributes",
        () =>
          clients.cloudhsm.send(new ModifyBackupAttributesCommand({ BackupId: newest?.BackupId, NeverExpires: true })),
        retry,
      );
    } catch (err) {
      throw cloudHsmError(label, "ModifyBackupAttributes", err);
    }
  }
  progress.note(
    `checkpoint: backup ${newest.BackupId}${age} kept (NeverExpires); release it after the migration with aws cloudhsmv2 modify-backup-attributes --backup-id ${newest.BackupId} --no-never-expires`,
  );
  return newest;
}
