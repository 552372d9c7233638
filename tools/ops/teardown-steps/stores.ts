/**
 * Custom key stores and the CloudHSM cluster behind one, in AWS's order:
 * - "Deleting an AWS CloudHSM key store" (https://docs.aws.amazon.com/kms/latest/developerguide/delete-keystore.html):
 *   the store stays CONNECTED while its keys are pending deletion, so KMS deletes their material from
 *   the cluster; once the keys are gone: DisconnectCustomKeyStore, DeleteCustomKeyStore (refused while
 *   connected or holding keys). Then the HSMs (DeleteHsm) and the cluster (DeleteCluster refuses a
 *   cluster that still has HSMs: https://docs.aws.amazon.com/cloudhsm/latest/userguide/delete-cluster.html).
 *   Backups keep the key material: they are listed with the command that deletes each
 *   (https://docs.aws.amazon.com/cloudhsm/latest/userguide/delete-restore-backup.html; a deleted backup
 *   can be restored for 7 days).
 * - "Deleting an external key store" (https://docs.aws.amazon.com/kms/latest/developerguide/delete-xks.html):
 *   after its keys are gone, the store; then its endpoint service, load balancer and DNS record
 *   (Terraform deletes those in the keys stack's phase). KMS never deletes the external keys.
 */
import {
  DeleteBackupCommand,
  DeleteClusterCommand,
  DeleteHsmCommand,
  DescribeBackupsCommand,
  DescribeClustersCommand,
  type Backup,
  type Cluster,
} from "@aws-sdk/client-cloudhsm-v2";
import {
  DeleteCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  type CustomKeyStoresListEntry,
} from "@aws-sdk/client-kms";
import { formatDuration } from "../../../hooks/lib/clock";
import { awsErrorCode, errorMessage } from "../../../hooks/lib/errors";
import { TeardownStop, type TeardownDeps } from "./model";

/** DescribeCustomKeyStores for one store; undefined once it is deleted. */
export async function describeStore(deps: TeardownDeps, id: string): Promise<CustomKeyStoresListEntry | undefined> {
  try {
    const res = (await deps.kmsLimiter.run(() =>
      deps.clients.kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id })),
    )) as { CustomKeyStores?: CustomKeyStoresListEntry[] };
    return res.CustomKeyStores?.[0];
  } catch (err) {
    if (awsErrorCode(err) === "CustomKeyStoreNotFoundException") return undefined;
    throw err;
  }
}

/** `key store cks-... (AWS_CLOUDHSM, cluster cluster-...): CONNECTED` */
export function storeLine(id: string, s: CustomKeyStoresListEntry | undefined): string {
  if (!s) return `key store ${id}: deleted`;
  const type = s.CustomKeyStoreType ?? "AWS_CLOUDHSM";
  const where = s.CloudHsmClusterId ? `, cluster ${s.CloudHsmClusterId}` : "";
  const err = s.ConnectionErrorCode ? ` (${s.ConnectionErrorCode})` : "";
  return `key store ${id} (${type}${where}): ${s.ConnectionState ?? "?"}${err}`;
}

/** Polls `describe` until `done`, within the run's wait budget; past it, stops with "run again". */
async function waitFor<T>(
  deps: TeardownDeps,
  what: string,
  describe: () => Promise<T>,
  done: (t: T) => boolean,
  stateOf: (t: T) => string,
): Promise<T> {
  const start = deps.clock.now();
  const pollMs = deps.pollMs ?? 15_000;
  const maxMs = deps.maxWaitMs ?? 30 * 60_000;
  for (;;) {
    const t = await describe();
    if (done(t)) return t;
    const elapsed = deps.clock.now() - start;
    if (elapsed >= maxMs)
      throw new TeardownStop(
        "waiting",
        `${what}: still ${stateOf(t)} after ${formatDuration(elapsed)}; run the teardown again later to continue from here`,
      );
    deps.io.out(`  ${what}: ${stateOf(t)} (${formatDuration(elapsed)})`);
    await deps.clock.sleep(pollMs);
  }
}

/**
 * Disconnects (if needed) and deletes a store whose keys are all deleted. The two documented
 * refusals become the operator's next step.
 */
export async function deleteStore(deps: TeardownDeps, id: string, current: CustomKeyStoresListEntry): Promise<void> {
  if (current.ConnectionState !== "DISCONNECTED") {
    deps.io.out(`  key store ${id}: DisconnectCustomKeyStore`);
    await deps.kmsLimiter.run(() =>
      deps.clients.kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id })),
    );
    await waitFor(
      deps,
      `key store ${id}`,
      () => describeStore(deps, id),
      (s) => s === undefined || s.ConnectionState === "DISCONNECTED",
      (s) => s?.ConnectionState ?? "deleted",
    );
  }
  deps.io.out(`  key store ${id}: DeleteCustomKeyStore`);
  try {
    await deps.kmsLimiter.run(() => deps.clients.kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: id })));
  } catch (err) {
    const code = awsErrorCode(err);
    if (code === "CustomKeyStoreHasCMKsException") {
      throw new TeardownStop(
        "refused",
        `key store ${id} still holds KMS keys (KMS: ${errorMessage(err)}): keys this environment's state does not list were created in it; find them (aws kms list-keys, then describe-key: CustomKeyStoreId), schedule their deletion, and run again after their window`,
      );
    }
    if (code === "CustomKeyStoreInvalidStateException") {
      throw new TeardownStop(
        "refused",
        `key store ${id} cannot be deleted in its current state (KMS: ${errorMessage(err)}): it must be DISCONNECTED; someone may have connected it again; run the teardown again`,
      );
    }
    if (code === "CustomKeyStoreNotFoundException") return;
    throw err;
  }
}

