/**
 * Who a resource policy (a key policy, the alarm topic's policy) newly lets in, judged the same way
 * for every kind of key and for topics: principals of undeclared accounts, undeclared
 * organizations, everyone, principals the guard cannot place in an account. Each finding says who
 * gains what, why it matters and how to declare it when intended.
 */
import { IAM } from "@cmk-stacks/aws-limits";
import type { ResourceChange } from "../plan-json";
import type { Finding } from "../model";
import { valuesOf, type PlanIndex } from "../plan-index";
import { accountOf, globMatch, normalisePrincipal, reachOf, type PolicyStatement } from "../policy";
import { finding, type RuleContext } from "./rule";

/** What one principal or organization may do under a policy: the actions (or `every action except ...`), as written and in lower case. */
export type Gains = Map<string, { shown: string; actions: string[]; lower: Set<string> }>;

function actionsOf(s: PolicyStatement): string[] {
  return s.actions ? [...s.actions] : [`every action except ${(s.notActions ?? []).join(", ")}`];
}

function add(out: Gains, key: string, shown: string, actions: readonly string[]): void {
  let e = out.get(key);
  if (!e) {
    e = { shown, actions: [], lower: new Set<string>() };
    out.set(key, e);
  }
  for (const a of actions) {
    const l = a.toLowerCase();
    if (!e.lower.has(l)) {
      e.lower.add(l);
      e.actions.push(a);
    }
  }
}

/** Principals (by account or ARN), organizations (`org:o-...`), unplaced principals (`unplaced:...`) and the actions each gains. */
export function gainsOf(statements: readonly PolicyStatement[]): {
  gains: Gains;
  open: PolicyStatement[];
  servicesUnconfined: { statement: PolicyStatement; services: string[] }[];
} {
  const gains: Gains = new Map();
  const open: PolicyStatement[] = [];
  const servicesUnconfined: { statement: PolicyStatement; services: string[] }[] = [];
  for (const s of statements) {
    const r = reachOf(s);
    const actions = actionsOf(s);
    if (r.open) open.push(s);
    if (r.servicesUnconfined.length) servicesUnconfined.push({ statement: s, services: r.servicesUnconfined });
    for (const p of r.principals) add(gains, normalisePrincipal(p), p, actions);
    for (const o of r.organizations) add(gains, `org:${o}`, o, actions);
    for (const u of r.unplaced) add(gains, `unplaced:${u}`, u, actions);
  }
  return { gains, open, servicesUnconfined };
}

/** The actions of `after` that `before` did not already cover (a wildcard covers what it matches). */
function gained(before: { lower: Set<string> } | undefined, after: { actions: string[] }): string[] {
  if (!before) return after.actions;
  const patterns = [...before.lower].filter((b) => b.includes("*") || b.includes("?"));
  return after.actions.filter((a) => {
    const l = a.toLowerCase();
    return !before.lower.has(l) && !patterns.some((b) => globMatch(b, l));
  });
}

const ACTIONS_SHOWN = 8;
function list(actions: readonly string[]): string {
  return actions.length > ACTIONS_SHOWN
    ? `${actions.slice(0, ACTIONS_SHOWN).join(", ")} and ${actions.length - ACTIONS_SHOWN} more`
    : actions.join(", ");
}

/** `principal (actions)` for each newly reached item. */
function who(items: readonly { shown: string; actions: string[] }[]): string {
  return items.map((i) => `${i.shown} (gains ${list(i.actions)})`).join("; ");
}

const planAccountsCache = new WeakMap<PlanIndex, string[]>();

/**
 * Accounts in the ARNs (`arn` attributes) of the plan's resources, and the `account_id` of the
 * `aws_caller_identity` data sources Terraform read for the plan (`prior_state`): the account the
 * credentials, hence new resources, are in
 * (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/caller_identity).
 */
export function planAccounts(idx: PlanIndex): string[] {
  let found = planAccountsCache.get(idx);
  if (!found) {
    const set = new Set<string>();
    for (const rc of idx.changes) {
      for (const v of [valuesOf(rc.change.before), valuesOf(rc.change.after)]) {
        const a = typeof v.arn === "string" ? IAM.accountOfAnyArn(v.arn) : undefined;
        if (a) set.add(a);
      }
    }
    const modules = [idx.plan.prior_state?.values?.root_module];
    for (let i = 0; i < modules.length && i < 10_000; i++) {
      const m = modules[i];
      if (!m || typeof m !== "object") continue;
      for (const r of Array.isArray(m.resources) ? m.resources : []) {
        const id = r?.mode === "data" && r.type === "aws_caller_identity" ? valuesOf(r.values).account_id : undefined;
        if (typeof id === "string" && IAM.ACCOUNT_ID.regex.test(id)) set.add(id);
      }
      if (Array.isArray(m.child_modules)) modules.push(...m.child_modules);
    }
    found = [...set];
    planAccountsCache.set(idx, found);
  }
  return found;
}

