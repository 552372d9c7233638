/**
 * Last use before loss (`plan-guard --last-use`): for every KMS key a plan would delete (schedule for
 * deletion), replace, forget, disable, narrow (a policy or grant change that takes rights away) or
 * repoint (an alias moved off it or removed), when KMS last saw it used and for what, through
 * GetKeyLastUsage (2026-04). Read-only; never changes the verdict; a key whose use cannot be read is
 * reported as not checked, with the reason, never passed over.
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyLastUsage.html
 *
 * What the answer means (from the API reference): a `KeyLastUsage` with a timestamp is the last
 * successful cryptographic operation since `TrackingStartDate`; none, with the key created on or
 * after that date, means never used; none, with the key created before it, means no use recorded
 * since tracking began (earlier use is only in CloudTrail). Replicas of a multi-Region key are
 * tracked separately, each in its own Region. AWS warns not to take it as the only sign before a
 * deletion: disable the key first and watch CloudTrail for DisabledException.
 */
import { KMS } from "@cmk-stacks/aws-limits";
import type { LoadedPlan } from "./model";
import { actionOf, valuesOf } from "./plan-index";
import { isObject, type ResourceChange } from "./plan-json";
import { policyDiff } from "./policy-diff";
import { KMS_KEY_TYPES } from "./resources";

/** One key the plan puts at risk, and why (several reasons merge into one entry per key). */
export interface LastUseTarget {
  readonly stack: string;
  /** The key's address in the plan, or the address of what affects it (alias, policy, grant) when the key is not in the plan. */
  readonly address: string;
  readonly keyId: string;
  /** The key's Region, from an ARN in the plan; undefined when the plan shows none. */
  readonly region?: string;
  readonly reasons: readonly string[];
}

/** What GetKeyLastUsage answers (the SDK's GetKeyLastUsageResponse, the fields read here). */
export interface KeyLastUsageAnswer {
  readonly KeyLastUsage?: {
    readonly Operation?: string;
    readonly Timestamp?: Date;
    readonly CloudTrailEventId?: string;
  };
  readonly TrackingStartDate?: Date;
  readonly KeyCreationDate?: Date;
}

/** Reads one key's last use; rejects with the SDK's error (its `name` is the AWS error code). */
export type LastUsageReader = (keyId: string, region: string, signal: AbortSignal) => Promise<KeyLastUsageAnswer>;

/** The clock the limiter and the deadline use (injectable for tests). */
export interface LastUseClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const SYSTEM_CLOCK: LastUseClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/** Options of {@link checkLastUse}. */
export interface LastUseOptions {
  /** Region for keys whose Region the plan does not show. @default - none: such keys are not checked */
  readonly defaultRegion?: string;
  /** Every answer must arrive within this many milliseconds of the start. @default 60000 */
  readonly timeoutMs?: number;
  /** Requests per second, at most the rulebook's {@link KMS.GET_KEY_LAST_USAGE_REQUESTS_PER_SECOND}. */
  readonly ratePerSecond?: number;
  /** @default {@link SYSTEM_CLOCK} */
  readonly clock?: LastUseClock;
}

/** One line of the report: checked (with what KMS said) or not checked (with why). */
export interface LastUseEntry {
  readonly target: LastUseTarget;
  readonly checked: boolean;
  /** `last used on ... by ...`, `never used since ...`, or `could not check: ...`. */
  readonly text: string;
}

/**
 * The longest --last-use-timeout: Node's timers hold at most 2^31-1 ms (about 24.8 days); a longer
 * one fires at once (TimeoutOverflowWarning), so every request would end "not checked".
 * https://nodejs.org/api/timers.html#settimeoutcallback-delay-args
 */
export const MAX_LAST_USE_TIMEOUT_S = Math.floor((2 ** 31 - 1) / 1000);
export const DEFAULT_LAST_USE_TIMEOUT_MS = 60_000;

const KEY_ARN = /^arn:[a-z-]+:kms:([a-z0-9-]+):[0-9]{12}:(?:key|alias)\/(.+)$/;

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** The Region in any KMS ARN of these values. */
function regionIn(...values: unknown[]): string | undefined {
  for (const v of values) {
    const m = typeof v === "string" ? KEY_ARN.exec(v) : null;
    if (m) return m[1];
  }
  return undefined;
}

