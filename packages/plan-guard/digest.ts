/**
 * The digest of a plan: what a reviewer approved, as one `sha256:<hex>` string.
 *
 * It covers every change the apply would make (resource changes other than no-op and read, and
 * output changes): the address, the previous address of a move, the type, the actions, and the
 * before and after values with sensitive values replaced by `(sensitive)` (Terraform's own marks,
 * `before_sensitive` / `after_sensitive`) and values unknown until apply by `(known after apply)`.
 * It leaves out what does not change the outcome: timestamps, the Terraform version, prior state,
 * the configuration and drift. Two plans with the same digest apply the same change; a plan made
 * after another merge, drift or a provider upgrade that changes anything gets another digest.
 *
 * The digest never carries a secret: sensitive values are masked before hashing, and a SHA-256
 * of the masked text reveals nothing of them.
 */
import { createHash } from "node:crypto";

/** The digest format; bumped if what is hashed ever changes. */
export const DIGEST_FORMAT = "cmk-plan-digest/1";

/** What a digest looks like: `sha256:` and 64 lower-case hex digits. */
export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

const SENSITIVE_TEXT = JSON.stringify("(sensitive)");
const UNKNOWN_TEXT = JSON.stringify("(known after apply)");
const EMPTY_LIST: readonly unknown[] = [];
const EMPTY_RECORD: Readonly<Record<string, unknown>> = {};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * `value` as canonical JSON (object keys sorted at every level, so field order never changes the
 * digest) with every sensitive part masked and (for after values) every unknown part marked. Written
 * as text directly: the digest of a 50,000-change plan is on the guard's hot path.
 */
function maskedText(value: unknown, sensitive: unknown, unknown: unknown): string {
  if (sensitive === true) return SENSITIVE_TEXT;
  if (unknown === true) return UNKNOWN_TEXT;
  if (Array.isArray(value)) {
    const s = Array.isArray(sensitive) ? sensitive : EMPTY_LIST;
    const u = Array.isArray(unknown) ? unknown : EMPTY_LIST;
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i ? "," : "") + maskedText(value[i], s[i], u[i]);
    // An unknown element past the known ones (a list growing at apply) still counts.
    for (let i = value.length; i < u.length; i++) if (u[i] === true) out += (out.length > 1 ? "," : "") + UNKNOWN_TEXT;
    return `${out}]`;
  }
  if (isRecord(value)) {
    const s = isRecord(sensitive) ? sensitive : EMPTY_RECORD;
    const u = isRecord(unknown) ? unknown : EMPTY_RECORD;
    let keys = Object.keys(value);
    const extra = Object.keys(u).filter(
      (k) =>
        !Object.prototype.hasOwnProperty.call(value, k) && (u[k] === true || isRecord(u[k]) || Array.isArray(u[k])),
    );
    if (extra.length) keys = keys.concat(extra);
    keys.sort();
    let out = "{";
    for (let i = 0; i < keys.length; i++)
      out += `${i ? "," : ""}${JSON.stringify(keys[i])}:${maskedText(value[keys[i]], s[keys[i]], u[keys[i]])}`;
    return `${out}}`;
  }
  if (value === undefined) return unknown !== undefined && unknown !== false ? UNKNOWN_TEXT : "null";
  return JSON.stringify(value);
}

function actionsOf(change: unknown): string[] {
  const actions = isRecord(change) && Array.isArray(change.actions) ? change.actions : [];
  return actions.filter((a): a is string => typeof a === "string");
}

function isChange(actions: string[]): boolean {
  return actions.length > 0 && !actions.every((a) => a === "no-op" || a === "read");
}

const text = (v: unknown): string => JSON.stringify(typeof v === "string" ? v : null);

/**
 * The text that is hashed, in pieces: `{"format":..,"outputs":[..],"resources":[..]}`, canonical
 * JSON, resources ordered by address and deposed key, outputs by name.
 */
function* digestText(plan: unknown): Generator<string> {
  const doc = isRecord(plan) ? plan : {};
  const keyed: { key: string; rc: Record<string, unknown>; actions: string[] }[] = [];
  for (const rc of Array.isArray(doc.resource_changes) ? doc.resource_changes : []) {
    if (!isRecord(rc)) continue;
    const actions = actionsOf(rc.change);
    if (!isChange(actions)) continue;
    // The sort key is computed once per change, not once per comparison.
    keyed.push({ key: `[${text(rc.address)},${text(rc.deposed)}]`, rc, actions });
  }
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  yield `{"format":${JSON.stringify(DIGEST_FORMAT)},"outputs":[`;
  const oc = isRecord(doc.output_changes) ? doc.output_changes : {};
  let first = true;
  for (const name of Object.keys(oc).sort()) {
    const change = oc[name];
    const actions = actionsOf(change);
    if (!isChange(actions) || !isRecord(change)) continue;
    yield `${first ? "" : ","}{"actions":${JSON.stringify(actions)},"after":${maskedText(change.after, change.after_sensitive, change.after_unknown)},"before":${maskedText(change.before, change.before_sensitive, undefined)},"name":${JSON.stringify(name)}}`;
    first = false;
  }
  yield `],"resources":[`;
  for (let i = 0; i < keyed.length; i++) {
    const { rc, actions } = keyed[i];
    const change = rc.change as Record<string, unknown>;
    yield `${i ? "," : ""}{"actions":${JSON.stringify(actions)},"address":${text(rc.address)},"after":${maskedText(change.after, change.after_sensitive, change.after_unknown)},"before":${maskedText(change.before, change.before_sensitive, undefined)},"deposed":${text(rc.deposed)},"previous_address":${text(rc.previous_address)},"type":${text(rc.type)}}`;
  }
  yield "]}";
}

/**
 * The changes of a plan as the digest sees them (masked, ordered): the text that is hashed, parsed.
 * For tests and for tools that show why two digests differ.
 */
export function digestInput(plan: unknown): { format: string; outputs: unknown[]; resources: unknown[] } {
  return JSON.parse([...digestText(plan)].join("")) as { format: string; outputs: unknown[]; resources: unknown[] };
}

/** The digest of a `terraform show -json` plan: `sha256:<64 hex digits>`. */
export function planDigest(plan: unknown): string {
  const hash = createHash("sha256");
  for (const piece of digestText(plan)) hash.update(piece);
  return `sha256:${hash.digest("hex")}`;
}