/** DescribeClusters for one cluster; undefined once it is deleted. */
export async function describeCluster(deps: TeardownDeps, clusterId: string): Promise<Cluster | undefined> {
  const res = (await deps.clients.cloudhsm.send(
    new DescribeClustersCommand({ Filters: { clusterIds: [clusterId] } }),
  )) as { Clusters?: Cluster[] };
  const c = res.Clusters?.find((x) => x.ClusterId === clusterId);
  return c && c.State !== "DELETED" ? c : undefined;
}

/** `cluster cluster-...: ACTIVE, 2 HSM(s): hsm-a (eu-west-1a, ACTIVE), ...` */
export function clusterLine(id: string, c: Cluster | undefined): string {
  if (!c) return `CloudHSM cluster ${id}: deleted`;
  const hsms = (c.Hsms ?? []).map((h) => `${h.HsmId ?? "?"} (${h.AvailabilityZone ?? "?"}, ${h.State ?? "?"})`);
  return `CloudHSM cluster ${id}: ${c.State ?? "?"}, ${hsms.length} HSM(s)${hsms.length ? `: ${hsms.join(", ")}` : ""}`;
}

/** HSMs of a cluster that are not DELETED yet. */
const left = (c: Cluster): number => (c.Hsms ?? []).filter((h) => h.State !== "DELETED").length;

/** Deletes every HSM, waits until none is left, then deletes the cluster. */
export async function deleteCluster(deps: TeardownDeps, clusterId: string, current: Cluster): Promise<void> {
  for (const h of current.Hsms ?? []) {
    if (!h.HsmId || h.State === "DELETE_IN_PROGRESS" || h.State === "DELETED") continue;
    deps.io.out(
      `  CloudHSM cluster ${clusterId}: DeleteHsm ${h.HsmId} (${h.AvailabilityZone ?? "?"}); CloudHSM takes a backup first`,
    );
    await deps.clients.cloudhsm.send(new DeleteHsmCommand({ ClusterId: clusterId, HsmId: h.HsmId }));
  }
  await waitFor(
    deps,
    `CloudHSM cluster ${clusterId}`,
    () => describeCluster(deps, clusterId),
    // An HSM DescribeClusters still lists as DELETED is gone (HsmState DELETED), as scale-down counts it.
    (c) => c === undefined || left(c) === 0,
    (c) => `${c ? left(c) : 0} HSM(s) left`,
  );
  deps.io.out(`  CloudHSM cluster ${clusterId}: DeleteCluster`);
  try {
    await deps.clients.cloudhsm.send(new DeleteClusterCommand({ ClusterId: clusterId }));
  } catch (err) {
    const msg = errorMessage(err);
    if (/hsm/i.test(msg)) {
      throw new TeardownStop(
        "refused",
        `CloudHSM cluster ${clusterId} was not deleted: it still has HSMs (CloudHSM: ${awsErrorCode(err)}: ${msg}); someone may have added one; run the teardown again to delete it first`,
      );
    }
    throw err;
  }
}

/** The backups that still hold the cluster's key material (not yet pending deletion). */
export async function liveBackups(deps: TeardownDeps, clusterId: string): Promise<Backup[]> {
  const out: Backup[] = [];
  let token: string | undefined;
  do {
    const res = (await deps.clients.cloudhsm.send(
      new DescribeBackupsCommand({ Filters: { clusterIds: [clusterId] }, ...(token ? { NextToken: token } : {}) }),
    )) as { Backups?: Backup[]; NextToken?: string };
    out.push(...(res.Backups ?? []).filter((b) => b.BackupState !== "DELETED" && b.BackupState !== "PENDING_DELETION"));
    token = res.NextToken;
  } while (token);
  return out;
}

/** The exact command that deletes one backup. */
export function deleteBackupCommand(backupId: string, region: string): string {
  return `aws cloudhsmv2 delete-backup --backup-id ${backupId} --region ${region}`;
}

/** Deletes backups (only with --delete-backups): each goes PENDING_DELETION for 7 days. */
export async function deleteBackups(deps: TeardownDeps, backups: readonly Backup[]): Promise<void> {
  for (const b of backups)
    if (b.BackupId) await deps.clients.cloudhsm.send(new DeleteBackupCommand({ BackupId: b.BackupId }));
}
