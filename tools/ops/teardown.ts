/**
 * `npm run teardown -- <env>`: takes an environment down in AWS's order, dry run by default.
 *
 * Every run first reads where things are (each stack's Terraform state, then AWS), prints it, and
 * continues from there: there is no progress file. The phases (docs/operations.md, "Teardown"):
 *   1. data stack: buckets empty (or --delete-objects), FSx backed up (--delete-file-systems), then
 *      a guarded Terraform phase deletes the data stack (the EBS default key is reset to aws/ebs);
 *   2. keys: last use checked, alarm on use while pending, DisableKey + ScheduleKeyDeletion;
 *   3. key stores (after their keys are deleted) and CloudHSM HSMs, cluster, backups;
 *   4. a guarded Terraform phase deletes the keys stack, forgetting what the API handled;
 *   5. once KMS has deleted every key: the alarm is removed, and the run says the teardown is over.
 * Phases that must wait for AWS (the key deletion window, KMS.DELETION_WINDOW_DAYS) stop the run with the date to run again.
 */
import { CLOUDHSM } from "@cmk-stacks/aws-limits";
import { awsErrorCode, errorMessage } from "../../hooks/lib/errors";
import { readAlarm, ensureAlarm, removeAlarm, alarmNames } from "./teardown-steps/alarm";
import {
  bucketLine,
  bucketRefusal,
  describeBuckets,
  describeFileSystems,
  emptyBucket,
  fileSystemRefusal,
} from "./teardown-steps/data";
import {
  describeKey,
  isPending,
  KEY_TYPES,
  keyLine,
  lastUse,
  MAX_WINDOW_DAYS,
  MIN_WINDOW_DAYS,
  runAgainAfter,
  scheduleDeletion,
  stateKeys,
  windowFor,
  type KeyState,
} from "./teardown-steps/keys";
import {
  day,
  str,
  TeardownStop,
  type StateResource,
  type TeardownDeps,
  type TeardownOptions,
  type TeardownResult,
} from "./teardown-steps/model";
import {
  clusterLine,
  deleteBackupCommand,
  deleteBackups,
  deleteCluster,
  deleteStore,
  describeCluster,
  describeStore,
  liveBackups,
  storeLine,
} from "./teardown-steps/stores";
import { intentFor, runTerraformPhase, type PhaseIntent } from "./teardown-steps/terraform-phase";
import {
  disableSchedule,
  readSchedule,
  scaleUpArgs,
  stateSchedules,
  type ScaleUpArgs,
} from "./teardown-steps/schedules";
import { scaleUp } from "../../hooks/steps/scale-hsms";
import { HookError } from "../../hooks/lib/errors";
import { RedactingLogger } from "../../hooks/lib/logger";

export { TeardownStop } from "./teardown-steps/model";
export type {
  TeardownClients,
  TeardownDeps,
  TeardownIo,
  TeardownOptions,
  TeardownResult,
  TerraformRunner,
  StateResource,
  TeardownConfig,
  Outcome,
} from "./teardown-steps/model";

const DAY_MS = 86_400_000;

/** Resource types the keys stack's Terraform phase forgets (the API phases removed them), with why. */
const KEYS_FORGET: Readonly<Record<string, string>> = {
  aws_kms_key: "pending deletion through ScheduleKeyDeletion (prevent_destroy; last use checked; alarm on use)",
  aws_kms_external_key:
    "pending deletion through ScheduleKeyDeletion (prevent_destroy; last use checked; alarm on use)",
  aws_kms_replica_key: "pending deletion through ScheduleKeyDeletion",
  aws_kms_replica_external_key: "pending deletion through ScheduleKeyDeletion",
  aws_kms_custom_key_store: "deleted through the API after its keys (the provider's delete ignores API errors)",
  aws_cloudhsm_v2_cluster: "deleted through the API after its HSMs and its key store",
  aws_cloudhsm_v2_hsm: "deleted through the API after the key store",
};

/** Resource types the data stack's Terraform phase forgets, with why. */
const DATA_FORGET: Readonly<Record<string, string>> = {
  aws_ebs_encryption_by_default:
    "the account keeps EBS encryption by default on (deleting the resource would turn it off); the default key is reset to aws/ebs",
};

