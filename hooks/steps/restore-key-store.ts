import { CLOUDHSM, HOOKS } from "@cmk-stacks/aws-limits";
import { randomBytes, timingSafeEqual } from "node:crypto";
import {
  CreateClusterCommand,
  CreateHsmCommand,
  DescribeBackupsCommand,
  DescribeClustersCommand,
  type Backup,
  type CreateClusterCommandOutput,
  type DescribeBackupsCommandOutput,
  type DescribeClustersCommandOutput,
} from "@aws-sdk/client-cloudhsm-v2";
import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  ListKeysCommand,
  UpdateCustomKeyStoreCommand,
  type CustomKeyStoresListEntry,
  type DecryptCommandOutput,
  type DescribeKeyCommandOutput,
  type EncryptCommandOutput,
  type KeyMetadata,
  type ListKeysCommandOutput,
} from "@aws-sdk/client-kms";
import { RESTORED_FOR_TAG } from "../contract";
import { pollFor, TYPICAL_MS } from "../lib/backoff";
import { activeHsms, cloudHsmError, hsmSummary, type Cluster } from "../lib/cluster";
import { awsErrorCode, errorMessage, HookError, guarded } from "../lib/errors";
import { connectionState, customKeyStoreKms, describeKeyStore, disconnectKeyStore } from "../lib/key-store";
import { lastConnectFromCloudTrail } from "../lib/last-connect";
import { parseCertificate } from "../lib/pem";
import { ProgressReporter } from "../lib/progress";
import type { RateLimiter } from "../lib/rate-limiter";
import { noBlindRetry, withRetry, withRetryUnlessDone } from "../lib/retry";
import type { Sender, StepResult } from "../lib/runtime";
import { checkIds } from "../lib/validate";
import { waitUntil } from "../lib/wait";
import { connectKeyStore } from "./connect-key-store";
import { kmsuserOnHostProblems, type KmsuserOnHostInput } from "./create-kmsuser";
import { resetKmsuserPassword } from "./reset-kmsuser-password";

/**
 * Tag the step puts on the cluster it creates (value: the key store id), so a re-run (or the next
 * Lambda invocation) finds the cluster it already made instead of creating another one.
 */
export { RESTORED_FOR_TAG };

/** ConnectionErrorCodes that say the store's cluster is lost: what this step recovers from. */
const LOST_CLUSTER_CODES = ["CLUSTER_NOT_FOUND", "SUBNET_NOT_FOUND", "INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET"];

/** Inputs of `restore-key-store`. */
export interface RestoreKeyStoreInput extends KmsuserOnHostInput {
  readonly clients: {
    readonly kms: Sender;
    readonly cloudhsm: Sender;
    readonly ssm: Sender;
    readonly secrets: Sender;
    /** Reads the store's last connect from CloudTrail's event history when `lastConnected` is not given. */
    readonly cloudtrail?: Sender;
  };
  /** The CloudHSM key store to repoint; its current (lost) cluster is read from DescribeCustomKeyStores. */
  readonly keyStoreId: string;
  /** Subnets of the new cluster, one per AZ (>= {@link CLOUDHSM.KEY_STORE_MIN_HSMS} AZs): one HSM is created in each. */
  readonly subnetIds: readonly string[];
  /** HSM type of the new cluster: the backup's (the environment's `cloudHsm.hsmType`). */
  readonly hsmType: string;
  /** Mode of the new cluster (hsm2m.medium only): the backup's (the environment's `cloudHsm.mode`). */
  readonly mode?: string;
  /** The backup to restore; default: the newest READY backup of the store's cluster. */
  readonly backupId?: string;
  /**
   * When the store last connected (CloudTrail ConnectCustomKeyStore). KMS sets a new kmsuser password
   * at every connect, so a backup taken before it holds an older one: the password is then reset.
   * Given: it overrides the lookup; not given: read from CloudTrail's event history (LookupEvents,
   * the last 90 days). Unknown: reset (the safe path; it only costs a few minutes).
   */
  readonly lastConnected?: Date;
  readonly limiter?: RateLimiter;
}

/**
 * Why the kmsuser password must be reset after restoring `backupCreated`, or undefined when it need not.
 * KMS sets the new password while the connection is made, up to {@link HOOKS.CONNECT_PASSWORD_WINDOW_MINUTES}
 * after the ConnectCustomKeyStore call (https://docs.aws.amazon.com/kms/latest/developerguide/connect-keystore.html):
 * a backup taken within that window may hold the password from before it.
 */
