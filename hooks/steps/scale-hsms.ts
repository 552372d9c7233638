/**
 * Scale to zero (`cloudHsm.scaleToZero`, docs/cloudhsm.md "Scale to zero"): the three steps that own
 * a scale-to-zero cluster's HSMs instead of Terraform.
 *
 * - `ensure-hsms` (in the graph): creates the HSMs the configuration lists that are missing, the first
 *   alone, and waits until they are ACTIVE. CreateHsm on a cluster that has a backup restores the
 *   latest backup onto the new HSM
 *   (https://docs.aws.amazon.com/cloudhsm/latest/userguide/create-hsm.html: "If you create an HSM in a
 *   cluster that has backups, AWS CloudHSM restores the most recent backup").
 * - `scale-down` (scheduled): confirms a READY backup, disconnects the key store (KMS then refuses
 *   every request for its keys with KMSInvalidStateException until it reconnects:
 *   https://docs.aws.amazon.com/kms/latest/developerguide/disconnect-keystore.html), deletes every HSM
 *   but one (removing an HSM from an active cluster takes a backup:
 *   https://docs.aws.amazon.com/cloudhsm/latest/userguide/manage-backups.html), waits until that backup is
 *   READY, then deletes the last, and waits until they are gone and its backup is READY.
 * - `scale-up` (scheduled): `ensure-hsms` for every HSM of the configuration (at least 2 in 2 AZs,
 *   which KMS needs), then `connect-key-store`.
 *
 * Every step describes first and acts only on what is missing, so a resumed Lambda invocation (or an
 * operator re-running it) continues where the last one stopped. Waits are bounded by the step's budget.
 */
import { CLOUDHSM, inRange } from "@cmk-stacks/aws-limits";
import {
  CreateHsmCommand,
  DeleteHsmCommand,
  DescribeBackupsCommand,
  type Backup,
  type DescribeBackupsCommandOutput,
} from "@aws-sdk/client-cloudhsm-v2";
import type { CustomKeyStoresListEntry } from "@aws-sdk/client-kms";
import { pollFor, TYPICAL_MS } from "../lib/backoff";
import {
  checkClusterHealthy,
  cloudHsmError,
  describeCluster,
  hsmSummary,
  type Cluster,
  type Hsm,
} from "../lib/cluster";
import { awsErrorCode, errorMessage, guarded, HookError } from "../lib/errors";
import { connectionState, customKeyStoreKms, describeKeyStore, disconnectKeyStore } from "../lib/key-store";
import { ProgressReporter } from "../lib/progress";
import type { RateLimiter } from "../lib/rate-limiter";
import { noBlindRetry, withRetry, withRetryUnlessDone } from "../lib/retry";
import type { Sender, StepResult, StepRuntime } from "../lib/runtime";
import { waitUntil } from "../lib/wait";
import { connectKeyStore } from "./connect-key-store";

/** HSMs that exist or are coming (DELETE_IN_PROGRESS and DELETED ones do not count). */
const LIVE = new Set(["CREATE_IN_PROGRESS", "ACTIVE", "DEGRADED"]);
const liveHsms = (c: Cluster): Hsm[] => (c.Hsms ?? []).filter((h) => LIVE.has(h.State ?? ""));
const deleting = (c: Cluster): Hsm[] => (c.Hsms ?? []).filter((h) => h.State === "DELETE_IN_PROGRESS");

export interface EnsureHsmsInput extends StepRuntime {
  readonly clients: { readonly cloudhsm: Sender };
  readonly clusterId: string;
  /** AZ of each HSM, as the configuration lists them (`cloudHsm.hsmAzs`); an AZ listed twice holds two. */
  readonly hsmAzs: readonly string[];
}

/** The AZs (with repeats) of HSMs still to create: `wanted` minus the live HSMs, AZ by AZ. */
export function missingAzs(wanted: readonly string[], cluster: Cluster): string[] {
  const have = new Map<string, number>();
  for (const h of liveHsms(cluster)) have.set(h.AvailabilityZone ?? "", (have.get(h.AvailabilityZone ?? "") ?? 0) + 1);
  const missing: string[] = [];
  for (const az of wanted) {
    const n = have.get(az) ?? 0;
    if (n > 0) have.set(az, n - 1);
    else missing.push(az);
  }
  return missing;
}

/** True when every HSM `wanted` lists is ACTIVE. */
function allActive(wanted: readonly string[], cluster: Cluster): boolean {
  const active = { ...cluster, Hsms: (cluster.Hsms ?? []).filter((h) => h.State === "ACTIVE") };
  return missingAzs(wanted, active).length === 0;
}

