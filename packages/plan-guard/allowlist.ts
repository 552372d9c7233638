/**
 * The committed allowlist: the only way to let a blocked change through. Format:
 *
 *   { "allow": [ { "address": "aws_kms_key.old", "stack": "dev-keys", "reason": "retired after migration #123",
 *                  "actions": ["delete"], "digest": "sha256:<64 hex>", "expires": "2026-11-30" } ] }
 *
 * `address` matches a finding's address exactly, or every instance of it when it has no instance
 * key (`aws_kms_key.k` covers `aws_kms_key.k[0]`); `stack` and `actions` narrow the match; `reason`
 * is required. Each entry names the change it allows: `digest`, the digest of the plan it was
 * written for (the guard prints each plan's digest), and/or `expires`, the last day (UTC) it
 * applies; at least one is required. An entry stops matching once expired or for a plan with
 * another digest, and the guard says so next to the blocked change. Anything else is an input error.
 *
 * Optionally, the accounts keys are shared with on purpose:
 *
 *   { "allow": [], "externalAccounts": [ { "account": "555555555555", "stack": "staging-keys", "reason": "analytics account reads records (#42)" } ] }
 *
 * A key policy that newly grants one of them something is shown (risky) instead of blocked. These
 * declare a standing intent and need no digest; an optional `expires` ends them.
 */
import { readFileSync } from "node:fs";
import { IAM } from "@cmk-stacks/aws-limits";
import { isObject } from "./plan-json";
import { DIGEST_PATTERN } from "./digest";
import {
  ALLOWABLE_ACTIONS,
  InputError,
  type AllowEntry,
  type AllowedFinding,
  type Allowlist,
  type ExternalAccountEntry,
  type ExternalOrganizationEntry,
  type Finding,
  type GuardAction,
} from "./model";

const KEYS = new Set(["address", "stack", "reason", "actions", "digest", "expires"]);
const ACCOUNT_KEYS = new Set(["account", "stack", "reason", "expires"]);