/** Why deleting a resource is safe at its phase. */
function deleteReason(r: StateResource): string {
  if (r.type === "aws_s3_bucket") return "bucket emptied (checked by the teardown)";
  if (r.type === "aws_ebs_default_kms_key")
    return "resets the account's EBS default key to the AWS managed key aws/ebs before the customer key is deleted";
  if (r.type.startsWith("aws_fsx_")) return "file system backed up by the operator (--delete-file-systems)";
  if (r.type === "aws_kms_alias") return "its key is pending deletion";
  return "the environment is being torn down";
}

interface Ctx {
  readonly opts: TeardownOptions;
  readonly deps: TeardownDeps;
  /** Dry run only: an earlier phase would act or stop, so this one is described, not judged. */
  after: boolean;
  refusals: string[];
  waitUntil?: Date;
  /** Dry run only: CloudHSM key stores the scale-to-zero phase would connect (scale-up) before phase 2. */
  scalingUp: Set<string>;
  /** Execute only: what the scale-to-zero phase must do before phase 2 acts (run once nothing refuses). */
  scaleActions: (() => Promise<void>)[];
}

/** Runs (once) what the scale-to-zero phase left for phase 2: schedules disabled, then the scale-up. */
async function runScaleActions(ctx: Ctx): Promise<void> {
  const actions = ctx.scaleActions.splice(0);
  for (const a of actions) await a();
}

function out(ctx: Ctx, line: string): void {
  ctx.deps.io.out(line);
}

/** Asks before an API action unless --yes; a "no" stops the run. */
async function confirmOrStop(ctx: Ctx, question: string): Promise<void> {
  if (ctx.opts.yes) return;
  if (!(await ctx.deps.io.confirm(question)))
    throw new TeardownStop("refused", "not confirmed: nothing changed; run again (or pass --yes) to continue");
}

/** Stops the phase: in execute mode the run ends; in a dry run later phases are described only. */
function stop(ctx: Ctx, kind: "refused" | "waiting", message: string, date?: Date): void {
  if (ctx.opts.execute) throw new TeardownStop(kind, message, date);
  out(ctx, `  would stop here (${kind}): ${message}`);
  if (kind === "refused") ctx.refusals.push(message);
  else if (date && (!ctx.waitUntil || date > ctx.waitUntil)) ctx.waitUntil = date;
  ctx.after = true;
}

async function dataPhase(ctx: Ctx, stack: string, data: StateResource[]): Promise<void> {
  out(ctx, `== 1/5 data stack ${stack} ==`);
  if (data.length === 0) {
    out(ctx, "  nothing left in its Terraform state");
    return;
  }
  const buckets = await describeBuckets(ctx.deps.clients, data);
  const fss = await describeFileSystems(ctx.deps.clients, data);
  for (const b of buckets) out(ctx, `  ${bucketLine(b)}`);
  for (const f of fss)
    out(ctx, `  FSx file system ${f.id}: ${f.exists ? `exists, ${f.volumes.length} volume(s)` : "already deleted"}`);
  for (const r of data.filter((x) => x.type === "aws_ebs_default_kms_key"))
    out(
      ctx,
      `  EBS default key ${str(r, "key_arn") ?? "?"}: Terraform resets it to aws/ebs; encryption by default stays on`,
    );
  const refusals = [
    ...buckets.filter((b) => b.exists && b.entries > 0 && !ctx.opts.deleteObjects).map(bucketRefusal),
    ...fss.filter((f) => f.exists && !ctx.opts.deleteFileSystems).map((f) => fileSystemRefusal(f, ctx.opts)),
  ];
  if (refusals.length) return stop(ctx, "refused", refusals.join("\n  "));
  const toEmpty = buckets.filter((b) => b.exists && b.entries > 0);
  const intent = intentFor(stack, data, (r) => DATA_FORGET[r.type], deleteReason);
  if (!ctx.opts.execute) {
    for (const b of toEmpty)
      out(ctx, `  would delete every object version and delete marker of bucket ${b.bucket} (--delete-objects)`);
    describeIntent(ctx, intent);
    ctx.after = true;
    return;
  }
  if (toEmpty.length) {
    await confirmOrStop(
      ctx,
      `Delete every object version and delete marker of ${toEmpty.map((b) => b.bucket).join(", ")}? This cannot be undone.`,
    );
    for (const b of toEmpty) await emptyBucket(ctx.deps.clients, b.bucket, (l) => out(ctx, l));
  }
  await runTerraformPhase(ctx.deps, ctx.opts.yes, intent);
}