/** A key id from a key id or key ARN (`arn:...:key/<id>`). */
function keyIdOf(v: unknown): string | undefined {
  const s = str(v);
  if (!s) return undefined;
  const m = KEY_ARN.exec(s);
  return m ? (s.includes(":alias/") ? undefined : m[2]) : s;
}

const GONE_WORDS: Record<string, string> = {
  delete: "deleted (ScheduleKeyDeletion)",
  replace: "replaced (the old key is scheduled for deletion)",
  forget: "forgotten (no longer managed or protected)",
};

/** Rights the change takes away: `lost` and `is now denied` lines of the evaluated policy difference. */
function narrowing(before: unknown, after: unknown): string[] {
  if (typeof before !== "string" || (typeof after !== "string" && after !== null && after !== undefined)) return [];
  return policyDiff(before, (after as string | null | undefined) ?? null).filter((l) =>
    / (lost|is now denied) /.test(l),
  );
}

/**
 * Every key the plans would delete, replace, forget, disable, narrow or repoint, one entry per key
 * (by Region and id), with every reason. Keys created in the plan have no use yet and are left out.
 */
export function lastUseTargets(plans: readonly LoadedPlan[]): LastUseTarget[] {
  const byKey = new Map<
    string,
    { stack: string; address: string; keyId: string; region?: string; reasons: string[] }
  >();
  const add = (
    stack: string,
    address: string,
    keyId: string | undefined,
    region: string | undefined,
    reason: string,
  ) => {
    if (!keyId) return;
    const k = `${stack}|${region ?? "?"}|${keyId}`;
    const e = byKey.get(k);
    if (e) {
      if (!e.reasons.includes(reason)) e.reasons.push(reason);
    } else byKey.set(k, { stack, address, keyId, region, reasons: [reason] });
  };
  for (const { stack, plan } of plans) {
    const changes = (plan.resource_changes ?? []).filter((c): c is ResourceChange => isObject(c) && c.mode !== "data");
    // Key ids and Regions of the keys in this plan, for aliases, policies and grants that name a key by id.
    const keyRegion = new Map<string, string | undefined>();
    const keyAddress = new Map<string, string>();
    for (const rc of changes) {
      if (!(KMS_KEY_TYPES as readonly string[]).includes(rc.type)) continue;
      const b = valuesOf(rc.change.before);
      for (const id of [b.key_id, b.id, b.arn].map(str).filter((x): x is string => !!x)) {
        keyRegion.set(keyIdOf(id) ?? id, regionIn(b.arn));
        keyAddress.set(keyIdOf(id) ?? id, rc.address);
      }
    }
    const regionOf = (keyId: string | undefined, ...more: unknown[]) =>
      (keyId ? keyRegion.get(keyId) : undefined) ?? regionIn(...more);
    for (const rc of changes) {
      const action = actionOf(rc.change.actions);
      if (action === "create" || action === "no-op" || action === "read") continue;
      const b = valuesOf(rc.change.before);
      const a = valuesOf(rc.change.after);
      if ((KMS_KEY_TYPES as readonly string[]).includes(rc.type)) {
        const keyId = keyIdOf(b.key_id) ?? keyIdOf(b.id) ?? keyIdOf(b.arn);
        const region = regionIn(b.arn);
        if (GONE_WORDS[action]) add(stack, rc.address, keyId, region, GONE_WORDS[action]);
        else if (action === "update") {
          const attr = rc.type === "aws_kms_key" ? "is_enabled" : "enabled";
          if (b[attr] !== false && a[attr] === false)
            add(stack, rc.address, keyId, region, `disabled (${attr} = false)`);
          const lost = narrowing(b.policy, a.policy);
          if (lost.length)
            add(
              stack,
              rc.address,
              keyId,
              region,
              `narrowed (policy: ${lost.slice(0, 3).join("; ")}${lost.length > 3 ? "; ..." : ""})`,
            );
        } else
          add(
            stack,
            rc.address,
            keyId,
            region,
            `changed by an action the guard does not know [${rc.change.actions.join(", ")}]`,
          );
        continue;
      }
      if (rc.type === "aws_kms_alias") {
        const from = keyIdOf(b.target_key_id);
        const moved = action === "update" && (a.target_key_id !== b.target_key_id || a.target_key_id === null);
        if (!from || !(moved || GONE_WORDS[action])) continue;
        add(
          stack,
          keyAddress.get(from) ?? rc.address,
          from,
          regionOf(from, b.target_key_arn, b.arn),
          moved
            ? `repointed (alias ${String(b.name)} moves to another key)`
            : `repointed (alias ${String(b.name)} ${action}d)`,
        );
        continue;
      }
      if (rc.type === "aws_kms_key_policy") {
        const keyId = keyIdOf(b.key_id);
        const lost = GONE_WORDS[action]
          ? ["the policy resource goes (KMS's default policy is put back)"]
          : narrowing(b.policy, a.policy);
        if (lost.length)
          add(
            stack,
            (keyId && keyAddress.get(keyId)) ?? rc.address,
            keyId,
            regionOf(keyId, b.key_id),
            `narrowed (policy: ${lost.slice(0, 3).join("; ")})`,
          );
        continue;
      }
      if (rc.type === "aws_kms_grant" && (GONE_WORDS[action] || action === "update")) {
        const keyId = keyIdOf(b.key_id);
        add(
          stack,
          (keyId && keyAddress.get(keyId)) ?? rc.address,
          keyId,
          regionOf(keyId, b.key_id),
          `narrowed (grant ${String(b.name ?? rc.address)} to ${String(b.grantee_principal)} revoked)`,
        );
      }
    }
  }
  return [...byKey.values()];
}