/** Whether `s` is a real calendar date written `YYYY-MM-DD`. */
function isDate(s: unknown): s is string {
  if (typeof s !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Whether an entry's `expires` day (UTC) has ended at `now`. */
export function expired(expires: string | undefined, now: Date): boolean {
  return expires !== undefined && now.getTime() > new Date(`${expires}T23:59:59.999Z`).getTime();
}

/** `sha256:ab12cd34ef56…`: enough to tell two digests apart in a message. */
export function shortDigest(d: string): string {
  return d.length > 19 ? `${d.slice(0, 19)}…` : d;
}
const TOP_KEYS = new Set(["allow", "externalAccounts", "externalOrganizations"]);
const ORGANIZATION_KEYS = new Set(["organization", "stack", "reason", "expires"]);

/** What differs between the two kinds of declaration: the list, the id field and its rule. */
interface DeclarationKind {
  readonly list: "externalAccounts" | "externalOrganizations";
  readonly field: "account" | "organization";
  readonly keys: ReadonlySet<string>;
  readonly pattern: RegExp;
  /** The end of `<where>.<field> must be ...`. */
  readonly rule: string;
  /** `expires` values are shown whole (accounts) or cut to 40 characters (organizations). */
  readonly cutExpires: boolean;
}

const ACCOUNTS: DeclarationKind = {
  list: "externalAccounts",
  field: "account",
  keys: ACCOUNT_KEYS,
  pattern: IAM.ACCOUNT_ID.regex,
  rule: "a 12-digit account id",
  cutExpires: false,
};

/**
 * `externalOrganizations`: AWS Organizations a key (or the alarm topic) is opened to on purpose, by
 * `aws:PrincipalOrgID`/`aws:PrincipalOrgPaths` (or `aws:SourceOrgID`/`aws:SourceOrgPaths` for a
 * service principal). An organization is a set of accounts, so it is declared like an account.
 * Organization ids: `o-` and 10 to 32 lower-case letters or digits
 * (https://docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html).
 */
const ORGANIZATIONS: DeclarationKind = {
  list: "externalOrganizations",
  field: "organization",
  keys: ORGANIZATION_KEYS,
  pattern: /^o-[a-z0-9]{10,32}$/,
  rule: "an organization id (o- and 10 to 32 lower-case letters or digits)",
  cutExpires: true,
};

/** Parses one declaration list (`externalAccounts` or `externalOrganizations`); throws {@link InputError} at the first problem. */
function parseDeclarations(
  kind: DeclarationKind,
  value: unknown,
  file: string,
): (Omit<ExternalAccountEntry, "account"> & { readonly id: string })[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new InputError(file, `${kind.list} must be a list`);
  return value.map((e, index) => {
    const where = `${kind.list}[${index}]`;
    if (!isObject(e)) throw new InputError(file, `${where} is not an object`);
    const unknown = Object.keys(e).filter((k) => !kind.keys.has(k));
    if (unknown.length)
      throw new InputError(
        file,
        `${where} has unknown field(s) ${unknown.join(", ")} (allowed: ${[...kind.keys].join(", ")})`,
      );
    const id = e[kind.field];
    if (typeof id !== "string" || !kind.pattern.test(id))
      throw new InputError(file, `${where}.${kind.field} must be ${kind.rule}`);
    if (typeof e.reason !== "string" || e.reason.trim() === "")
      throw new InputError(file, `${where} (${id}) has no reason: say why this ${kind.field} may use the keys`);
    if (e.stack !== undefined && (typeof e.stack !== "string" || e.stack === ""))
      throw new InputError(file, `${where}.stack must be a non-empty string when given`);
    if (e.expires !== undefined && !isDate(e.expires)) {
      const shown = JSON.stringify(e.expires);
      throw new InputError(
        file,
        `${where}.expires must be a date written YYYY-MM-DD (the last day, UTC), not ${kind.cutExpires ? shown.slice(0, 40) : shown}`,
      );
    }
    return {
      id,
      reason: e.reason.trim(),
      index,
      ...(typeof e.stack === "string" ? { stack: e.stack } : {}),
      ...(typeof e.expires === "string" ? { expires: e.expires } : {}),
    };
  });
}

/** The ids of one declaration list that hold for `stack` (and have not expired at `now`), each with its reason. */
function declared<E extends { readonly stack?: string; readonly expires?: string; readonly reason: string }>(
  entries: readonly E[] | undefined,
  idOf: (e: E) => string,
  stack: string,
  now: Date,
): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const e of entries ?? [])
    if ((e.stack === undefined || e.stack === stack) && !expired(e.expires, now) && !out.has(idOf(e)))
      out.set(idOf(e), e.reason);
  return out;
}

/** The organizations declared for a stack (and not expired at `now`), each with the reason given. */
export function declaredOrganizations(
  allowlist: Allowlist | undefined,
  stack: string,
  now: Date = new Date(),
): ReadonlyMap<string, string> {
  return declared(allowlist?.externalOrganizations, (e) => e.organization, stack, now);
}

/** The accounts declared for a stack (and not expired at `now`), each with the reason given. */
export function declaredAccounts(
  allowlist: Allowlist | undefined,
  stack: string,
  now: Date = new Date(),
): ReadonlyMap<string, string> {
  return declared(allowlist?.externalAccounts, (e) => e.account, stack, now);
}