function describeIntent(ctx: Ctx, intent: PhaseIntent): void {
  out(
    ctx,
    `  would run the guarded Terraform phase of ${intent.stack} (plan, plan guard with entries for that plan's digest, confirmation, apply): delete ${intent.remove.size}, forget ${intent.forget.size}`,
  );
  for (const a of intent.remove.keys()) out(ctx, `    delete ${a}`);
  for (const [a, why] of intent.forget) out(ctx, `    forget ${a} (${why})`);
}

/** Every key the environment had: the keys stack's state, plus those the alarm remembers after Terraform forgot them. */
async function allKeys(ctx: Ctx, keys: StateResource[], remembered: ReadonlyMap<string, string>): Promise<KeyState[]> {
  const known = stateKeys(keys);
  for (const id of remembered.keys())
    if (!known.some((k) => k.keyId === id)) known.push({ address: "(no longer in Terraform state)", keyId: id });
  const outStates: KeyState[] = [];
  for (const k of known) outStates.push(await describeKey(ctx.deps, k));
  return outStates;
}

/**
 * Scale to zero (tools/ops/teardown-steps/schedules.ts): before any key is scheduled for deletion the
 * stack's schedules stop acting (disabled), and a scaled-down cluster is brought up (the `scale-up`
 * hook step), so the key store stays CONNECTED through the deletion window.
 */
async function scaleToZeroPhase(
  ctx: Ctx,
  keys: StateResource[],
  keyStates: KeyState[],
  dataLeft: boolean,
): Promise<void> {
  const refs = stateSchedules(keys);
  if (refs.length === 0) return;
  out(ctx, "== before 2/5: scale to zero (cloudHsm.scaleToZero): schedules stopped, HSMs up ==");
  const act = ctx.opts.execute && !dataLeft;
  const found = [];
  for (const s of refs) {
    const current = await readSchedule(ctx.deps, s);
    if (!current) {
      out(ctx, `  schedule ${s.group}/${s.name}: already deleted`);
      continue;
    }
    out(
      ctx,
      `  schedule ${s.group}/${s.name}: ${current.State ?? "?"} (${current.ScheduleExpression ?? "?"}${current.ScheduleExpressionTimezone ? ` ${current.ScheduleExpressionTimezone}` : ""})`,
    );
    found.push({ s, current });
  }
  const enabled = found.filter((x) => x.current.State !== "DISABLED");
  if (enabled.length && !act) {
    for (const { s } of enabled)
      out(
        ctx,
        `  would disable schedule ${s.group}/${s.name} (UpdateSchedule State DISABLED, every other field as it is): no scale-down or scale-up while the keys are pending deletion`,
      );
    ctx.after = true;
  } else if (enabled.length) {
    out(ctx, `  ${enabled.length} schedule(s) to disable before any key is scheduled for deletion`);
    ctx.scaleActions.push(async () => {
      await confirmOrStop(
        ctx,
        `Disable the ${enabled.length} scale-to-zero schedule(s) ${enabled.map((x) => x.s.name).join(", ")}? The cluster then stays as it is until the teardown deletes it (terraform apply of the keys stack enables them again).`,
      );
      for (const { s, current } of enabled) {
        await disableSchedule(ctx.deps, s, current);
        out(ctx, `  schedule ${s.group}/${s.name}: DISABLED`);
      }
    });
  } else if (found.length) out(ctx, "  every schedule is DISABLED already");
  if (!keyStates.some((k) => k.state !== "Deleted")) {
    out(ctx, "  every key is deleted: the cluster need not be up");
    return;
  }
  const up = found.map((x) => scaleUpArgs(x.current)).find((a) => a !== undefined);
  if (!up) {
    out(
      ctx,
      "  no scale-up schedule left to read the cluster, key store and HSM AZs from: make sure the key store is CONNECTED (phase 2 checks it)",
    );
    return;
  }
  const store = await describeStore(ctx.deps, up.keyStoreId);
  const cluster = await describeCluster(ctx.deps, up.clusterId);
  out(ctx, `  ${storeLine(up.keyStoreId, store)}`);
  out(ctx, `  ${clusterLine(up.clusterId, cluster)}`);
  if (!store || !cluster) return;
  const activeAzs = (cluster.Hsms ?? []).filter((h) => h.State === "ACTIVE").map((h) => h.AvailabilityZone);
  if (store.ConnectionState === "CONNECTED" && CLOUDHSM.hsmAzsServeKeyStore(activeAzs)) {
    out(
      ctx,
      `  cluster ${up.clusterId} is up and key store ${up.keyStoreId} CONNECTED: it stays so through the deletion window`,
    );
    return;
  }
  const what = `the scale-up step: HSMs in ${up.hsmAzs.join(", ")} (CreateHsm restores the cluster's latest backup), until ACTIVE, then connect key store ${up.keyStoreId}, which stays CONNECTED through the keys' deletion window`;
  ctx.scalingUp.add(up.keyStoreId);
  if (!act) {
    out(ctx, `  would run ${what}`);
    ctx.after = true;
    return;
  }
  out(ctx, `  cluster ${up.clusterId} is scaled down: the scale-up runs before any key is scheduled for deletion`);
  ctx.scaleActions.push(() => runScaleUp(ctx, up, what));
}