/** `ensure-hsms`: the configured HSMs exist and are ACTIVE (see the file comment). */
export function ensureHsms(input: EnsureHsmsInput): Promise<StepResult> {
  return guarded(input.log, async () => {
    const progress = new ProgressReporter(`ensure-hsms ${input.clusterId}`, input.clock, input.log);
    const status = await ensureHsmsBody(input, progress);
    return { status, state: progress.state, elapsedMs: progress.elapsed() };
  });
}

async function ensureHsmsBody(input: EnsureHsmsInput, progress: ProgressReporter): Promise<StepResult["status"]> {
  const { clients, clusterId, hsmAzs } = input;
  const label = progress.label;
  if (!inRange(CLOUDHSM.HSMS_PER_CLUSTER, hsmAzs.length))
    throw new HookError(
      label,
      "InvalidInput",
      `${hsmAzs.length} HSMs asked for; a cluster holds ${CLOUDHSM.HSMS_PER_CLUSTER.min} to ${CLOUDHSM.HSMS_PER_CLUSTER.max}`,
      "fix --hsm-azs",
    );
  const describe = () =>
    withRetry("DescribeClusters", () => describeCluster(clients.cloudhsm, clusterId, label), { ...input, label });
  // Terraform owns no HSM of a scale-to-zero cluster: a degraded one is replaced by deleting it and re-running.
  const healthy = (c: Cluster) => {
    try {
      checkClusterHealthy(c, label);
    } catch (err) {
      if (!(err instanceof HookError) || err.code !== "ClusterDegraded") throw err;
      const hsm = (c.Hsms ?? []).find((h) => h.State === "DEGRADED");
      throw new HookError(
        label,
        err.code,
        err.detail,
        hsm
          ? `delete the degraded HSM (aws cloudhsmv2 delete-hsm --cluster-id ${clusterId} --hsm-id ${hsm.HsmId}), wait until it is gone, then re-run: the step creates what is missing (Terraform owns no HSM of a scale-to-zero cluster)`
          : "read the cluster's state message in the CloudHSM console; contact AWS Support if it stays DEGRADED, then re-run",
      );
    }
  };
  // CreateHsm takes no client token: after a failure AWS may have acted on, the cluster is read before
  // it is sent again (never a second HSM for one missing): HSMs in `az` beyond the `had` seen before.
  const liveIn = (c: Cluster, az: string) => liveHsms(c).filter((h) => h.AvailabilityZone === az).length;
  const createHsm = async (az: string, had: number) => {
    try {
      await withRetryUnlessDone(
        "CreateHsm",
        () => clients.cloudhsm.send(noBlindRetry(new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: az }))),
        async () => (liveIn(await describe(), az) > had ? {} : undefined),
        { ...input, label },
      );
    } catch (err) {
      throw err instanceof HookError ? err : cloudHsmError(label, "CreateHsm", err);
    }
  };
  const wait = (target: string, done: (c: Cluster) => boolean, first?: Cluster) =>
    waitUntil<Cluster>({
      runtime: input,
      progress,
      target,
      first,
      describe,
      stateOf: hsmSummary,
      done,
      check: healthy,
      policy: pollFor(TYPICAL_MS.hsmCreate),
      timeoutAction: `check the cluster's HSMs in the CloudHSM console (a failed CreateHsm, the HSM quota), then re-run: the step creates only what is missing`,
    });

  let cluster = await describe();
  progress.observe(hsmSummary(cluster));
  healthy(cluster);
  // CreateHsm places an HSM only in an AZ of the cluster's subnets: an AZ outside them is refused
  // before any HSM is created (never a half-created set).
  const clusterAzs = Object.keys(cluster.SubnetMapping ?? {});
  const outside = [...new Set(hsmAzs.filter((az) => clusterAzs.length > 0 && !clusterAzs.includes(az)))];
  if (outside.length)
    throw new HookError(
      label,
      "InvalidInput",
      `--hsm-azs ${outside.join(",")}: cluster ${clusterId} has no subnet there (its AZs: ${clusterAzs.sort().join(", ")})`,
      "list only AZs of the cluster's subnets in cloudHsm.hsmAzs (a cluster's subnets cannot change); nothing was created",
    );
  if (missingAzs(hsmAzs, cluster).length === 0 && allActive(hsmAzs, cluster)) {
    progress.note(`already done (${liveHsms(cluster).length} HSMs ACTIVE)`);
    return "ALREADY_DONE";
  }
  // A scale-down still deleting: CreateHsm after it, so the new HSMs restore the backup it takes.
  if (deleting(cluster).length) cluster = await wait("no HSM DELETE_IN_PROGRESS", (c) => !deleting(c).length, cluster);
  let missing = missingAzs(hsmAzs, cluster);
  // The first HSM alone: an uninitialised cluster takes one HSM before it is ACTIVE, and the others
  // copy the first one's keys.
  if (liveHsms(cluster).length === 0 && missing.length) {
    progress.note(`CreateHsm in ${missing[0]} (restores the cluster's latest backup, if any)`);
    await createHsm(missing[0], 0);
    cluster = await wait(`the first HSM ACTIVE`, (c) => (c.Hsms ?? []).some((h) => h.State === "ACTIVE"));
    missing = missingAzs(hsmAzs, cluster);
  }
  if (missing.length) {
    progress.note(`CreateHsm in ${missing.join(", ")}`);
    const had = new Map<string, number>();
    for (const az of missing) {
      const n = had.get(az) ?? liveIn(cluster, az);
      await createHsm(az, n);
      had.set(az, n + 1);
    }
  }
  await wait(`${hsmAzs.length} ACTIVE HSMs (${hsmAzs.join(", ")})`, (c) => allActive(hsmAzs, c));
  return "DONE";
}