/** Validates an allowlist document; throws {@link InputError} naming the entry and field. */
export function parseAllowlist(doc: unknown, file = "allowlist"): Allowlist {
  if (!isObject(doc) || !Array.isArray(doc.allow)) throw new InputError(file, 'expected { "allow": [ ... ] }');
  const unknownTop = Object.keys(doc).filter((k) => !TOP_KEYS.has(k));
  if (unknownTop.length)
    throw new InputError(
      file,
      `unknown field(s) ${unknownTop.join(", ")} (allowed: allow, externalAccounts, externalOrganizations)`,
    );
  const externalAccounts: ExternalAccountEntry[] = parseDeclarations(ACCOUNTS, doc.externalAccounts, file).map(
    ({ id, ...d }) => ({ account: id, ...d }),
  );
  const externalOrganizations: ExternalOrganizationEntry[] = parseDeclarations(
    ORGANIZATIONS,
    doc.externalOrganizations,
    file,
  ).map(({ id, ...d }) => ({ organization: id, ...d }));
  // Every problem of every allow entry at once, in one message.
  const problems: string[] = [];
  const entries = doc.allow.flatMap((e, index): AllowEntry[] => {
    const where = `allow[${index}]`;
    if (!isObject(e)) {
      problems.push(`${where} is not an object`);
      return [];
    }
    const before = problems.length;
    const unknown = Object.keys(e).filter((k) => !KEYS.has(k));
    if (unknown.length)
      problems.push(`${where} has unknown field(s) ${unknown.join(", ")} (allowed: ${[...KEYS].join(", ")})`);
    const named = typeof e.address === "string" && e.address.trim() !== "" ? `${where} (${e.address})` : where;
    if (typeof e.address !== "string" || e.address.trim() === "")
      problems.push(`${where}.address must be a non-empty string`);
    if (typeof e.reason !== "string" || e.reason.trim() === "")
      problems.push(`${named} has no reason: every allowance must say why the change is safe`);
    if (e.stack !== undefined && (typeof e.stack !== "string" || e.stack === ""))
      problems.push(`${where}.stack must be a non-empty string when given`);
    if (
      e.actions !== undefined &&
      (!Array.isArray(e.actions) ||
        e.actions.length === 0 ||
        !e.actions.every((a) => typeof a === "string" && (ALLOWABLE_ACTIONS as readonly string[]).includes(a)))
    ) {
      problems.push(`${where}.actions must be a non-empty list of ${ALLOWABLE_ACTIONS.join(", ")}`);
    }
    if (e.digest !== undefined && (typeof e.digest !== "string" || !DIGEST_PATTERN.test(e.digest)))
      problems.push(
        `${where}.digest must be a plan digest, sha256: and 64 lower-case hex digits as the guard prints it, not ${JSON.stringify(e.digest).slice(0, 90)}`,
      );
    if (e.expires !== undefined && !isDate(e.expires))
      problems.push(
        `${where}.expires must be a date written YYYY-MM-DD (the last day, UTC), not ${JSON.stringify(e.expires).slice(0, 40)}`,
      );
    if (e.digest === undefined && e.expires === undefined) {
      problems.push(
        `${named} names neither digest nor expires: give the digest of the plan it allows (the guard prints it for each plan) and/or the last day it applies (expires: YYYY-MM-DD)`,
      );
    }
    if (problems.length > before) return [];
    return [
      {
        address: e.address as string,
        reason: (e.reason as string).trim(),
        index,
        ...(typeof e.stack === "string" ? { stack: e.stack } : {}),
        ...(e.actions !== undefined ? { actions: e.actions as GuardAction[] } : {}),
        ...(typeof e.digest === "string" ? { digest: e.digest } : {}),
        ...(typeof e.expires === "string" ? { expires: e.expires } : {}),
      },
    ];
  });
  if (problems.length) throw new InputError(file, problems.join("; "));
  return {
    file,
    entries,
    ...(externalAccounts.length ? { externalAccounts } : {}),
    ...(externalOrganizations.length ? { externalOrganizations } : {}),
  };
}