const day = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** What one answer says, in words (the API reference's three cases). */
export function describeLastUse(res: KeyLastUsageAnswer): string {
  const used = res.KeyLastUsage?.Timestamp;
  if (used) {
    const op = res.KeyLastUsage?.Operation ?? "a cryptographic operation";
    const event = res.KeyLastUsage?.CloudTrailEventId
      ? ` (CloudTrail event ${res.KeyLastUsage.CloudTrailEventId})`
      : "";
    return `last used on ${day(new Date(used))} by ${op}${event}`;
  }
  const tracking = res.TrackingStartDate ? new Date(res.TrackingStartDate) : undefined;
  const created = res.KeyCreationDate ? new Date(res.KeyCreationDate) : undefined;
  if (tracking && created && created.getTime() >= tracking.getTime())
    return `never used since it was created on ${day(created)}`;
  if (tracking)
    return `no use recorded since tracking began on ${day(tracking)}${created ? ` (the key was created on ${day(created)}, before that)` : ""}: any earlier use is only in CloudTrail`;
  return "no use recorded, and KMS gave no tracking start date: check CloudTrail";
}

/** Why a request failed, in words (never the credentials or the request). */
export function whyNotChecked(err: unknown, timeoutMs: number): string {
  const e = err as { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number } };
  const name = typeof e?.name === "string" ? e.name : "Error";
  switch (name) {
    case "ThrottlingException":
      return `KMS throttled GetKeyLastUsage (ThrottlingException, ${KMS.GET_KEY_LAST_USAGE_REQUESTS_PER_SECOND.value} requests/s per account and Region) after the SDK's retries; run again in a minute`;
    case "AccessDeniedException":
      return "not allowed: the credentials need kms:GetKeyLastUsage on this key (key policy or IAM)";
    case "NotFoundException":
      return "KMS does not know this key in this Region (already deleted, or another account or Region)";
    case "CredentialsProviderError":
      return "no AWS credentials found (give read-only credentials: AWS_PROFILE or the environment)";
    case "UnrecognizedClientException":
    case "InvalidSignatureException":
    case "ExpiredTokenException":
      return `the credentials were refused (${name})`;
    case "TimeoutError":
    case "AbortError":
      return `no answer within ${timeoutMs / 1000} s (--last-use-timeout)`;
    default:
      return `GetKeyLastUsage failed with ${name}`;
  }
}

class Timeout extends Error {
  override name = "TimeoutError";
}

/**
 * Asks KMS for the last use of every target, at most `ratePerSecond` requests in any second (one
 * limiter for the run: the quota is per account and Region, shared with anything else calling it),
 * every answer within the deadline. Without a reader (no SDK, no credentials), every key says why
 * it was not checked. Never throws.
 */