/** Runs the scale-up step (execute mode, from phase 2 once nothing refuses). */
async function runScaleUp(ctx: Ctx, up: ScaleUpArgs, what: string): Promise<void> {
  await confirmOrStop(
    ctx,
    `Scale CloudHSM cluster ${up.clusterId} up (HSMs in ${up.hsmAzs.join(", ")}: billed hourly) and connect key store ${up.keyStoreId}?`,
  );
  out(ctx, `  running ${what}`);
  try {
    const r = await scaleUp({
      clients: { kms: ctx.deps.clients.kms, cloudhsm: ctx.deps.clients.cloudhsm },
      clusterId: up.clusterId,
      keyStoreId: up.keyStoreId,
      hsmAzs: up.hsmAzs,
      clock: ctx.deps.clock,
      log: new RedactingLogger((l) => out(ctx, `    ${l}`)),
      timeoutMs: ctx.deps.maxWaitMs ?? 30 * 60_000,
      limiter: ctx.deps.kmsLimiter,
    });
    out(ctx, `  scale-up: ${r.state}`);
  } catch (err) {
    if (err instanceof HookError && err.code === "TIMEOUT")
      throw new TeardownStop(
        "waiting",
        `scale-up of cluster ${up.clusterId} is not done yet (${err.detail}); no key was scheduled for deletion; run the teardown again to continue`,
      );
    throw new TeardownStop(
      "refused",
      `scale-up of cluster ${up.clusterId} failed: ${errorMessage(err)}; no key was scheduled for deletion (KMS deletes key material from the cluster only while the store is CONNECTED)`,
    );
  }
}

