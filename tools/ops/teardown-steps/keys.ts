/**
 * Keys: each key's last use, then DisableKey and ScheduleKeyDeletion, with an alarm on any use
 * while the deletion is pending.
 *
 * - Deleting keys: https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html
 *   (a window of {@link KMS.DELETION_WINDOW_DAYS}; the key is deleted at the end of it, up to 24 h later).
 * - Last use: https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyLastUsage.html
 *   (tracking has a start date; an empty answer for a key older than it proves nothing before it;
 *   AWS says not to use it as the sole indicator: the key is disabled first, so a forgotten user
 *   fails loudly while cancelling is still possible).
 * - Keys in a CloudHSM key store: https://docs.aws.amazon.com/kms/latest/developerguide/delete-cmk-keystore.html
 *   (the store must stay connected for KMS to delete the key material from the cluster).
 */
import {
  DescribeKeyCommand,
  DisableKeyCommand,
  GetKeyLastUsageCommand,
  ScheduleKeyDeletionCommand,
  type KeyMetadata,
} from "@aws-sdk/client-kms";
import { KMS } from "@cmk-stacks/aws-limits";
import { awsErrorCode } from "../../../hooks/lib/errors";
import { day, str, type StateResource, type TeardownDeps } from "./model";

/** Terraform types whose instances are KMS keys. */
export const KEY_TYPES = new Set([
  "aws_kms_key",
  "aws_kms_external_key",
  "aws_kms_replica_key",
  "aws_kms_replica_external_key",
]);

/** KMS's documented window: the rulebook's {@link KMS.DELETION_WINDOW_DAYS}. */
export const MIN_WINDOW_DAYS = KMS.DELETION_WINDOW_DAYS.min;
export const MAX_WINDOW_DAYS = KMS.DELETION_WINDOW_DAYS.max;
const DAY_MS = 86_400_000;

/** A key of the keys stack's state and its state in KMS. */
export interface KeyState {
  readonly address: string;
  readonly keyId: string;
  /** KMS key state, or `Deleted` when KMS no longer knows the key. */
  readonly state: string;
  readonly deletionDate?: Date;
  readonly customKeyStoreId?: string;
  /** The configured window (deletion_window_in_days), when the state holds one. */
  readonly windowDays?: number;
}

/** The keys of a keys stack's state. */
export function stateKeys(
  keys: readonly StateResource[],
): { address: string; keyId: string; windowDays?: number; customKeyStoreId?: string }[] {
  return keys
    .filter((r) => KEY_TYPES.has(r.type))
    .map((r) => {
      const keyId = str(r, "key_id") ?? str(r, "id") ?? "";
      const w = r.values.deletion_window_in_days;
      const store = str(r, "custom_key_store_id");
      return {
        address: r.address,
        keyId,
        ...(typeof w === "number" ? { windowDays: w } : {}),
        ...(store ? { customKeyStoreId: store } : {}),
      };
    })
    .filter((k) => k.keyId !== "");
}

/** DescribeKey, with NotFoundException as `Deleted` (what KMS answers once the window has run out). */
export async function describeKey(
  deps: TeardownDeps,
  key: { address: string; keyId: string; windowDays?: number; customKeyStoreId?: string },
): Promise<KeyState> {
  let meta: KeyMetadata | undefined;
  try {
    meta = (
      (await deps.clients.kms.send(new DescribeKeyCommand({ KeyId: key.keyId }))) as { KeyMetadata?: KeyMetadata }
    ).KeyMetadata;
  } catch (err) {
    if (awsErrorCode(err) === "NotFoundException") return { ...key, state: "Deleted" };
    throw err;
  }
  const store = meta?.CustomKeyStoreId ?? key.customKeyStoreId;
  return {
    ...key,
    state: meta?.KeyState ?? "Unknown",
    ...(meta?.DeletionDate ? { deletionDate: new Date(meta.DeletionDate) } : {}),
    ...(store ? { customKeyStoreId: store } : {}),
  };
}

/**
 * Scheduled for deletion: PendingDeletion, or PendingReplicaDeletion (a multi-Region primary
 * waits for its replicas: https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-delete.html).
 */
export function isPending(k: Pick<KeyState, "state">): boolean {
  return k.state === "PendingDeletion" || k.state === "PendingReplicaDeletion";
}

/** One line per key for the report. */
export function keyLine(k: KeyState): string {
  if (k.state === "Deleted") return `key ${k.keyId} (${k.address}): deleted`;
  if (k.state === "PendingReplicaDeletion")
    return `key ${k.keyId} (${k.address}): pending deletion once its replica keys are deleted (schedule theirs in their Regions)`;
  if (k.state === "PendingDeletion")
    return `key ${k.keyId} (${k.address}): pending deletion, deleted by KMS on ${k.deletionDate ? day(k.deletionDate) : "?"} (up to 24 h later)`;
  return `key ${k.keyId} (${k.address}): ${k.state}${k.customKeyStoreId ? ` in key store ${k.customKeyStoreId}` : ""}`;
}

/** What GetKeyLastUsage says, in words, and whether it forbids deleting the key now. */
export interface LastUse {
  readonly line: string;
  /** Set when the key was used within the window (or its use cannot be read): the refusal. */
  readonly refusal?: string;
}