export function passwordResetReason(backupCreated: Date, lastConnected: Date | undefined): string | undefined {
  if (!lastConnected)
    return "the store's last connect time is unknown (pass --last-connected to skip the reset when the backup is newer)";
  const windowMinutes = HOOKS.CONNECT_PASSWORD_WINDOW_MINUTES.value;
  if (backupCreated.getTime() < lastConnected.getTime())
    return `the backup (${backupCreated.toISOString()}) predates the store's last connect (${lastConnected.toISOString()}), when KMS set a new kmsuser password`;
  if (backupCreated.getTime() < lastConnected.getTime() + windowMinutes * 60_000)
    return `the backup (${backupCreated.toISOString()}) was taken within ${windowMinutes} minutes of the store's last connect call (${lastConnected.toISOString()}), while KMS may still have been setting a new kmsuser password`;
  return undefined;
}

/**
 * The keys of the store the backup does not hold: created after it, and not already pending
 * deletion (KMSInvalidStateException after a restore, "Troubleshooting a custom key store",
 * https://docs.aws.amazon.com/kms/latest/developerguide/fix-keystore.html).
 */
export function keysLostWith(backupCreated: Date, keys: readonly KeyMetadata[]): KeyMetadata[] {
  return keys.filter(
    (k) =>
      k.KeyState !== "PendingDeletion" &&
      k.CreationDate !== undefined &&
      k.CreationDate.getTime() > backupCreated.getTime(),
  );
}

/** The newest READY backup (CreateTimestamp), or undefined. */
export function newestReadyBackup(backups: readonly Backup[]): Backup | undefined {
  return backups
    .filter((b) => b.BackupState === "READY" && b.CreateTimestamp)
    .sort((a, b) => (b.CreateTimestamp as Date).getTime() - (a.CreateTimestamp as Date).getTime())[0];
}

/**
 * Restores a CloudHSM key store whose cluster is lost (CLUSTER_NOT_FOUND, SUBNET_NOT_FOUND,
 * INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET), in the order AWS documents
 * ("Creating AWS CloudHSM clusters from backups", https://docs.aws.amazon.com/cloudhsm/latest/userguide/create-cluster-from-backup.html;
 * "Editing AWS CloudHSM key store settings", https://docs.aws.amazon.com/kms/latest/developerguide/update-keystore.html):
 * 1. a READY backup of the store's cluster (the newest by default), refused when keys of the store
 *    were created after it (they would be lost: each is named);
 * 2. CreateCluster(SourceBackupId) with the backup's HSM type and mode, in the given subnets, tagged
 *    {@link RESTORED_FOR_TAG}; wait for ACTIVE; CreateHsm in every AZ (>= 2: CreateKey and store
 *    updates need 2 ACTIVE HSMs in different AZs); wait for them;
 * 3. the new cluster's certificate must chain to the store's trust anchor (and equal the old
 *    cluster's when that still exists): only a cluster that shares the backup history is accepted
 *    (CloudHsmClusterNotRelatedException);
 * 4. DisconnectCustomKeyStore, wait; UpdateCustomKeyStore(CloudHsmClusterId);
 * 5. reset the kmsuser password when the backup predates the last connect (`--last-connected`, else
 *    the newest ConnectCustomKeyStore event of the store in CloudTrail's event history; unknown: reset)
 *    (`reset-kmsuser-password`, which also connects), otherwise connect (`connect-key-store`);
 * 6. an Encrypt/Decrypt round trip with every enabled key of the store.
 * Every run describes first: a re-run resumes from where the last one stopped.
 */
export function restoreKeyStore(input: RestoreKeyStoreInput): Promise<StepResult> {
  return guarded(input.log, () => restoreBody(input));
}