/**
 * The accounts the AWS provider configuration of a resource is pinned to (`allowed_account_ids`,
 * constant values: CDKTF stacks of this project always set it), else (unless `ownOnly`) those of
 * every AWS provider configuration of the plan. Evidence of the account a new resource is created in that does not
 * come from the policy being judged.
 * https://registry.terraform.io/providers/hashicorp/aws/latest/docs#allowed_account_ids
 */
export function providerAccounts(idx: PlanIndex, address: string, ownOnly = false): string[] {
  const providers = idx.plan.configuration?.provider_config ?? {};
  const pinned = (key: string): string[] => {
    const v = (providers[key]?.expressions as Record<string, { constant_value?: unknown }> | undefined)
      ?.allowed_account_ids?.constant_value;
    return Array.isArray(v) ? v.filter((a): a is string => typeof a === "string" && IAM.ACCOUNT_ID.regex.test(a)) : [];
  };
  const key = idx.config.get(address.replace(/\[[^\]]*\]/g, ""))?.resource.provider_config_key;
  const own = key ? pinned(key) : [];
  if (own.length || ownOnly) return [...new Set(own)];
  return [...new Set(Object.keys(providers).flatMap(pinned))];
}

/** The subject of a policy, for messages and rule ids: a key or the topic. */
export interface Subject {
  /** Rule id prefix: `key-policy`, `topic-policy`. */
  readonly rule: string;
  /** `the key policy`, `the topic policy`. */
  readonly policy: string;
  /** `the key`, `the topic`. */
  readonly thing: string;
  /** Why a stranger with these rights matters. */
  readonly harm: string;
}

export const KEY_SUBJECT: Subject = {
  rule: "key-policy",
  policy: "the key policy",
  thing: "the key",
  harm: "they can use the key from outside this account as far as those actions go (decrypt what it protects, encrypt or re-encrypt under it, hand it on by grants), and this account cannot take back what they decrypted",
};
export const TOPIC_SUBJECT: Subject = {
  rule: "topic-policy",
  policy: "the topic policy",
  thing: "the alarm topic",
  harm: "they can read the alarms (subscribe), silence them (change subscriptions or the policy) or publish forged ones",
};

export const FIX_FOREIGN =
  "if intended, declare the account in the allowlist's externalAccounts (account, stack, reason with the ticket that approved it; cmk-stacks: also in the key's externalAccounts), reviewed by the security team; otherwise remove the principal";
export const FIX_ORGANIZATION =
  "if intended, declare the organization in the allowlist's externalOrganizations (organization, stack, reason with the ticket that approved it); otherwise narrow the statement to named accounts with aws:PrincipalAccount";
const FIX_PUBLIC =
  "name the principals, or add a condition that pins the caller (StringEquals on kms:CallerAccount or aws:PrincipalAccount with account ids, aws:PrincipalArn, aws:PrincipalOrgID of a declared organization); kms:ViaService, encryption context and network conditions do not pin the caller";
const FIX_UNPLACED =
  "name the principal by its ARN (arn:<partition>:iam::<account>:role/<name>) or account id, so its account can be checked";

/**
 * Findings for the principals a policy newly reaches. `own`: the accounts the subject belongs to
 * (empty when the guard cannot tell: then every account is reported, as risky, rather than judged).
 */