async function keysPhase(ctx: Ctx, keyStates: KeyState[], dataLeft: boolean): Promise<void> {
  out(ctx, "== 2/5 keys: last use, disable, schedule deletion ==");
  for (const k of keyStates) out(ctx, `  ${keyLine(k)}`);
  const toSchedule = keyStates.filter((k) => !isPending(k) && k.state !== "Deleted");
  const alarm = await readAlarm(ctx.deps, ctx.opts.env);
  const names = alarmNames(ctx.opts.env);
  out(
    ctx,
    `  alarm on use while pending (${names.alarm}): ${alarm ? `in place, watching ${alarm.keys.size} key(s)` : "none"}`,
  );
  if (toSchedule.length === 0) {
    // Keys already pending (an earlier run, or scheduled by hand): the store stays CONNECTED meanwhile.
    if (ctx.opts.execute && !dataLeft) await runScaleActions(ctx);
    // Keys already pending (an earlier run, or scheduled by hand) keep an alarm while they wait.
    const pending = keyStates.filter(isPending);
    const unwatched = pending.filter((k) => !alarm?.keys.has(k.keyId));
    if (unwatched.length && ctx.opts.cloudTrailLogGroup && ctx.opts.execute) {
      await ensureAlarm(
        ctx.deps,
        ctx.opts.env,
        ctx.opts.cloudTrailLogGroup,
        ctx.opts.alarmTopicArn,
        new Map(unwatched.map((k) => [k.keyId, k.deletionDate ?? new Date(ctx.deps.clock.now())])),
      );
      out(ctx, `  alarm now also watches ${unwatched.map((k) => k.keyId).join(", ")}`);
    } else if (unwatched.length)
      out(ctx, `  ${unwatched.length} pending key(s) have no alarm: pass --cloudtrail-log-group to add one`);
    return;
  }
  if (dataLeft && !ctx.opts.execute) {
    out(ctx, "  (after the data stack is gone)");
  }
  const refusals: string[] = [];
  const windows = new Map<string, number>();
  for (const k of toSchedule) {
    const use = await lastUse(ctx.deps, k.keyId, ctx.opts.unusedForDays);
    out(ctx, `  key ${k.keyId}: ${use.line}`);
    if (use.refusal && !ctx.opts.force) refusals.push(use.refusal);
    else if (use.refusal) out(ctx, `  key ${k.keyId}: --force: deleting despite: ${use.refusal}`);
    const w = windowFor(k, ctx.opts.pendingWindowDays);
    if (!Number.isInteger(w) || w < MIN_WINDOW_DAYS || w > MAX_WINDOW_DAYS)
      refusals.push(`key ${k.keyId}: pending window ${w} days is outside KMS's ${MIN_WINDOW_DAYS}-${MAX_WINDOW_DAYS}`);
    windows.set(k.keyId, w);
    if (k.customKeyStoreId) {
      const s = await describeStore(ctx.deps, k.customKeyStoreId);
      if (ctx.scalingUp.has(k.customKeyStoreId))
        out(ctx, `  key ${k.keyId}: key store ${k.customKeyStoreId} is CONNECTED by the scale-up above first`);
      else if (s && (s.CustomKeyStoreType ?? "AWS_CLOUDHSM") === "AWS_CLOUDHSM" && s.ConnectionState !== "CONNECTED") {
        refusals.push(
          `key ${k.keyId} is in CloudHSM key store ${k.customKeyStoreId}, which is ${s.ConnectionState ?? "?"}: KMS deletes the key material from the cluster only while the store is CONNECTED (https://docs.aws.amazon.com/kms/latest/developerguide/delete-cmk-keystore.html); connect it first`,
        );
      }
    }
  }
  if (!ctx.opts.cloudTrailLogGroup && !ctx.opts.withoutAlarm) {
    refusals.push(
      `the alarm on use of a key pending deletion needs the CloudWatch Logs group of the account's CloudTrail trail: pass --cloudtrail-log-group <name> (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys-creating-cloudwatch-alarm.html), or --without-alarm to go without`,
    );
  }
  if (refusals.length) return stop(ctx, "refused", refusals.join("\n  "));
  const plan = toSchedule.map((k) => `${k.keyId} (${windows.get(k.keyId)} days)`).join(", ");
  if (!ctx.opts.execute || dataLeft) {
    out(
      ctx,
      `  would ${ctx.opts.withoutAlarm ? "" : `create the alarm ${names.alarm} (metric filter on ${ctx.opts.cloudTrailLogGroup ?? "?"}), then `}disable and schedule deletion of: ${plan}`,
    );
    ctx.after = true;
    return;
  }
  await runScaleActions(ctx);
  await confirmOrStop(
    ctx,
    `Disable and schedule deletion of ${toSchedule.length} key(s): ${plan}? Data encrypted under them becomes unreadable when the window ends.`,
  );
  const now = ctx.deps.clock.now();
  if (!ctx.opts.withoutAlarm && ctx.opts.cloudTrailLogGroup) {
    const arn = await ensureAlarm(
      ctx.deps,
      ctx.opts.env,
      ctx.opts.cloudTrailLogGroup,
      ctx.opts.alarmTopicArn,
      new Map(toSchedule.map((k) => [k.keyId, new Date(now + (windows.get(k.keyId) ?? MAX_WINDOW_DAYS) * DAY_MS)])),
    );
    out(ctx, `  alarm ${arn}: in place`);
  }
  for (const k of toSchedule) {
    const date = await scheduleDeletion(ctx.deps, k, windows.get(k.keyId) ?? MAX_WINDOW_DAYS);
    out(
      ctx,
      `  key ${k.keyId}: disabled, deletion scheduled for ${day(date)}; to keep it: aws kms cancel-key-deletion --key-id ${k.keyId} --region ${ctx.opts.region} (it stays disabled)`,
    );
    Object.assign(k, { state: "PendingDeletion", deletionDate: date });
  }
}