async function restoreBody(input: RestoreKeyStoreInput): Promise<StepResult> {
  const { clients, keyStoreId, log } = input;
  const progress = new ProgressReporter(`restore-key-store ${keyStoreId}`, input.clock, log);
  const label = progress.label;
  const minAzs = CLOUDHSM.KEY_STORE_MIN_HSMS.value;
  const problems = kmsuserOnHostProblems(
    input,
    { keyStoreId },
    { backupId: input.backupId, hsmType: input.hsmType, clusterMode: input.mode },
  );
  for (const s of input.subnetIds) problems.push(...checkIds({ subnetId: s }));
  if (new Set(input.subnetIds).size < minAzs)
    problems.push(`'subnetIds' must name at least ${minAzs} subnets (one per AZ, each gets an HSM)`);
  if (input.mode !== undefined && !CLOUDHSM.modeAllowedFor(input.hsmType, input.mode))
    problems.push(`'mode' ${input.mode} is not allowed for ${input.hsmType} (always FIPS)`);
  if (problems.length) throw new HookError(label, "InvalidInput", problems.join("; "), "fix the step's arguments");

  const retrying = <T>(what: string, fn: () => Promise<unknown>) =>
    withRetry(what, fn, { ...input, label }) as Promise<T>;
  const { limiter, kms } = customKeyStoreKms(input, label);
  const hsm = async <T>(what: string, command: object): Promise<T> => {
    try {
      return await retrying<T>(what, () => clients.cloudhsm.send(command));
    } catch (err) {
      throw cloudHsmStepError(label, what, err);
    }
  };
  /** A CloudHSM call that is not idempotent: see {@link withRetryUnlessDone}. */
  const once = async <T>(what: string, command: () => object, alreadyDone: () => Promise<T | undefined>) => {
    try {
      return (await withRetryUnlessDone(what, () => clients.cloudhsm.send(noBlindRetry(command())), alreadyDone, {
        ...input,
        label,
      })) as T;
    } catch (err) {
      throw cloudHsmStepError(label, what, err);
    }
  };
  const describeStore = () =>
    describeKeyStore(
      kms,
      label,
      keyStoreId,
      (what, err) => kmsError(label, what, err),
      "check --key-store-id and --region",
    );

  // 0. The store and its current cluster.
  let store = await describeStore();
  progress.observe(connectionState(store));
  if (store.CustomKeyStoreType === "EXTERNAL_KEY_STORE")
    throw new HookError(
      label,
      "NotACloudHsmKeyStore",
      `${keyStoreId} is an external key store (no CloudHSM cluster to restore)`,
      "for an external key store fix the proxy (docs/xks.md)",
    );
  const storeClusterId = store.CloudHsmClusterId ?? "";
  const clustersById = async (ids: readonly string[]): Promise<Cluster[]> => {
    const out = await hsm<DescribeClustersCommandOutput>(
      "DescribeClusters",
      new DescribeClustersCommand({ Filters: { clusterIds: [...ids] } }),
    );
    return (out.Clusters ?? []).filter((c) => c.State !== "DELETED");
  };
  const storeCluster = storeClusterId ? (await clustersById([storeClusterId]))[0] : undefined;
  const restoredHere = (c: Cluster | undefined) =>
    !!c?.SourceBackupId && (c.TagList ?? []).some((t) => t.Key === RESTORED_FOR_TAG && t.Value === keyStoreId);

  // Already repointed by an earlier run: connect (or reset) and prove the keys. Not when KMS reports
  // that cluster lost in turn (a restored cluster whose subnet went): that is a new restore, from its backups.
  const lostAgain = store.ConnectionState === "FAILED" && LOST_CLUSTER_CODES.includes(store.ConnectionErrorCode ?? "");
  if (
    restoredHere(storeCluster) &&
    !lostAgain &&
    (!input.backupId || storeCluster?.SourceBackupId === input.backupId)
  ) {
    const backup = await oneBackup(storeCluster?.SourceBackupId as string);
    progress.note(`the store already points at ${storeClusterId}, restored from ${backup.BackupId}: resuming`);
    // CONNECTING: the earlier run's connect (after its reset, if any) is still going: its wait is resumed,
    // never restarted by another reset (which would disconnect the store and start a new 20-30 minutes).
    if (store.ConnectionState === "CONNECTING") {
      progress.note("the connect of an earlier run is still going: waiting for it");
      await connectKeyStore({
        ...input,
        clients: { kms: clients.kms, cloudhsm: clients.cloudhsm },
        keyStoreId,
        limiter,
        timeoutMs: Math.max(1, input.timeoutMs - progress.elapsed()),
      });
    } else if (store.ConnectionState !== "CONNECTED") await connectOrReset(backup);
    const proven = await proveKeys();
    return { status: "DONE", state: `CONNECTED, ${proven} keys proven`, elapsedMs: progress.elapsed() };
  }
  if (store.ConnectionState === "CONNECTED")
    throw new HookError(
      label,
      "KeyStoreCONNECTED",
      `the key store is CONNECTED to ${storeClusterId}: its cluster works, there is nothing to restore`,
      "restore only a store whose cluster is lost (CLUSTER_NOT_FOUND, SUBNET_NOT_FOUND, INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET: npm run -s status); to move a working store, disconnect it first",
    );

  // 1. The backup, and the keys it would lose. A cluster an earlier run created for this store is
  // resumed with ITS backup: the default (the old cluster's newest READY backup) can change between
  // runs (a daily backup of a cluster that still exists), and CreateCluster must never run twice.
  const earlier = await earlierRestore();
  const backup = earlier
    ? await oneBackup(earlier.SourceBackupId as string)
    : input.backupId
      ? await oneBackup(input.backupId)
      : await newestBackupOf(storeClusterId);
  const created = backup.CreateTimestamp as Date;
  progress.note(`backup ${backup.BackupId} of ${backup.ClusterId ?? "?"}, created ${created.toISOString()}`);
  const extra = backup as Backup & { HsmType?: string; Mode?: string };
  // SDK 3.332 (the last client-cloudhsm-v2) drops these from responses; newer answers carry them.
  if (extra.HsmType && extra.HsmType !== input.hsmType)
    throw new HookError(
      label,
      "HsmTypeMismatch",
      `backup ${backup.BackupId} is of a ${extra.HsmType} cluster, not ${input.hsmType}`,
      `restore with --hsm-type ${extra.HsmType} (the environment's cloudHsm.hsmType), or pick another backup with --backup-id`,
    );
  const mode = input.mode ?? (CLOUDHSM.FIPS_ONLY_HSM_TYPES.includes(input.hsmType) ? undefined : extra.Mode);
  if (extra.Mode && mode && extra.Mode !== mode)
    throw new HookError(
      label,
      "ModeMismatch",
      `backup ${backup.BackupId} is of a ${extra.Mode} cluster, not ${mode}: a cluster's mode must equal its backup's`,
      `restore with --mode ${extra.Mode} (the environment's cloudHsm.mode), or pick another backup with --backup-id`,
    );
  const keys = await storeKeys();
  const lost = keysLostWith(created, keys);
  if (lost.length)
    throw new HookError(
      label,
      "BackupPredatesKeys",
      `backup ${backup.BackupId} (${created.toISOString()}) predates ${lost.length} key${lost.length > 1 ? "s" : ""} of the store, which would be lost: ${lost.map((k) => `${k.KeyId} (created ${k.CreationDate?.toISOString()})`).join(", ")}`,
      "pick a READY backup created after the newest of them with --backup-id (aws cloudhsmv2 describe-backups), or, if none exists and losing them is accepted, schedule their deletion first",
    );

  // 2. The cluster (found again on a re-run by its tag and backup), and one HSM per AZ.
  let cluster = earlier;
  if (cluster) progress.note(`resuming with ${cluster.ClusterId}, already created from ${backup.BackupId}`);
  else {
    // CreateCluster takes no client token: after a failure AWS may have acted on, the tagged cluster
    // is looked for before it is sent again (never a second cluster).
    const out = await once<CreateClusterCommandOutput>(
      "CreateCluster",
      () =>
        new CreateClusterCommand({
          HsmType: input.hsmType,
          SubnetIds: [...input.subnetIds],
          SourceBackupId: backup.BackupId,
          TagList: [{ Key: RESTORED_FOR_TAG, Value: keyStoreId }],
          // Mode: a field SDK 3.332's type lacks; its JSON serializer sends it as given.
          ...(mode ? { Mode: mode } : {}),
        }),
      async () => {
        const made = (await restoredClusters()).find((c) => c.SourceBackupId === backup.BackupId);
        return made ? { Cluster: made, $metadata: {} } : undefined;
      },
    );
    cluster = out.Cluster as Cluster;
    progress.note(`CreateCluster accepted: ${cluster.ClusterId} from ${backup.BackupId}`);
  }
  const clusterId = cluster.ClusterId as string;
  const describeNew = async () => {
    const found = (await clustersById([clusterId]))[0];
    if (!found)
      throw new HookError(
        label,
        "ClusterNotFound",
        `the restored cluster ${clusterId} is gone`,
        "check the CloudHSM console (was it deleted?), then re-run: a new cluster is created",
      );
    return found;
  };
  const failIfBroken = (c: Cluster) => {
    if (c.State === "DEGRADED" || c.State === "DELETE_IN_PROGRESS")
      throw new HookError(
        label,
        `Cluster${c.State}`,
        `the restored cluster ${clusterId} is ${c.State}: ${c.StateMessage ?? "no message"}`,
        "read the state message in the CloudHSM console; delete the cluster if it cannot recover, then re-run",
      );
  };
  cluster = await waitUntil<Cluster>({
    runtime: input,
    progress,
    target: "the restored cluster ACTIVE",
    first: cluster.State === "ACTIVE" ? cluster : undefined,
    describe: describeNew,
    stateOf: (c) => c.State ?? "UNKNOWN",
    check: failIfBroken,
    done: (c) => c.State === "ACTIVE",
    policy: pollFor(TYPICAL_MS.hsmCreate),
    timeoutAction: "re-run with a larger --timeout-minutes (the step resumes with the same cluster)",
  });
  const azs = Object.keys(cluster.SubnetMapping ?? {}).sort();
  const withHsm = new Set((cluster.Hsms ?? []).map((h) => h.AvailabilityZone));
  for (const az of azs.filter((a) => !withHsm.has(a))) {
    await once(
      "CreateHsm",
      () => new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: az }),
      async () =>
        ((await describeNew()).Hsms ?? []).some((h) => h.AvailabilityZone === az && h.State !== "DELETED")
          ? {}
          : undefined,
    );
    progress.note(`CreateHsm accepted in ${az}`);
  }
  cluster = await waitUntil<Cluster>({
    runtime: input,
    progress,
    target: `an ACTIVE HSM in each of ${azs.join(", ")}`,
    describe: describeNew,
    stateOf: hsmSummary,
    check: failIfBroken,
    done: (c) => azs.every((az) => activeHsms(c).some((h) => h.AvailabilityZone === az)),
    policy: pollFor(TYPICAL_MS.hsmCreate),
    timeoutAction: "re-run with a larger --timeout-minutes (the step resumes with the same cluster and HSMs)",
  });

  // 3. The same cluster certificate (shared backup history), before the store is touched.
  checkCertificate(cluster, storeCluster, store);

  // 4. Repoint the store.
  store = await disconnectKeyStore({
    kms,
    keyStoreId,
    store,
    describe: describeStore,
    toError: (what, err) => kmsError(label, what, err),
    runtime: input,
    progress,
    timeoutAction: "check the key store in the KMS console, then re-run (the step resumes)",
  });
  try {
    await kms(
      "UpdateCustomKeyStore",
      new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: keyStoreId, CloudHsmClusterId: clusterId }),
    );
  } catch (err) {
    throw kmsError(label, "UpdateCustomKeyStore", err);
  }
  progress.note(`UpdateCustomKeyStore: the store now uses ${clusterId}`);

  // 5. Password and connection; 6. every key.
  await connectOrReset(backup);
  const proven = await proveKeys();
  progress.note(
    `restored: set cloudHsm.restored = { clusterId: "${clusterId}", backupId: "${backup.BackupId}" } in the environment, then plan (docs/cloudhsm.md#restore)`,
  );
  return { status: "DONE", state: `CONNECTED, ${proven} keys proven`, elapsedMs: progress.elapsed() };

  async function oneBackup(backupId: string): Promise<Backup> {
    const out = await hsm<DescribeBackupsCommandOutput>(
      "DescribeBackups",
      new DescribeBackupsCommand({ Filters: { backupIds: [backupId] } }),
    );
    const found = (out.Backups ?? []).find((b) => b.BackupId === backupId);
    if (!found)
      throw new HookError(
        label,
        "BackupNotFound",
        `backup ${backupId} does not exist in this account and Region`,
        "list the backups with aws cloudhsmv2 describe-backups and pass one with --backup-id (a backup of another Region must be copied here first: CopyBackupToRegion)",
      );
    return readyOrExplain(found);
  }

  function readyOrExplain(b: Backup): Backup {
    if (b.BackupState === "READY" && b.CreateTimestamp) return b;
    const action =
      b.BackupState === "PENDING_DELETION"
        ? `restore it first (aws cloudhsmv2 restore-backup --backup-id ${b.BackupId}), then re-run`
        : b.BackupState === "CREATE_IN_PROGRESS"
          ? "wait until it is READY, then re-run"
          : "pick another backup with --backup-id";
    throw new HookError(
      label,
      "BackupNotReady",
      `backup ${b.BackupId} is ${b.BackupState ?? "UNKNOWN"}, not READY`,
      action,
    );
  }

  async function newestBackupOf(oldClusterId: string): Promise<Backup> {
    if (!oldClusterId)
      throw new HookError(
        label,
        "UnexpectedClusterId",
        "the key store names no cluster",
        "pass the backup to restore with --backup-id",
      );
    const backups: Backup[] = [];
    let NextToken: string | undefined;
    do {
      const out: DescribeBackupsCommandOutput = await hsm<DescribeBackupsCommandOutput>(
        "DescribeBackups",
        new DescribeBackupsCommand({ Filters: { clusterIds: [oldClusterId] }, NextToken }),
      );
      backups.push(...(out.Backups ?? []));
      NextToken = out.NextToken;
    } while (NextToken);
    const newest = newestReadyBackup(backups);
    if (!newest)
      throw new HookError(
        label,
        "NoReadyBackup",
        `cluster ${oldClusterId} has no READY backup${backups.length ? ` (${backups.map((b) => `${b.BackupId} ${b.BackupState}`).join(", ")})` : ""}`,
        "a backup PENDING_DELETION can be restored (aws cloudhsmv2 restore-backup); a copy in another Region can be copied back (CopyBackupToRegion); then re-run, or pass --backup-id",
      );
    return newest;
  }

  /**
   * The cluster an earlier run created for this store (tagged {@link RESTORED_FOR_TAG}, not being
   * deleted), whatever its backup; refused when it is not the one `--backup-id` names, or when there
   * are several (never a second CreateCluster beside one that exists).
   */
  async function earlierRestore(): Promise<Cluster | undefined> {
    // The store's own cluster is no unfinished restore (it is the lost one, when restored before).
    const found = (await restoredClusters()).filter((c) => c.ClusterId !== storeClusterId);
    const ids = found.map((c) => `${c.ClusterId} (from ${c.SourceBackupId})`).join(", ");
    const cleanup = (keep?: string) =>
      `${keep ? `re-run with --backup-id ${keep} to resume with it, or ` : ""}delete the cluster${found.length > 1 ? "s" : ""} not wanted (aws cloudhsmv2 delete-hsm for each HSM, then delete-cluster) and re-run`;
    const same = input.backupId ? found.filter((c) => c.SourceBackupId === input.backupId) : found;
    if (input.backupId && same.length === 0) {
      if (found.length)
        throw new HookError(
          label,
          "RestoreInProgress",
          `an earlier run already created ${ids} for ${keyStoreId}, not from --backup-id ${input.backupId}`,
          cleanup(found.length === 1 ? found[0].SourceBackupId : undefined),
        );
      return undefined;
    }
    if (same.length > 1)
      throw new HookError(
        label,
        "RestoreInProgress",
        `earlier runs created ${found.length} clusters for ${keyStoreId}: ${ids}`,
        `re-run with --backup-id naming the one to resume, or ${cleanup()}`,
      );
    return same[0];
  }

  async function restoredClusters(): Promise<Cluster[]> {
    const all: Cluster[] = [];
    let NextToken: string | undefined;
    do {
      const out: DescribeClustersCommandOutput = await hsm<DescribeClustersCommandOutput>(
        "DescribeClusters",
        new DescribeClustersCommand({ NextToken }),
      );
      all.push(...(out.Clusters ?? []));
      NextToken = out.NextToken;
    } while (NextToken);
    return all.filter((c) => c.State !== "DELETED" && c.State !== "DELETE_IN_PROGRESS" && restoredHere(c));
  }

  async function storeKeys(): Promise<KeyMetadata[]> {
    const found: KeyMetadata[] = [];
    let Marker: string | undefined;
    do {
      const page: ListKeysCommandOutput = await kms<ListKeysCommandOutput>("ListKeys", new ListKeysCommand({ Marker }));
      for (const k of page.Keys ?? []) {
        let meta: KeyMetadata | undefined;
        try {
          meta = (await kms<DescribeKeyCommandOutput>("DescribeKey", new DescribeKeyCommand({ KeyId: k.KeyId })))
            .KeyMetadata;
        } catch (err) {
          throw kmsError(label, `DescribeKey ${k.KeyId}`, err);
        }
        if (meta?.CustomKeyStoreId === keyStoreId) found.push(meta);
      }
      Marker = page.Truncated ? page.NextMarker : undefined;
    } while (Marker);
    return found;
  }

  function checkCertificate(restored: Cluster, previous: Cluster | undefined, current: CustomKeyStoresListEntry): void {
    const pem = restored.Certificates?.ClusterCertificate ?? "";
    const cert = parseCertificate(pem);
    const anchor = parseCertificate(current.TrustAnchorCertificate ?? "");
    const fix =
      "restore from a backup of the store's own cluster (or of a cluster restored from it): KMS accepts only a cluster that shares its backup history (CloudHsmClusterNotRelatedException); delete the cluster just created";
    if (!cert)
      throw new HookError(
        label,
        "ClusterCertificateMissing",
        `the restored cluster ${restored.ClusterId} has no cluster certificate`,
        fix,
      );
    if (!anchor)
      progress.note(
        "the store's trust anchor could not be read: UpdateCustomKeyStore checks the cluster (CloudHsmClusterNotRelatedException)",
      );
    if (anchor && !(cert.checkIssued(anchor) && cert.verify(anchor.publicKey)))
      throw new HookError(
        label,
        "ClusterCertificateMismatch",
        `the certificate of ${restored.ClusterId} is not signed by the store's trust anchor (${anchor.subject.replace(/\n/g, ", ")})`,
        fix,
      );
    const before = previous?.Certificates?.ClusterCertificate;
    if (before && previous?.ClusterId !== restored.ClusterId) {
      const a = Buffer.from(parseCertificate(before)?.raw ?? Buffer.alloc(0));
      const b = Buffer.from(cert.raw);
      if (a.length !== b.length || !timingSafeEqual(a, b))
        throw new HookError(
          label,
          "ClusterCertificateMismatch",
          `the cluster certificate of ${restored.ClusterId} differs from that of ${previous.ClusterId}, the store's cluster`,
          fix,
        );
    }
    progress.note(`the cluster certificate of ${restored.ClusterId} chains to the store's trust anchor`);
  }

  /** The store's last connect: the --last-connected flag, else CloudTrail's event history, else unknown. */
  async function lastConnect(): Promise<{ at?: Date; unknownWhy?: string }> {
    if (input.lastConnected) {
      progress.note(`the store last connected at ${input.lastConnected.toISOString()} (--last-connected)`);
      return { at: input.lastConnected };
    }
    if (!clients.cloudtrail)
      return { unknownWhy: "the store's last connect time is unknown (no CloudTrail client; pass --last-connected)" };
    const found = await lastConnectFromCloudTrail({
      cloudtrail: clients.cloudtrail,
      keyStoreId,
      clock: input.clock,
      retrying,
    });
    if (found.at) progress.note(found.note);
    return found.at ? { at: found.at } : { unknownWhy: found.note };
  }

  async function connectOrReset(b: Backup): Promise<void> {
    const last = await lastConnect();
    const reason = last.unknownWhy ?? passwordResetReason(b.CreateTimestamp as Date, last.at);
    const remaining = Math.max(1, input.timeoutMs - progress.elapsed());
    if (reason) {
      progress.note(`resetting the kmsuser password: ${reason}`);
      await resetKmsuserPassword({ ...input, limiter, force: true, timeoutMs: remaining });
    } else {
      progress.note(`no kmsuser password reset: the backup postdates the last connect (${last.at?.toISOString()})`);
      await connectKeyStore({
        ...input,
        clients: { kms: clients.kms, cloudhsm: clients.cloudhsm },
        keyStoreId,
        limiter,
        timeoutMs: remaining,
      });
    }
  }

  /** An Encrypt/Decrypt round trip with every enabled key of the store; disabled keys are listed, not failed. */
  async function proveKeys(): Promise<number> {
    const keys = await storeKeys();
    let proven = 0;
    const skipped: string[] = [];
    for (const k of keys) {
      if (k.KeyState !== "Enabled") {
        skipped.push(`${k.KeyId} (${k.KeyState})`);
        continue;
      }
      const plaintext = randomBytes(32);
      try {
        const enc = await kms<EncryptCommandOutput>(
          "Encrypt",
          new EncryptCommand({ KeyId: k.KeyId, Plaintext: plaintext }),
        );
        const dec = await kms<DecryptCommandOutput>(
          "Decrypt",
          new DecryptCommand({ KeyId: k.KeyId, CiphertextBlob: enc.CiphertextBlob }),
        );
        const back = Buffer.from(dec.Plaintext ?? new Uint8Array());
        if (back.length !== plaintext.length || !timingSafeEqual(back, plaintext))
          throw new HookError(
            label,
            "RoundTripMismatch",
            `Decrypt with ${k.KeyId} did not return what Encrypt was given`,
            "contact AWS Support with the key id",
          );
      } catch (err) {
        if (err instanceof HookError) throw err;
        const code = awsErrorCode(err);
        throw new HookError(
          label,
          code,
          `the Encrypt/Decrypt round trip with ${k.KeyId} failed: ${errorMessage(err)}`,
          code === "KMSInvalidStateException"
            ? "the key's material is not in the restored cluster (created after the backup?): restore a newer backup, or accept its loss"
            : code === "AccessDeniedException"
              ? `allow the operator kms:Encrypt and kms:Decrypt on ${k.KeyId} (its key policy), then re-run (the step resumes)`
              : "fix the cause above and re-run (the step resumes)",
        );
      }
      proven++;
    }
    progress.note(
      `round trip proven with ${proven} key${proven === 1 ? "" : "s"}${skipped.length ? `; not tried: ${skipped.join(", ")}` : ""}`,
    );
    return proven;
  }
}

