/**
 * The committed allowlist: the only way to let a blocked change through. Format:
 *
 *   { "allow": [ { "address": "aws_kms_key.old", "stack": "dev-keys", "reason": "retired after migration #123", "actions": ["delete"] } ] }
 *
 * `address` matches a finding's address exactly, or every instance of it when it has no instance
 * key (`aws_kms_key.k` covers `aws_kms_key.k[0]`); `stack` and `actions` narrow the match; `reason`
 * is required. Anything else is an input error.
 *
 * Optionally, the accounts keys are shared with on purpose:
 *
 *   { "allow": [], "externalAccounts": [ { "account": "555555555555", "stack": "staging-keys", "reason": "analytics account reads records (#42)" } ] }
 *
 * A key policy that newly grants one of them something is shown (risky) instead of blocked.
 */
import { readFileSync } from "node:fs";
import { isObject } from "../../tools/terraform/plan-json";
import { ALLOWABLE_ACTIONS, InputError, type AllowEntry, type AllowedFinding, type Allowlist, type ExternalAccountEntry, type ExternalOrganizationEntry, type Finding, type GuardAction } from "./model";

const KEYS = new Set(["address", "stack", "reason", "actions"]);
const ACCOUNT_KEYS = new Set(["account", "stack", "reason"]);
const TOP_KEYS = new Set(["allow", "externalAccounts", "externalOrganizations"]);
const ORGANIZATION_KEYS = new Set(["organization", "stack", "reason"]);

function parseExternalAccounts(value: unknown, file: string): ExternalAccountEntry[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new InputError(file, "externalAccounts must be a list");
  return value.map((e, index): ExternalAccountEntry => {
    const where = `externalAccounts[${index}]`;
    if (!isObject(e)) throw new InputError(file, `${where} is not an object`);
    const unknown = Object.keys(e).filter((k) => !ACCOUNT_KEYS.has(k));
    if (unknown.length) throw new InputError(file, `${where} has unknown field(s) ${unknown.join(", ")} (allowed: account, stack, reason)`);
    if (typeof e.account !== "string" || !/^\d{12}$/.test(e.account)) throw new InputError(file, `${where}.account must be a 12-digit account id`);
    if (typeof e.reason !== "string" || e.reason.trim() === "") throw new InputError(file, `${where} (${e.account}) has no reason: say why this account may use the keys`);
    if (e.stack !== undefined && (typeof e.stack !== "string" || e.stack === "")) throw new InputError(file, `${where}.stack must be a non-empty string when given`);
    return { account: e.account, reason: e.reason.trim(), index, ...(typeof e.stack === "string" ? { stack: e.stack } : {}) };
  });
}

/**
 * `externalOrganizations`: AWS Organizations a key (or the alarm topic) is opened to on purpose, by
 * `aws:PrincipalOrgID`/`aws:PrincipalOrgPaths` (or `aws:SourceOrgID`/`aws:SourceOrgPaths` for a
 * service principal). An organization is a set of accounts, so it is declared like an account.
 * Organization ids: `o-` and 10 to 32 lower-case letters or digits
 * (https://docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html).
 */
function parseExternalOrganizations(value: unknown, file: string): ExternalOrganizationEntry[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new InputError(file, "externalOrganizations must be a list");
  return value.map((e, index): ExternalOrganizationEntry => {
    const where = `externalOrganizations[${index}]`;
    if (!isObject(e)) throw new InputError(file, `${where} is not an object`);
    const unknown = Object.keys(e).filter((k) => !ORGANIZATION_KEYS.has(k));
    if (unknown.length) throw new InputError(file, `${where} has unknown field(s) ${unknown.join(", ")} (allowed: organization, stack, reason)`);
    if (typeof e.organization !== "string" || !/^o-[a-z0-9]{10,32}$/.test(e.organization)) throw new InputError(file, `${where}.organization must be an organization id (o- and 10 to 32 lower-case letters or digits)`);
    if (typeof e.reason !== "string" || e.reason.trim() === "") throw new InputError(file, `${where} (${e.organization}) has no reason: say why this organization may use the keys`);
    if (e.stack !== undefined && (typeof e.stack !== "string" || e.stack === "")) throw new InputError(file, `${where}.stack must be a non-empty string when given`);
    return { organization: e.organization, reason: e.reason.trim(), index, ...(typeof e.stack === "string" ? { stack: e.stack } : {}) };
  });
}