async function storesPhase(ctx: Ctx, keys: StateResource[], keyStates: KeyState[]): Promise<boolean> {
  out(ctx, "== 3/5 key stores, CloudHSM HSMs and clusters ==");
  const storeIds = keys
    .filter((r) => r.type === "aws_kms_custom_key_store")
    .map((r) => str(r, "id") ?? "")
    .filter(Boolean);
  const clusterIds = new Set(
    keys
      .filter((r) => r.type === "aws_cloudhsm_v2_cluster")
      .map((r) => str(r, "cluster_id") ?? str(r, "id") ?? "")
      .filter(Boolean),
  );
  if (storeIds.length === 0 && clusterIds.size === 0) {
    out(ctx, "  none in this environment");
    return true;
  }
  // Stores and clusters this run leaves in place.
  let remaining = 0;
  for (const id of storeIds) {
    const s = await describeStore(ctx.deps, id);
    out(ctx, `  ${storeLine(id, s)}`);
    if (s?.CloudHsmClusterId) clusterIds.add(s.CloudHsmClusterId);
    if (!s) continue;
    remaining++;
    const left = keyStates.filter((k) => k.customKeyStoreId === id && k.state !== "Deleted");
    if (left.some((k) => !isPending(k))) {
      out(ctx, `  key store ${id}: waits for its keys to be scheduled for deletion (phase 2)`);
      ctx.after = true;
      continue;
    }
    if (left.length) {
      const date = runAgainAfter(left, ctx.deps.clock.now()) as Date;
      const cloudHsm = (s.CustomKeyStoreType ?? "AWS_CLOUDHSM") === "AWS_CLOUDHSM";
      if (cloudHsm && s.ConnectionState !== "CONNECTED") {
        out(
          ctx,
          `  WARNING key store ${id} is ${s.ConnectionState ?? "?"} while ${left.length} key(s) are pending deletion: KMS deletes their material from the cluster only while it is CONNECTED; connect it (aws kms connect-custom-key-store --custom-key-store-id ${id}) before ${day(date)}`,
        );
      }
      stop(
        ctx,
        "waiting",
        `key store ${id} keeps ${left.length} key(s) pending deletion until ${day(date)}${cloudHsm ? " and stays CONNECTED meanwhile" : ""}; run the teardown again on or after ${day(date)}`,
        date,
      );
      continue;
    }
    if (!ctx.opts.execute || ctx.after) {
      out(ctx, `  would disconnect and delete key store ${id}`);
      ctx.after = true;
      continue;
    }
    await confirmOrStop(ctx, `Disconnect and delete key store ${id}?`);
    await deleteStore(ctx.deps, id, s);
    remaining--;
    out(
      ctx,
      `  key store ${id}: deleted${s.CustomKeyStoreType === "EXTERNAL_KEY_STORE" ? "; KMS never deletes the external keys: delete them in the external key manager if they must go" : ""}`,
    );
  }
  for (const id of clusterIds) {
    const storesLeft = await Promise.all(storeIds.map(async (sid) => ({ sid, s: await describeStore(ctx.deps, sid) })));
    const c = await describeCluster(ctx.deps, id);
    out(ctx, `  ${clusterLine(id, c)}`);
    if (c) {
      remaining++;
      const holding = storesLeft.filter((x) => x.s?.CloudHsmClusterId === id);
      if (holding.length) {
        out(ctx, `  CloudHSM cluster ${id}: waits for key store ${holding.map((x) => x.sid).join(", ")} to be deleted`);
        continue;
      }
      if (!ctx.opts.execute || ctx.after) {
        out(ctx, `  would delete its ${(c.Hsms ?? []).length} HSM(s), then the cluster`);
        ctx.after = true;
        continue;
      }
      await confirmOrStop(ctx, `Delete the ${(c.Hsms ?? []).length} HSM(s) of CloudHSM cluster ${id} and the cluster?`);
      await deleteCluster(ctx.deps, id, c);
      remaining--;
      out(ctx, `  CloudHSM cluster ${id}: deleted`);
    }
    const backups = await liveBackups(ctx.deps, id);
    if (backups.length === 0) continue;
    out(ctx, `  ${backups.length} backup(s) of ${id} still hold its key material:`);
    for (const b of backups)
      out(
        ctx,
        `    ${b.BackupId ?? "?"} (${b.BackupState ?? "?"}, ${b.CreateTimestamp ? day(new Date(b.CreateTimestamp)) : "?"}): ${deleteBackupCommand(b.BackupId ?? "?", ctx.opts.region)}`,
      );
    if (ctx.opts.deleteBackups && ctx.opts.execute && !c) {
      await confirmOrStop(
        ctx,
        `Delete ${backups.length} backup(s) of ${id}? (restorable for ${CLOUDHSM.BACKUP_PENDING_DELETION_DAYS.value} days)`,
      );
      await deleteBackups(ctx.deps, backups);
      out(
        ctx,
        `  backups of ${id}: deletion requested (PENDING_DELETION for ${CLOUDHSM.BACKUP_PENDING_DELETION_DAYS.value} days; aws cloudhsmv2 restore-backup undoes it)`,
      );
    } else out(ctx, "  the teardown leaves backups alone unless --delete-backups is given");
  }
  return remaining === 0;
}