/** Reads and validates an allowlist file; throws {@link InputError}. */
export function loadAllowlist(file: string): Allowlist {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(file, code === "ENOENT" ? "no such file" : `cannot read (${code ?? (e as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InputError(file, `not valid JSON (${(e as Error).message})`);
  }
  return parseAllowlist(doc, file);
}

/** Whether an entry's address names a finding's resource (exactly, or every instance of it). */
function namesAddress(entry: AllowEntry, f: Finding): boolean {
  const base = f.address.replace(/ \(deposed [^)]*\)$/, "");
  return base === entry.address || (!entry.address.includes("[") && base.startsWith(`${entry.address}[`));
}

/** What the allowlist is checked against: the time, and each stack's plan digest. */
export interface AllowContext {
  readonly now: Date;
  /** Plan digest by stack name. */
  readonly digests: ReadonlyMap<string, string>;
}

/**
 * Findings no `allow` entry lets through, whatever it says:
 * - who may use a key or the alarm topic (`*-cross-account`, `*-cross-organization`, `*-public`): an
 *   account or organization is approved only by its declaration in `externalAccounts` /
 *   `externalOrganizations` (the security team's separate approval; an address entry written in the same
 *   pull request as the grant would hand the key to an undeclared account), and everyone never;
 * - `key-material-in-plan` on a create or no-op (as documented): the material would reach the state.
 */
function neverAllowed(f: Finding): string | undefined {
  if (/^(?:key-policy|topic-policy|key-grant)-cross-account$/.test(f.rule))
    return "an account is approved only by its declaration in externalAccounts";
  if (/^(?:key-policy|topic-policy)-cross-organization$/.test(f.rule))
    return "an organization is approved only by its declaration in externalOrganizations";
  if (/^(?:key-policy|topic-policy)-public$/.test(f.rule)) return "opening it to everyone is never allowed";
  if (f.rule === "key-material-in-plan" && (f.action === "create" || f.action === "no-op"))
    return "key material in a plan is never allowed on a create or no-op";
  return undefined;
}

/** Why an entry naming the finding's address does not allow it, or undefined when it does. */
export function mismatch(entry: AllowEntry, f: Finding, ctx: AllowContext): string | undefined {
  const id = `allow[${entry.index}]`;
  const never = neverAllowed(f);
  if (never) return `${id} cannot allow ${f.rule}: ${never}`;
  if (entry.stack !== undefined && entry.stack !== f.stack)
    return `${id} is for stack ${entry.stack}, this is ${f.stack}`;
  if (entry.actions && !entry.actions.includes(f.action))
    return `${id} allows ${entry.actions.join(", ")} only, this change is ${f.action}`;
  if (expired(entry.expires, ctx.now)) return `${id} expired on ${entry.expires}`;
  const digest = ctx.digests.get(f.stack);
  if (entry.digest !== undefined && entry.digest !== digest)
    return `${id} was written for ${shortDigest(entry.digest)}, this plan is ${digest ? shortDigest(digest) : "of unknown digest"}`;
  return undefined;
}

/** Whether an entry covers a finding (same address, stack and action, not expired, and written for this plan when it names a digest). */
export function covers(
  entry: AllowEntry,
  f: Finding,
  ctx: AllowContext = { now: new Date(), digests: new Map() },
): boolean {
  return namesAddress(entry, f) && mismatch(entry, f, ctx) === undefined;
}

/**
 * Splits blocking findings into still-blocked and allowed, and lists entries that matched nothing.
 * A still-blocked finding carries, in `notAllowed`, why each entry naming its address did not match.
 */
export function applyAllowlist(
  blocking: readonly Finding[],
  allowlist: Allowlist | undefined,
  ctx: AllowContext = { now: new Date(), digests: new Map() },
): { blocked: Finding[]; allowed: AllowedFinding[]; unused: AllowEntry[] } {
  const entries = allowlist?.entries ?? [];
  const used = new Set<number>();
  const blocked: Finding[] = [];
  const allowed: AllowedFinding[] = [];
  for (const f of blocking) {
    const near = entries.filter((e) => namesAddress(e, f));
    const entry = near.find((e) => mismatch(e, f, ctx) === undefined);
    if (entry) {
      used.add(entry.index);
      allowed.push({ finding: f, entry });
    } else {
      const why = near.map((e) => mismatch(e, f, ctx)).filter((m): m is string => m !== undefined);
      blocked.push(why.length ? { ...f, notAllowed: why } : f);
    }
  }
  return { blocked, allowed, unused: entries.filter((e) => !used.has(e.index)) };
}