function cloudHsmStepError(label: string, what: string, err: unknown): HookError {
  if (err instanceof HookError) return err;
  const code = awsErrorCode(err);
  if (what === "CreateCluster" && code === "CloudHsmInvalidRequestException")
    return new HookError(
      label,
      code,
      `CreateCluster failed: ${errorMessage(err)}`,
      "the HSM type and mode must be the backup's (--hsm-type, --mode), the subnets in one VPC, one per AZ, in the backup's Region; fix and re-run",
    );
  // Decided by the error's code, never by words of its free-text message (an access denial or a
  // throttling message may well say "limit"). CloudHSM's one limit error is
  // CloudHsmResourceLimitExceededException ("exceeds an CloudHSM limit"); the API reference lists
  // for CreateCluster and CreateHsm only the generic CloudHsmServiceException ("an error occurred")
  // besides access, request, not-found and internal errors, so that one may be a quota too:
  // https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_CreateCluster.html#API_CreateCluster_Errors
  // https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_CreateHsm.html#API_CreateHsm_Errors
  // https://docs.aws.amazon.com/cloudhsm/latest/userguide/limits.html (clusters and HSMs per Region)
  const quota = "raise the CloudHSM quota (clusters or HSMs per Region, Service Quotas) or delete an unused cluster";
  if (code === "CloudHsmResourceLimitExceededException")
    return new HookError(
      label,
      code,
      `${what} failed: ${errorMessage(err)}`,
      `${quota}, then re-run (the step resumes)`,
    );
  if (code === "CloudHsmServiceException" && (what === "CreateCluster" || what === "CreateHsm"))
    return new HookError(
      label,
      code,
      `${what} failed: ${errorMessage(err)}`,
      `CloudHSM gives no more specific code: if the message above names a limit, ${quota}; otherwise re-run (the step resumes)`,
    );
  return cloudHsmError(label, what, err);
}