export interface ScaleInput extends StepRuntime {
  readonly clients: { readonly kms: Sender; readonly cloudhsm: Sender };
  readonly clusterId: string;
  readonly keyStoreId: string;
  readonly limiter?: RateLimiter;
}

/** The store, refused unless it is the CloudHSM store on `clusterId` (a wrong pair never loses HSMs). */
async function checkedStore(
  input: ScaleInput,
  label: string,
  kms: <T>(what: string, command: object) => Promise<T>,
): Promise<CustomKeyStoresListEntry> {
  const store = await describeKeyStore(
    kms,
    label,
    input.keyStoreId,
    (what, err) =>
      new HookError(
        label,
        awsErrorCode(err),
        `${what} failed: ${errorMessage(err)}`,
        "grant the hook role the kms action named above (hooks/README.md)",
      ),
    "check --key-store-id and --region",
  );
  if (store.CloudHsmClusterId !== input.clusterId)
    throw new HookError(
      label,
      "KeyStoreClusterMismatch",
      `key store ${input.keyStoreId} is on cluster ${store.CloudHsmClusterId ?? "(none: not a CloudHSM key store)"}, not ${input.clusterId}`,
      "pass the cluster of the store (the stack's cloudhsm_cluster_id output); nothing was changed",
    );
  return store;
}

/** The cluster's backups in `states`, newest first (one page: the newest are what matter here). */
async function backups(input: ScaleInput, label: string, states: readonly string[]): Promise<Backup[]> {
  let out: DescribeBackupsCommandOutput;
  try {
    out = (await withRetry(
      "DescribeBackups",
      () =>
        input.clients.cloudhsm.send(
          new DescribeBackupsCommand({
            Filters: { clusterIds: [input.clusterId], states: [...states] },
            SortAscending: false,
          }),
        ),
      { ...input, label },
    )) as DescribeBackupsCommandOutput;
  } catch (err) {
    throw cloudHsmError(label, "DescribeBackups", err);
  }
  return [...(out.Backups ?? [])]
    .filter((b) => b.ClusterId === input.clusterId && states.includes(b.BackupState ?? ""))
    .sort((a, b) => (b.CreateTimestamp?.getTime() ?? 0) - (a.CreateTimestamp?.getTime() ?? 0));
}

/** `scale-down`: backup checkpoint, disconnect, delete every HSM (see the file comment). */
export function scaleDown(input: ScaleInput): Promise<StepResult> {
  return guarded(input.log, () => scaleDownBody(input));
}