export async function checkLastUse(
  targets: readonly LastUseTarget[],
  reader: LastUsageReader | { readonly unavailable: string },
  opts: LastUseOptions = {},
): Promise<LastUseEntry[]> {
  const clock = opts.clock ?? SYSTEM_CLOCK;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_LAST_USE_TIMEOUT_MS;
  const rate = Math.max(
    1,
    Math.min(
      opts.ratePerSecond ?? KMS.GET_KEY_LAST_USAGE_REQUESTS_PER_SECOND.value,
      KMS.GET_KEY_LAST_USAGE_REQUESTS_PER_SECOND.value,
    ),
  );
  const start = clock.now();
  const starts: number[] = [];
  const out: LastUseEntry[] = [];
  // No credentials at all: every later request would fail the same way (after the SDK's own search).
  let noCredentials: string | undefined;
  for (const target of targets) {
    const notChecked = (why: string) => out.push({ target, checked: false, text: `could not check: ${why}` });
    if (typeof reader !== "function") {
      notChecked(reader.unavailable);
      continue;
    }
    if (noCredentials) {
      notChecked(noCredentials);
      continue;
    }
    const region = target.region ?? opts.defaultRegion;
    if (!region) {
      notChecked("the plan does not show the key's Region (no key ARN): pass --region");
      continue;
    }
    // Sliding window: at most `rate` requests start in any 1000 ms.
    if (starts.length >= rate) {
      const wait = starts[starts.length - rate] + 1000 - clock.now();
      if (wait > 0) await clock.sleep(wait);
    }
    const left = start + timeoutMs - clock.now();
    if (left <= 0) {
      notChecked(whyNotChecked(new Timeout(), timeoutMs));
      continue;
    }
    starts.push(clock.now());
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const res = await Promise.race([
        reader(target.keyId, region, abort.signal),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            abort.abort();
            reject(new Timeout());
          }, left);
        }),
      ]);
      out.push({ target, checked: true, text: describeLastUse(res) });
    } catch (err) {
      const why = whyNotChecked(err, timeoutMs);
      if ((err as { name?: unknown })?.name === "CredentialsProviderError") noCredentials = why;
      notChecked(why);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
  return out;
}

/** `LAST-USE [stack] address: key <id> (<region>), <reasons>: <what KMS said>` per entry. */
export function lastUseLines(entries: readonly LastUseEntry[]): string[] {
  return entries.map(
    ({ target: t, checked, text }) =>
      `${checked ? "LAST-USE" : "LAST-USE-UNCHECKED"} [${t.stack}] ${t.address}: key ${t.keyId}${t.region ? ` (${t.region})` : ""}, ${t.reasons.join(", ")}: ${text}`,
  );
}

/** The same as a Markdown section for the summary. */
export function lastUseMarkdown(entries: readonly LastUseEntry[], md: (s: string) => string): string {
  if (entries.length === 0)
    return "\n### Last use before loss\n\nNo key is deleted, disabled, narrowed or repointed by these plans.\n";
  const rows = entries.map(
    ({ target: t, checked, text }) =>
      `| ${md(t.stack)} | ${md(t.address)} | ${md(t.keyId)} | ${md(t.reasons.join(", "))} | ${checked ? "" : "**not checked**: "}${md(text)} |`,
  );
  return [
    "",
    "### Last use before loss",
    "",
    "| stack | address | key | what the plan does | last use (KMS GetKeyLastUsage) |",
    "|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}

/**
 * The reader `--last-use` uses: the AWS SDK's KMS client (an optional peer dependency, loaded only
 * here), one client per Region, the SDK's standard retries (throttling included) and the default
 * credential chain. `{ unavailable }` when the SDK is not installed.
 */
export async function sdkLastUsageReader(): Promise<LastUsageReader | { readonly unavailable: string }> {
  let sdk: typeof import("@aws-sdk/client-kms");
  try {
    sdk = await import("@aws-sdk/client-kms");
  } catch {
    return {
      unavailable:
        "the AWS SDK's KMS client is not installed next to plan-guard (npm install @aws-sdk/client-kms, an optional peer dependency)",
    };
  }
  const clients = new Map<string, InstanceType<typeof sdk.KMSClient>>();
  return async (keyId, region, signal) => {
    let client = clients.get(region);
    if (!client) {
      client = new sdk.KMSClient({ region, maxAttempts: 3 });
      clients.set(region, client);
    }
    return client.send(new sdk.GetKeyLastUsageCommand({ KeyId: keyId }), { abortSignal: signal });
  };
}