async function keysTerraformPhase(
  ctx: Ctx,
  stack: string,
  keys: StateResource[],
  keyStates: KeyState[],
  storesGone: boolean,
): Promise<void> {
  out(ctx, `== 4/5 keys stack ${stack} through Terraform ==`);
  if (keys.length === 0) {
    out(ctx, "  nothing left in its Terraform state");
    return;
  }
  const unscheduled = keyStates.filter((k) => !isPending(k) && k.state !== "Deleted");
  const intent = intentFor(
    stack,
    keys,
    (r) => KEYS_FORGET[r.type] ?? (KEY_TYPES.has(r.type) ? KEYS_FORGET.aws_kms_key : undefined),
    deleteReason,
  );
  if (unscheduled.length || !storesGone || ctx.after) {
    if (!ctx.after)
      out(
        ctx,
        `  waits for ${unscheduled.length ? "every key to be pending deletion" : "the key stores and clusters to be deleted"}`,
      );
    if (!ctx.opts.execute) describeIntent(ctx, intent);
    ctx.after = true;
    return;
  }
  if (!ctx.opts.execute) {
    describeIntent(ctx, intent);
    ctx.after = true;
    return;
  }
  await runTerraformPhase(ctx.deps, ctx.opts.yes, intent);
}

async function finishPhase(ctx: Ctx, keyStates: KeyState[]): Promise<void> {
  out(ctx, "== 5/5 KMS deletes the keys ==");
  const left = keyStates.filter((k) => k.state !== "Deleted");
  const alarm = await readAlarm(ctx.deps, ctx.opts.env);
  if (left.length) {
    const date = runAgainAfter(left, ctx.deps.clock.now());
    for (const k of left) out(ctx, `  ${keyLine(k)}`);
    if (!date) {
      out(ctx, "  (after the keys are scheduled for deletion)");
      ctx.after = true;
      return;
    }
    stop(
      ctx,
      "waiting",
      `${left.length} key(s) pending deletion; KMS deletes the last on ${day(new Date(date.getTime() - DAY_MS))} (up to 24 h later)${alarm ? `; the alarm ${alarmNames(ctx.opts.env).alarm} reports any use meanwhile` : ""}; run the teardown again on or after ${day(date)}`,
      date,
    );
    return;
  }
  if (alarm) {
    if (!ctx.opts.execute || ctx.after) {
      out(
        ctx,
        `  would remove the alarm ${alarmNames(ctx.opts.env).alarm} and its metric filter (every key it watched is deleted)`,
      );
      ctx.after = true;
      return;
    }
    await removeAlarm(ctx.deps, ctx.opts.env, alarm.logGroup ?? ctx.opts.cloudTrailLogGroup);
    out(ctx, "  alarm and metric filter removed");
  }
  out(ctx, keyStates.length ? "  every key is deleted" : "  no keys");
}