export function judgeReach(
  idx: PlanIndex,
  rc: ResourceChange,
  action: Finding["action"],
  ctx: RuleContext,
  before: readonly PolicyStatement[],
  after: readonly PolicyStatement[],
  own: ReadonlySet<string>,
  subject: Subject,
): Finding[] {
  const out: Finding[] = [];
  const now = gainsOf(after);
  const was = gainsOf(before).gains;
  if (now.open.length) {
    out.push(
      finding(
        idx,
        rc,
        action,
        `${subject.rule}-public`,
        "block",
        `${subject.policy} lets everyone use ${subject.thing}: ${now.open.map((s) => `statement ${s.index + 1} (${list(actionsOf(s))})`).join(", ")} has Principal "*" or NotPrincipal and no condition pinning the caller to known accounts or a declared organization, so any AWS account may call it; ${subject.harm}`,
        FIX_PUBLIC,
      ),
    );
  }
  for (const { statement, services } of now.servicesUnconfined) {
    out.push(
      finding(
        idx,
        rc,
        action,
        `${subject.rule}-service-unconfined`,
        "risky",
        `statement ${statement.index + 1} of ${subject.policy} lets ${services.join(", ")} (${list(actionsOf(statement))}) act on ${subject.thing} for any account without aws:SourceAccount, aws:SourceArn or aws:SourceOrgID (confused deputy: https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html)`,
        "add StringEquals aws:SourceAccount (and ArnLike aws:SourceArn) for this account",
      ),
    );
  }
  const fresh: { key: string; shown: string; actions: string[] }[] = [];
  for (const [key, e] of now.gains) {
    const g = gained(was.get(key), e);
    if (g.length) fresh.push({ key, shown: e.shown, actions: g });
  }
  const unplaced = fresh.filter((f) => f.key.startsWith("unplaced:"));
  if (unplaced.length) {
    out.push(
      finding(
        idx,
        rc,
        action,
        `${subject.rule}-principal-unplaced`,
        "block",
        `${subject.policy} gives principals whose account the guard cannot tell (not an ARN with an account id, nor an account id) new rights: ${who(unplaced)}; a principal that may be in any account cannot be proven to stay in this one`,
        FIX_UNPLACED,
      ),
    );
  }
  const orgs = fresh.filter((f) => f.key.startsWith("org:"));
  const declaredOrgs = ctx.declaredOrganizations ?? new Map<string, string>();
  const undeclaredOrgs = orgs.filter((o) => !declaredOrgs.has(o.shown));
  const knownOrgs = orgs.filter((o) => declaredOrgs.has(o.shown));
  if (undeclaredOrgs.length) {
    out.push(
      finding(
        idx,
        rc,
        action,
        `${subject.rule}-cross-organization`,
        "block",
        `${subject.policy} opens ${subject.thing} to every account of an organization not declared for this stack: ${who(undeclaredOrgs)}; an organization is a set of accounts, any of which ${subject.harm.replace(/^they /, "")}`,
        FIX_ORGANIZATION,
      ),
    );
  }
  if (knownOrgs.length) {
    out.push(
      finding(
        idx,
        rc,
        action,
        `${subject.rule}-external-organization-added`,
        "risky",
        `${subject.policy} newly opens ${subject.thing} to declared organizations: ${who(knownOrgs)} (declared in the allowlist's externalOrganizations, ${knownOrgs.map((o) => `${o.shown}: ${declaredOrgs.get(o.shown)}`).join("; ")})`,
        "check the organization and what its accounts may do",
      ),
    );
  }
  const principals = fresh.filter((f) => !f.key.startsWith("org:") && !f.key.startsWith("unplaced:"));
  if (own.size === 0) {
    const accounts = [...new Set(principals.map((p) => accountOf(p.shown)).filter((a): a is string => !!a))];
    if (accounts.length > 1)
      out.push(
        finding(
          idx,
          rc,
          action,
          `${subject.rule}-accounts`,
          "risky",
          `the guard cannot tell which account owns ${subject.thing}; ${subject.policy} grants accounts ${accounts.join(", ")}`,
          "check every account is meant to use it",
        ),
      );
    return out;
  }
  const foreign = principals.filter((p) => !own.has(accountOf(p.shown) as string));
  const declared = foreign.filter((p) => ctx.declaredAccounts.has(accountOf(p.shown) as string));
  const undeclared = foreign.filter((p) => !ctx.declaredAccounts.has(accountOf(p.shown) as string));
  if (undeclared.length) {
    out.push(
      finding(
        idx,
        rc,
        action,
        `${subject.rule}-cross-account`,
        "block",
        `${subject.policy} gives principals of another account rights they did not have: ${who(undeclared)} (${subject.thing} belongs to ${[...own].join(", ")}); ${subject.harm}`,
        FIX_FOREIGN,
      ),
    );
  }
  if (declared.length) {
    const reasons = [...new Set(declared.map((p) => accountOf(p.shown) as string))].map(
      (a) => `${a}: ${ctx.declaredAccounts.get(a)}`,
    );
    out.push(
      finding(
        idx,
        rc,
        action,
        `${subject.rule}-external-account-added`,
        "risky",
        `${subject.policy} newly lets declared external accounts use ${subject.thing}: ${who(declared)} (declared in the allowlist's externalAccounts, ${reasons.join("; ")})`,
        "check the account and what it may do",
      ),
    );
  }
  return out;
}