/** The organizations declared for a stack, each with the reason given. */
export function declaredOrganizations(allowlist: Allowlist | undefined, stack: string): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const e of allowlist?.externalOrganizations ?? []) if ((e.stack === undefined || e.stack === stack) && !out.has(e.organization)) out.set(e.organization, e.reason);
  return out;
}

/** The accounts declared for a stack, each with the reason given. */
export function declaredAccounts(allowlist: Allowlist | undefined, stack: string): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const e of allowlist?.externalAccounts ?? []) if ((e.stack === undefined || e.stack === stack) && !out.has(e.account)) out.set(e.account, e.reason);
  return out;
}

/** Validates an allowlist document; throws {@link InputError} naming the entry and field. */
export function parseAllowlist(doc: unknown, file = "allowlist"): Allowlist {
  if (!isObject(doc) || !Array.isArray(doc.allow)) throw new InputError(file, 'expected { "allow": [ ... ] }');
  const unknownTop = Object.keys(doc).filter((k) => !TOP_KEYS.has(k));
  if (unknownTop.length) throw new InputError(file, `unknown field(s) ${unknownTop.join(", ")} (allowed: allow, externalAccounts, externalOrganizations)`);
  const externalAccounts = parseExternalAccounts(doc.externalAccounts, file);
  const externalOrganizations = parseExternalOrganizations(doc.externalOrganizations, file);
  const entries = doc.allow.map((e, index): AllowEntry => {
    const where = `allow[${index}]`;
    if (!isObject(e)) throw new InputError(file, `${where} is not an object`);
    const unknown = Object.keys(e).filter((k) => !KEYS.has(k));
    if (unknown.length) throw new InputError(file, `${where} has unknown field(s) ${unknown.join(", ")} (allowed: address, stack, reason, actions)`);
    if (typeof e.address !== "string" || e.address.trim() === "") throw new InputError(file, `${where}.address must be a non-empty string`);
    if (typeof e.reason !== "string" || e.reason.trim() === "") throw new InputError(file, `${where} (${e.address}) has no reason: every allowance must say why the change is safe`);
    if (e.stack !== undefined && (typeof e.stack !== "string" || e.stack === "")) throw new InputError(file, `${where}.stack must be a non-empty string when given`);
    let actions: GuardAction[] | undefined;
    if (e.actions !== undefined) {
      if (!Array.isArray(e.actions) || e.actions.length === 0 || !e.actions.every((a) => typeof a === "string" && (ALLOWABLE_ACTIONS as readonly string[]).includes(a))) {
        throw new InputError(file, `${where}.actions must be a non-empty list of ${ALLOWABLE_ACTIONS.join(", ")}`);
      }
      actions = e.actions as GuardAction[];
    }
    return { address: e.address, reason: e.reason.trim(), index, ...(typeof e.stack === "string" ? { stack: e.stack } : {}), ...(actions ? { actions } : {}) };
  });
  return { file, entries, ...(externalAccounts.length ? { externalAccounts } : {}), ...(externalOrganizations.length ? { externalOrganizations } : {}) };
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

/** Whether an entry covers a finding. */
export function covers(entry: AllowEntry, f: Finding): boolean {
  if (entry.stack !== undefined && entry.stack !== f.stack) return false;
  if (entry.actions && !entry.actions.includes(f.action)) return false;
  const base = f.address.replace(/ \(deposed [^)]*\)$/, "");
  return base === entry.address || (!entry.address.includes("[") && base.startsWith(`${entry.address}[`));
}

/** Splits blocking findings into still-blocked and allowed, and lists entries that matched nothing. */
export function applyAllowlist(blocking: readonly Finding[], allowlist: Allowlist | undefined): { blocked: Finding[]; allowed: AllowedFinding[]; unused: AllowEntry[] } {
  const entries = allowlist?.entries ?? [];
  const used = new Set<number>();
  const blocked: Finding[] = [];
  const allowed: AllowedFinding[] = [];
  for (const f of blocking) {
    const entry = entries.find((e) => covers(e, f));
    if (entry) {
      used.add(entry.index);
      allowed.push({ finding: f, entry });
    } else blocked.push(f);
  }
  return { blocked, allowed, unused: entries.filter((e) => !used.has(e.index)) };
}