/**
 * Runs the teardown: describes every phase and, with `execute`, acts on the first ones that can
 * act now. Never throws for a refusal or a wait (see {@link TeardownResult}); AWS errors it cannot
 * map are rethrown with their code for the command line to print.
 */
export async function runTeardown(opts: TeardownOptions, deps: TeardownDeps): Promise<TeardownResult> {
  const ctx: Ctx = { opts, deps, after: false, refusals: [], scalingUp: new Set(), scaleActions: [] };
  out(
    ctx,
    `Teardown of ${opts.env} (${opts.region}): ${opts.execute ? "EXECUTE" : "dry run, nothing is changed (--execute to act)"}`,
  );
  try {
    const dataStack = `${opts.env}-data`;
    const keysStack = `${opts.env}-keys`;
    const data = await deps.terraform.state(dataStack);
    await dataPhase(ctx, dataStack, data);
    // Read again only after an apply (each read starts Terraform and its provider).
    const dataLeft = opts.execute ? data.length > 0 && (await deps.terraform.state(dataStack)).length > 0 : ctx.after;
    const keys = await deps.terraform.state(keysStack);
    const alarm = await readAlarm(deps, opts.env);
    const keyStates = await allKeys(ctx, keys, alarm?.keys ?? new Map());
    await scaleToZeroPhase(ctx, keys, keyStates, dataLeft);
    await keysPhase(ctx, keyStates, dataLeft);
    const storesGone = await storesPhase(ctx, keys, keyStates);
    // Phases 2 and 3 act through the API only: the keys stack's state is still the one read above.
    await keysTerraformPhase(ctx, keysStack, keys, keyStates, storesGone);
    await finishPhase(ctx, keyStates);
  } catch (err) {
    if (err instanceof TeardownStop) {
      deps.io.out(`${err.outcome === "waiting" ? "WAITING" : "REFUSED"}: ${err.message}`);
      return {
        outcome: err.outcome,
        exitCode: err.outcome === "waiting" ? 3 : 1,
        ...(err.runAgainAfter ? { runAgainAfter: err.runAgainAfter } : {}),
      };
    }
    throw new Error(`${awsErrorCode(err) !== "Unknown" ? `${awsErrorCode(err)}: ` : ""}${errorMessage(err)}`);
  }
  if (!opts.execute) {
    if (ctx.refusals.length)
      deps.io.out(`DRY RUN: an executed run would stop with REFUSED (${ctx.refusals.length} problem(s) above)`);
    else if (ctx.waitUntil)
      deps.io.out(`DRY RUN: an executed run would act as above, then wait until ${day(ctx.waitUntil)}`);
    else deps.io.out(ctx.after ? "DRY RUN: run with --execute to do the above" : "DRY RUN: nothing left to tear down");
    return { outcome: "dry-run", exitCode: ctx.refusals.length ? 1 : 0 };
  }
  deps.io.out(`FINISHED: ${opts.env} is torn down`);
  return { outcome: "finished", exitCode: 0 };
}