/**
 * Reads a key's last cryptographic use. A use within `unusedForDays` refuses the key; so does a
 * failure to read it, or an answer with neither a use nor a tracking start date (no evidence of
 * disuse; the operator checks CloudTrail and uses --force). The answer is honest about tracking:
 * with no recorded use, a key created before tracking began may still have been used before that date.
 */
export async function lastUse(deps: TeardownDeps, keyId: string, unusedForDays: number): Promise<LastUse> {
  let res: {
    KeyLastUsage?: { Operation?: string; Timestamp?: Date; CloudTrailEventId?: string };
    TrackingStartDate?: Date;
    KeyCreationDate?: Date;
  };
  try {
    res = await deps.kmsLimiter.run(() => deps.clients.kms.send(new GetKeyLastUsageCommand({ KeyId: keyId })));
  } catch (err) {
    const code = awsErrorCode(err);
    const why =
      code === "ThrottlingException"
        ? "KMS throttled GetKeyLastUsage (5 requests/s per account and Region) after the SDK's retries; run again in a minute"
        : `GetKeyLastUsage failed with ${code}`;
    return unknownUse(keyId, why);
  }
  const used = res.KeyLastUsage?.Timestamp ? new Date(res.KeyLastUsage.Timestamp) : undefined;
  if (used) {
    const op = res.KeyLastUsage?.Operation ?? "a cryptographic operation";
    const event = res.KeyLastUsage?.CloudTrailEventId
      ? ` (CloudTrail event ${res.KeyLastUsage.CloudTrailEventId})`
      : "";
    const line = `last used on ${day(used)} by ${op}${event}`;
    if (deps.clock.now() - used.getTime() < unusedForDays * DAY_MS) {
      return {
        line,
        refusal: `key ${keyId} was used on ${day(used)} by ${op}${event}, within the last ${unusedForDays} days: find and stop its users, or pass --force (or a shorter --unused-for)`,
      };
    }
    return { line };
  }
  const tracking = res.TrackingStartDate ? new Date(res.TrackingStartDate) : undefined;
  const created = res.KeyCreationDate ? new Date(res.KeyCreationDate) : undefined;
  if (tracking && created && created.getTime() >= tracking.getTime())
    return { line: `never used since it was created on ${day(created)}` };
  if (tracking && deps.clock.now() - tracking.getTime() < unusedForDays * DAY_MS) {
    // Tracking began inside the window: a use before it, still within the window, is not recorded.
    const line = `not used since tracking began on ${day(tracking)}, less than ${unusedForDays} days ago; any earlier use is only in CloudTrail`;
    return {
      line,
      refusal: `key ${keyId} has no recorded use since KMS began tracking it on ${day(tracking)}, less than ${unusedForDays} days ago, so a use earlier in the window is only in CloudTrail: check CloudTrail for its use, then run again with --force (or a --unused-for of at most ${Math.floor((deps.clock.now() - tracking.getTime()) / DAY_MS)} days)`,
    };
  }
  if (tracking)
    return { line: `not used since tracking began on ${day(tracking)}; any earlier use is only in CloudTrail` };
  // Neither a use nor a tracking start date: no evidence of disuse, so it is refused like a failed read.
  return unknownUse(keyId, "GetKeyLastUsage returned neither a last use nor a tracking start date");
}

/** A key whose last use cannot be known: refused (the operator checks CloudTrail, then --force). */
function unknownUse(keyId: string, why: string): LastUse {
  return {
    line: `last use unknown (${why})`,
    refusal: `key ${keyId}: its last use cannot be read (${why}): check CloudTrail for its use, then run again or pass --force`,
  };
}

/** The pending window for a key: the operator's, else the configured one, else KMS's default 30. */
export function windowFor(key: { windowDays?: number }, override?: number): number {
  return override ?? key.windowDays ?? MAX_WINDOW_DAYS;
}

/** DisableKey (when enabled), then ScheduleKeyDeletion; returns the deletion date. */
export async function scheduleDeletion(deps: TeardownDeps, key: KeyState, windowDays: number): Promise<Date> {
  if (key.state === "Enabled") await deps.clients.kms.send(new DisableKeyCommand({ KeyId: key.keyId }));
  const res = (await deps.clients.kms.send(
    new ScheduleKeyDeletionCommand({ KeyId: key.keyId, PendingWindowInDays: windowDays }),
  )) as { DeletionDate?: Date };
  return res.DeletionDate ? new Date(res.DeletionDate) : new Date(deps.clock.now() + windowDays * DAY_MS);
}

/**
 * When to run again for keys pending deletion: the day after the latest deletion date (KMS may
 * take 24 h), or a day from `now` when a key has no date yet (waiting for its replicas).
 */
export function runAgainAfter(keys: readonly KeyState[], now: number): Date | undefined {
  const pending = keys.filter(isPending);
  if (pending.length === 0) return undefined;
  const dates = pending.map((k) => (k.deletionDate ? k.deletionDate.getTime() : now));
  return new Date(Math.max(...dates) + DAY_MS);
}