async function scaleDownBody(input: ScaleInput): Promise<StepResult> {
  const { clients, clusterId, keyStoreId } = input;
  const progress = new ProgressReporter(`scale-down ${clusterId}`, input.clock, input.log);
  const label = progress.label;
  const { kms } = customKeyStoreKms(input, label);
  let store = await checkedStore(input, label, kms);
  const describe = () =>
    withRetry("DescribeClusters", () => describeCluster(clients.cloudhsm, clusterId, label), { ...input, label });
  let cluster = await describe();
  progress.observe(`${connectionState(store)}, ${hsmSummary(cluster)}`);
  if (cluster.State === "DELETE_IN_PROGRESS" || cluster.State === "DELETED") checkClusterHealthy(cluster, label);
  // An HSM type migration (UPDATE_IN_PROGRESS, limited-write mode) is AWS replacing the HSMs one at a
  // time: no moment to delete them, and no reason to disconnect the store for a scale-down that waits.
  if (cluster.State === "UPDATE_IN_PROGRESS")
    throw new HookError(
      label,
      "ClusterUPDATE_IN_PROGRESS",
      `cluster ${clusterId} is UPDATE_IN_PROGRESS (an HSM type change: ${CLOUDHSM.HSM_TYPE_MIGRATION_DOC}): its HSMs are kept and key store ${input.keyStoreId} stays ${connectionState(store)}`,
      "re-run scale-down once the cluster is ACTIVE again (migrate-hsm-type waits for it); nothing was changed",
    );
  const startedWith = liveHsms(cluster).length;

  // 1. Checkpoint: the HSMs go only when a READY backup exists (CreateHsm restores the latest one on
  // scale-up; without one the new HSMs would be empty and every key of the store lost to KMS).
  const ready = await backups(input, label, ["READY"]);
  if (startedWith > 0 && ready.length === 0)
    throw new HookError(
      label,
      "NoReadyBackup",
      `cluster ${clusterId} has no READY backup: its HSMs are kept (a scale-up could not restore the keys)`,
      "wait for the cluster's daily backup (CloudHSM backs up at least every 24 hours) and re-run; the store was not disconnected",
    );
  if (ready.length)
    progress.note(`checkpoint: newest READY backup ${ready[0].BackupId} of ${ready[0].CreateTimestamp?.toISOString()}`);

  // 2. Disconnect: KMS refuses requests for the store's keys from now until scale-up reconnects it.
  store = await disconnectKeyStore({
    kms,
    keyStoreId,
    store,
    describe: () => checkedStore(input, label, kms),
    toError: (what, err) =>
      new HookError(
        label,
        awsErrorCode(err),
        `${what} failed: ${errorMessage(err)}`,
        "fix the cause above and re-run; no HSM was deleted",
      ),
    runtime: input,
    progress,
    note: `disconnecting ${keyStoreId}: KMS refuses its keys (KMSInvalidStateException) until scale-up`,
    timeoutAction: "check the key store in the KMS console, then re-run (no HSM was deleted)",
  });

  // 3. Delete every HSM (each DeleteHsm takes a backup first). All but one first: the last is deleted
  // only once the backup those deletions took is READY. The store is DISCONNECTED, so that backup holds
  // every key, including those created since the checkpoint; without it the last HSM stays and nothing is lost.
  const known = new Set(ready.map((b) => b.BackupId));
  const since = ready[0]?.CreateTimestamp?.getTime() ?? 0;
  const takenNow = async () =>
    (await backups(input, label, ["READY"])).filter(
      (b) => !known.has(b.BackupId) && (b.CreateTimestamp?.getTime() ?? 0) >= since,
    );
  const waitForDeleteBackup = (timeoutAction: string) =>
    waitUntil<Backup[]>({
      runtime: input,
      progress,
      target: "a READY backup taken by DeleteHsm",
      describe: takenNow,
      stateOf: (b) => (b.length ? `backup ${b[0].BackupId} READY` : "no new READY backup"),
      done: (b) => b.length > 0,
      policy: pollFor(TYPICAL_MS.hsmCreate),
      timeoutAction,
    });
  const deleteHsm = async (hsm: Hsm) => {
    progress.note(`DeleteHsm ${hsm.HsmId} (${hsm.AvailabilityZone})`);
    try {
      // Sent again only when the HSM is still live (a second DeleteHsm of a deleting HSM is refused).
      await withRetryUnlessDone(
        "DeleteHsm",
        () => clients.cloudhsm.send(noBlindRetry(new DeleteHsmCommand({ ClusterId: clusterId, HsmId: hsm.HsmId }))),
        async () => (liveHsms(await describe()).some((h) => h.HsmId === hsm.HsmId) ? undefined : {}),
        { ...input, label },
      );
    } catch (err) {
      throw cloudHsmError(label, "DeleteHsm", err);
    }
  };
  cluster = await describe();
  const toDelete = liveHsms(cluster);
  for (const hsm of toDelete.slice(0, -1)) await deleteHsm(hsm);
  if (toDelete.length > 1) {
    const taken = await waitForDeleteBackup(
      `the last HSM (${toDelete[toDelete.length - 1].HsmId}) is kept, so no key is lost: check the cluster's backups in the CloudHSM console, then re-run scale-down (or scale-up to bring the store back)`,
    );
    progress.note(`backup ${taken[0].BackupId} READY: it holds every key of the disconnected store`);
  }
  const pending = () => backups(input, label, ["CREATE_IN_PROGRESS"]);
  const noBackupInProgress = (timeoutAction: string) =>
    waitUntil<Backup[]>({
      runtime: input,
      progress,
      target: "no backup CREATE_IN_PROGRESS",
      describe: pending,
      stateOf: (b) => (b.length ? `backup ${b[0].BackupId} CREATE_IN_PROGRESS` : "backups READY"),
      done: (b) => b.length === 0,
      policy: pollFor(TYPICAL_MS.hsmCreate),
      timeoutAction,
    });
  // One HSM left (a single-HSM cluster, or a run resumed after the others went): a backup still being
  // made (the one the earlier deletions took) is READY before the last HSM goes.
  if (toDelete.length === 1)
    await noBackupInProgress(
      `the last HSM (${toDelete[0].HsmId}) is kept while a backup is being made: check the cluster's backups in the CloudHSM console, then re-run scale-down`,
    );
  if (toDelete.length) await deleteHsm(toDelete[toDelete.length - 1]);
  const gone = (c: Cluster) => (c.Hsms ?? []).every((h) => h.State === "DELETED");
  cluster = await waitUntil<Cluster>({
    runtime: input,
    progress,
    target: "no HSM",
    first: startedWith === 0 ? cluster : undefined,
    describe,
    stateOf: hsmSummary,
    done: gone,
    policy: pollFor(TYPICAL_MS.hsmCreate),
    timeoutAction: "check the HSMs in the CloudHSM console, then re-run scale-down (it deletes what is left)",
  });

  // 4. The backup DeleteHsm took is READY before the step reports the cluster safely at zero.
  if (toDelete.length === 1)
    await waitForDeleteBackup(
      `the HSM is deleted and its backup is not READY: check the cluster's backups in the CloudHSM console before scale-up (it restores the newest READY backup${ready[0] ? `, now ${ready[0].BackupId}, which lacks keys created after ${ready[0].CreateTimestamp?.toISOString()}` : ""})`,
    );
  await noBackupInProgress(
    "check the cluster's backups in the CloudHSM console; scale-up restores the newest READY one",
  );
  const newest = (await backups(input, label, ["READY"]))[0];
  const state = `0 HSMs, key store ${connectionState(store)}, newest READY backup ${newest?.BackupId ?? "(none)"}`;
  progress.observe(state);
  return {
    status: startedWith === 0 && store.ConnectionState === "DISCONNECTED" ? "ALREADY_DONE" : "DONE",
    state,
    elapsedMs: progress.elapsed(),
  };
}