function kmsError(label: string, what: string, err: unknown): HookError {
  const code = awsErrorCode(err);
  const actions: Record<string, string> = {
    CloudHsmClusterNotRelatedException:
      "the cluster does not share the store's backup history: restore from a backup of the store's own cluster, delete the cluster just created, then re-run",
    CloudHsmClusterInUseException:
      "another key store already uses that cluster: restore into a cluster of its own (never create a second store on it)",
    CloudHsmClusterNotActiveException: "the cluster must be ACTIVE: check it in the CloudHSM console, then re-run",
    CloudHsmClusterInvalidConfigurationException:
      "the cluster needs at least 2 ACTIVE HSMs in different AZs and its original security group rules; fix and re-run",
    CloudHsmClusterNotFoundException: "the restored cluster is gone: re-run (a new one is created)",
    CustomKeyStoreNotFoundException: "check --key-store-id and --region",
    CustomKeyStoreInvalidStateException:
      "the store must be DISCONNECTED to change its cluster: check nothing else reconnected it, then re-run (the step resumes)",
    AccessDeniedException: `grant the role kms:${what.split(" ")[0]} (see hooks/README.md, IAM per step)`,
    KMSInternalException: "transient AWS failure: re-run (the step resumes)",
  };
  return new HookError(
    label,
    code,
    `${what} failed: ${errorMessage(err)}`,
    actions[code] ?? "fix the cause above and re-run (the step resumes)",
  );
}
