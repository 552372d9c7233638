/**
 * What a resource change does to its attributes, as short lines a reviewer reads:
 * `deletion_window_in_days: 7 → 30`, `tags.Owner: "a" → "b"`, and for policies the evaluated
 * difference (`policy: arn:aws:iam::555555555555:root gained kms:Decrypt (when ...)`).
 *
 * Nothing secret leaves a plan through these lines:
 * - values Terraform marks sensitive (`before_sensitive` / `after_sensitive`) read `(sensitive)`
 *   (https://developer.hashicorp.com/terraform/internals/json-format#change-representation);
 * - so does every value whose attribute, block or map key is named like a secret (password,
 *   secret, private key, token, key material, credential, ...) even when the provider did not mark
 *   it, and every string that looks like a PEM private key;
 * - values unknown until apply read `(known after apply)`.
 * The lines are plain text: whoever renders them (Markdown, a terminal) escapes them.
 */
import { IAM } from "@cmk-stacks/aws-limits";
import type { JsonValue, ResourceChange } from "./plan-json";
import { actionOf } from "./plan-index";
import { IDENTITY, policyDiff, principalListDiff, type PolicySide } from "./policy-diff";

export const SENSITIVE = "(sensitive)";
export const UNKNOWN = "(known after apply)";

/** Attribute, block and map-key names that hold secrets (defence in depth over the provider's marks). */
const SECRET_NAME =
  /pass(word|wd|phrase)|secret|private[_-]?key|priv[_-]?key|token|key[_-]?material|credential|api[_-]?key|access[_-]?key|auth[_-]?key|signing[_-]?key|client[_-]?key|session[_-]?key|_pem$|^pem|pkcs|salt|cookie|bearer|authorization|(^|[_-])(pw|pwd|psk|pin|otp)($|[_-])/i;
/** Names that match {@link SECRET_NAME} but only identify or configure a secret (`secret_id`, `recovery_window_in_days`). */
const SECRET_REFERENCE =
  /(_ids?|_arns?|_names?|_enabled|_days|_type|_stages?|_count|_expiration|_rotation)$|^http_tokens$/i;
/** Values that are secrets whatever their name. */
const SECRET_VALUE =
  /-----BEGIN[A-Z ]*PRIVATE KEY-----|-----BEGIN [A-Z ]*ENCRYPTED|^AKIA[0-9A-Z]{16}$|^ASIA[0-9A-Z]{16}$/;