/** `scale-up`: the configured HSMs (>= 2 AZs), then the store CONNECTED (see the file comment). */
export function scaleUp(input: ScaleInput & { readonly hsmAzs: readonly string[] }): Promise<StepResult> {
  return guarded(input.log, async () => {
    const progress = new ProgressReporter(`scale-up ${input.clusterId}`, input.clock, input.log);
    const label = progress.label;
    if (!CLOUDHSM.hsmAzsServeKeyStore(input.hsmAzs))
      throw new HookError(
        label,
        "InvalidInput",
        `--hsm-azs ${input.hsmAzs.join(",")}: a key store needs at least ${CLOUDHSM.KEY_STORE_MIN_HSMS.value} HSMs in ${CLOUDHSM.KEY_STORE_MIN_HSMS.value} AZs`,
        "pass the configuration's cloudHsm.hsmAzs",
      );
    await checkedStore(input, label, customKeyStoreKms(input, label).kms);
    const hsms = await ensureHsmsBody(input, progress);
    // The rest of the budget, not a new one: the whole scale-up stays within --timeout-minutes.
    const connected = await connectKeyStore({
      ...input,
      timeoutMs: Math.max(0, input.timeoutMs - progress.elapsed()),
    });
    const already = hsms === "ALREADY_DONE" && connected.status === "ALREADY_DONE";
    const state = `${input.hsmAzs.length} HSMs ACTIVE, key store ${connected.state}`;
    progress.observe(state);
    return { status: already ? "ALREADY_DONE" : "DONE", state, elapsedMs: progress.elapsed() };
  });
}