/** Whether a string holds JSON (a Lambda input, a container definition) with a secret-named key anywhere in it. */
function jsonWithSecret(s: string): boolean {
  if (!/^\s*[[{]/.test(s)) return false;
  let doc: unknown;
  try {
    doc = JSON.parse(s);
  } catch {
    return false;
  }
  const stack: unknown[] = [doc];
  while (stack.length) {
    const x = stack.pop();
    if (Array.isArray(x)) stack.push(...x);
    else if (x && typeof x === "object") {
      for (const [k, v] of Object.entries(x)) {
        if (secretName(k) && v !== null && typeof v !== "boolean") return true;
        // `{"Name": "DB_PASSWORD", "Value": "..."}` pairs (ECS environment, tags) name the secret in a value.
        if (typeof v === "string" && /^(name|key)$/i.test(k) && secretName(v)) return true;
        stack.push(v);
      }
    }
  }
  return false;
}

/** Whether a string value is a secret whatever its attribute is called. */
function secretValue(s: string): boolean {
  return SECRET_VALUE.test(s) || jsonWithSecret(s);
}

/** Whether a path segment names a secret. */
export function secretName(segment: string): boolean {
  return SECRET_NAME.test(segment) && !SECRET_REFERENCE.test(segment);
}

/** Attributes whose value is a policy document, shown as the evaluated difference. */
const POLICY_ATTRIBUTES: Record<string, readonly string[]> = {
  aws_kms_key: ["policy"],
  aws_kms_external_key: ["policy"],
  aws_kms_replica_key: ["policy"],
  aws_kms_replica_external_key: ["policy"],
  aws_kms_key_policy: ["policy"],
  aws_s3_bucket_policy: ["policy"],
  aws_s3_bucket: ["policy"],
  aws_sns_topic_policy: ["policy"],
  aws_sns_topic: ["policy"],
  aws_iam_role: ["assume_role_policy"],
  aws_iam_role_policy: ["policy"],
  aws_iam_policy: ["policy"],
  aws_iam_user_policy: ["policy"],
  aws_iam_group_policy: ["policy"],
  aws_secretsmanager_secret_policy: ["policy"],
};
/** Identity policies: documents without a principal grant the role, user or group they belong to. */
const IDENTITY_POLICY_TYPES = new Set([
  "aws_iam_role_policy",
  "aws_iam_policy",
  "aws_iam_user_policy",
  "aws_iam_group_policy",
]);
/** Attributes listing the principals allowed to connect to an endpoint service. */
const PRINCIPAL_ATTRIBUTES: Record<string, string> = {
  aws_vpc_endpoint_service: "allowed_principals",
  aws_vpc_endpoint_service_allowed_principal: "principal_arn",
};
const KMS_KEY_TYPES = new Set([
  "aws_kms_key",
  "aws_kms_external_key",
  "aws_kms_replica_key",
  "aws_kms_replica_external_key",
]);
/** The path of a change whose whole value Terraform marks sensitive. */
const ALL = "(every attribute)";
/** Derived copies that only repeat another attribute. */
const SKIPPED = new Set(["tags_all"]);

/** Longest value shown; longer ones keep their start and end. */
export const MAX_VALUE = 120;

/** `s` shortened to about {@link MAX_VALUE} characters, keeping its start and end (ARNs and ids differ at either end). */
export function shorten(s: string, max = MAX_VALUE): string {
  if (s.length <= max) return s;
  const tail = Math.floor(max / 4);
  // Whole characters at both ends (never half of a surrogate pair); only the ends are split, so a huge value costs no more than a short one.
  const head = [...s.slice(0, 2 * max)].slice(0, max - tail - 1).join("");
  const end = [...s.slice(-2 * tail)].slice(-tail).join("");
  let count = s.length;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0xdc00 && s.charCodeAt(i) <= 0xdfff) count--;
  return `${head}…${end} (${count} characters)`;
}

/** One attribute that changes, its value before and after (rendered, masked). */
export interface AttributeChange {
  readonly path: string;
  readonly before?: string;
  readonly after?: string;
  /** Evaluated policy lines, for policy attributes. */
  readonly policy?: readonly string[];
}

type Marks = JsonValue | undefined;

const isRecord = (v: unknown): v is Record<string, JsonValue> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function scalar(v: JsonValue | undefined): string {
  if (v === undefined || v === null) return "null";
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

function segment(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/**
 * Flattens a value to rendered leaves by path: lists of scalars stay one leaf, blocks and maps
 * are walked. Sensitive, secret-named and unknown parts become one masked leaf.
 */
function flatten(
  value: JsonValue | undefined,
  sensitive: Marks,
  unknown: Marks,
  path: string,
  secret: boolean,
  out: Map<string, string>,
): void {
  if (sensitive === true) return void out.set(path, SENSITIVE);
  if (unknown === true) return void out.set(path, UNKNOWN);
  if (value === undefined) return;
  if (Array.isArray(value)) {
    const s = Array.isArray(sensitive) ? sensitive : [];
    const u = Array.isArray(unknown) ? unknown : [];
    if (
      value.every((x) => x === null || typeof x !== "object") &&
      !s.some((x) => x === true) &&
      !u.some((x) => x === true)
    ) {
      if (secret && value.some((x) => x !== null && typeof x !== "boolean")) return void out.set(path, SENSITIVE);
      if (value.some((x) => typeof x === "string" && secretValue(x))) return void out.set(path, SENSITIVE);
      return void out.set(path, `[${value.map((x) => scalar(x)).join(", ")}]`);
    }
    value.forEach((x, i) => flatten(x, s[i], u[i], `${path}[${i}]`, secret, out));
    return;
  }
  if (isRecord(value)) {
    const s = isRecord(sensitive) ? sensitive : {};
    const u = isRecord(unknown) ? unknown : {};
    const keys = Object.keys(value).sort();
    if (keys.length === 0) return void out.set(path, "{}");
    for (const k of keys) flatten(value[k], s[k], u[k], `${path}${segment(k)}`, secret || secretName(k), out);
    return;
  }
  if (secret && value !== null && typeof value !== "boolean") return void out.set(path, SENSITIVE);
  if (typeof value === "string" && secretValue(value)) return void out.set(path, SENSITIVE);
  out.set(path, scalar(value));
}

function side(rc: ResourceChange, which: "before" | "after"): Map<string, string> {
  const c = rc.change as unknown as Record<string, JsonValue | undefined>;
  const value = c[which];
  const sensitive = c[`${which}_sensitive`];
  const unknown = which === "after" ? c.after_unknown : undefined;
  const out = new Map<string, string>();
  if (sensitive === true) return out.set(ALL, SENSITIVE);
  const v = isRecord(value) ? value : {};
  const s = isRecord(sensitive) ? sensitive : {};
  const u = isRecord(unknown) ? unknown : {};
  for (const k of new Set([...Object.keys(v), ...Object.keys(u).filter((k) => u[k] !== false)])) {
    if (SKIPPED.has(k) || special(rc.type, k)) continue;
    flatten(v[k] === undefined && u[k] !== undefined ? null : v[k], s[k], u[k], k, secretName(k), out);
  }
  return out;
}

function special(type: string, attr: string): boolean {
  return (POLICY_ATTRIBUTES[type] ?? []).includes(attr) || PRINCIPAL_ATTRIBUTES[type] === attr;
}

function topMark(
  rc: ResourceChange,
  which: "before_sensitive" | "after_sensitive" | "after_unknown",
  attr: string,
): JsonValue | undefined {
  const m = (rc.change as unknown as Record<string, JsonValue | undefined>)[which];
  return m === true ? true : isRecord(m) ? m[attr] : undefined;
}

function policySide(rc: ResourceChange, which: "before" | "after", attr: string): PolicySide {
  if (topMark(rc, `${which}_sensitive`, attr) === true) return undefined;
  if (which === "after" && topMark(rc, "after_unknown", attr) === true) return { unknown: true };
  const v = (rc.change as unknown as Record<string, JsonValue | undefined>)[which];
  const x = isRecord(v) ? v[attr] : undefined;
  return typeof x === "string" ? x : null;
}

/** The key's default policy (the account root with kms:*) when the key's ARN names the account. */
function defaultKeyPolicy(rc: ResourceChange): string | undefined {
  if (!KMS_KEY_TYPES.has(rc.type)) return undefined;
  const arns = [rc.change.before, rc.change.after].map((v) =>
    isRecord(v) && typeof v.arn === "string" ? v.arn : undefined,
  );
  const account = arns.map((a) => IAM.accountOfAnyArn(a, "kms")).find(Boolean);
  return account
    ? JSON.stringify({
        Statement: [
          { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" },
        ],
      })
    : undefined;
}

const NO_STATEMENTS = '{"Statement":[]}';

function specialChanges(rc: ResourceChange, action: string): AttributeChange[] {
  const out: AttributeChange[] = [];
  for (const attr of POLICY_ATTRIBUTES[rc.type] ?? []) {
    const sensitive = topMark(rc, "before_sensitive", attr) === true || topMark(rc, "after_sensitive", attr) === true;
    if (sensitive) {
      out.push({ path: attr, before: SENSITIVE, after: SENSITIVE });
      continue;
    }
    const a = policySide(rc, "after", attr);
    // A new resource had no document at all (not the default one); one created without a policy shows none.
    if (action === "create" && (a === null || a === "")) continue;
    const b = action === "create" ? NO_STATEMENTS : policySide(rc, "before", attr);
    const lines = policyDiff(b, a, {
      defaultPolicy: defaultKeyPolicy(rc),
      identity: IDENTITY_POLICY_TYPES.has(rc.type) ? IDENTITY : undefined,
    });
    if (lines.length) out.push({ path: attr, policy: lines });
  }
  const pattr = PRINCIPAL_ATTRIBUTES[rc.type];
  if (pattr) {
    if (topMark(rc, "after_unknown", pattr) === true) out.push({ path: pattr, policy: [UNKNOWN] });
    else {
      const list = (v: JsonValue | undefined): string[] => {
        const x = isRecord(v) ? v[pattr] : undefined;
        return Array.isArray(x)
          ? x.filter((p): p is string => typeof p === "string")
          : typeof x === "string"
            ? [x]
            : [];
      };
      const lines = principalListDiff(action === "create" ? [] : list(rc.change.before), list(rc.change.after));
      if (lines.length) out.push({ path: pattr, policy: lines });
    }
  }
  return out;
}

/**
 * The attribute changes of one resource change: for an update or replacement every attribute
 * whose value differs; for a create every attribute set to a known value; for a delete, forget or
 * read nothing (the whole object goes or stays).
 */
export function attributeChanges(rc: ResourceChange): AttributeChange[] {
  const action = actionOf(rc.change.actions);
  if (action !== "create" && action !== "update" && action !== "replace" && action !== "unknown") return [];
  const after = side(rc, "after");
  const out: AttributeChange[] = [];
  if (action === "create") {
    for (const [path, v] of after)
      if (v !== "null" && v !== UNKNOWN && v !== "[]" && v !== "{}" && v !== '""') out.push({ path, after: v });
  } else {
    const before = side(rc, "before");
    for (const path of [...new Set([...before.keys(), ...after.keys()])].sort()) {
      const b = before.get(path) ?? "null";
      const a = after.get(path) ?? "null";
      if (b !== a || (b === SENSITIVE && a === SENSITIVE && sensitiveChanged(rc, path)))
        out.push({ path, before: b, after: a });
    }
  }
  return [...specialChanges(rc, action), ...out];
}

/**
 * Only the evaluated policy and principal-list changes of {@link attributeChanges} (what the risky
 * notes quote), without flattening every other attribute.
 */
export function policyChanges(rc: ResourceChange): AttributeChange[] {
  const action = actionOf(rc.change.actions);
  if (action !== "create" && action !== "update" && action !== "replace" && action !== "unknown") return [];
  return specialChanges(rc, action);
}

/** Whether a masked value changed underneath: compared, never shown. */
function sensitiveChanged(rc: ResourceChange, path: string): boolean {
  if (path === ALL) return JSON.stringify(rc.change.before ?? null) !== JSON.stringify(rc.change.after ?? null);
  const top = path.split(/[.[]/)[0];
  const b = isRecord(rc.change.before) ? rc.change.before[top] : undefined;
  const a = isRecord(rc.change.after) ? rc.change.after[top] : undefined;
  return JSON.stringify(b ?? null) !== JSON.stringify(a ?? null);
}

/** Most lines listed per resource; the rest are counted. */
export const MAX_LINES = 12;

/** One line per change, e.g. `deletion_window_in_days: 7 → 30`, `policy: … gained kms:Decrypt`. */
export function changeLines(changes: readonly AttributeChange[], max = MAX_LINES): string[] {
  const lines: string[] = [];
  for (const c of changes) {
    if (c.policy) lines.push(...c.policy.map((l) => `${c.path}: ${shorten(l, 800)}`));
    else if (c.before === undefined) lines.push(`${c.path} = ${shorten(c.after ?? "null")}`);
    else lines.push(`${c.path}: ${shorten(c.before)} → ${shorten(c.after ?? "null")}`);
  }
  if (lines.length <= max) return lines;
  return [...lines.slice(0, max - 1), `… and ${lines.length - max + 1} more`];
}

/** The change lines of one resource change (see {@link attributeChanges}). */
export function describeChange(rc: ResourceChange, max = MAX_LINES): string[] {
  const lines = changeLines(attributeChanges(rc), max);
  const forced = rc.change.replace_paths;
  if (actionOf(rc.change.actions) === "replace" && Array.isArray(forced) && forced.length) {
    const names = [
      ...new Set(forced.map((p) => (Array.isArray(p) ? p.map(String).join(".") : "")).filter(Boolean)),
    ].sort();
    if (names.length) lines.unshift(`replaced because of: ${names.join(", ")}`);
  }
  return lines;
}
