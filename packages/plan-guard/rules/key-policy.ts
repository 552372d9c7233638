/**
 * Judges the key policy a plan leaves behind (not the diff), for `aws_kms_key.policy` (created or
 * changed) and for a created, changed or replaced `aws_kms_key_policy`:
 * - blocks when nobody named in the policy can surely change it any more (no Allow of
 *   `kms:PutKeyPolicy` to the account or a named principal that no Deny cancels, counting
 *   `NotAction`/`NotPrincipal` Denies, wildcard actions and conditions that always match);
 * - blocks when an Allow opens the key to everyone without a condition narrowing the caller;
 * - blocks when a principal of another account gets any right it did not have before, unless the
 *   account is declared in the allowlist's `externalAccounts` (sharing on purpose): then it is
 *   shown for review (`key-policy-external-account-added`);
 * - blocks a policy the guard cannot read (fail closed).
 * Both shapes this project ships are manageable: the account form (root `kms:*`, which lets IAM
 * govern the key) and the closed form (only the listed administrators hold `kms:PutKeyPolicy`).
 * Risky: another account losing every right it had (`key-policy-external-account-removed`: what it
 * encrypted under the key becomes unreadable to it), a policy known only after apply, a policy that only some requests may change, fewer
 * principals able to change it than before, `bypass_policy_lockout_safety_check = true`.
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
 */
import { IAM, KMS } from "@cmk-stacks/aws-limits";
import type { ResourceChange } from "../plan-json";
import type { Finding } from "../model";
import {
  actionOf,
  asImported,
  leavesObject,
  configAddressOf,
  isImport,
  isUnknown,
  valuesOf,
  type PlanIndex,
} from "../plan-index";
import { KMS_KEY_TYPES } from "../resources";
import {
  accountOf,
  grantedPrincipals,
  isAccountPrincipal,
  managers,
  normalisePrincipal,
  parsePolicy,
  publicStatements,
  type PolicyStatement,
} from "../policy";
import { judgeReach, KEY_SUBJECT, planAccounts, providerAccounts } from "./reach";
import { grantDelegationFinding } from "./grant-delegation";
import { finding, type Rule, type RuleContext } from "./rule";

const FIX_LOCKOUT =
  "keep an Allow of kms:PutKeyPolicy for the account root (arn:aws:iam::<account>:root with kms:*) or for named administrators, and no Deny that cancels it; change administrators through the role lists, one at a time";

/** A policy value of the resource's side: the text, absent (KMS default policy), unknown, or unusable. */
type Side = { kind: "default" } | { kind: "text"; text: string } | { kind: "unknown" } | { kind: "bad"; why: string };

function sideOf(rc: ResourceChange, which: "before" | "after"): Side {
  if (which === "after" && isUnknown(rc, "policy")) return { kind: "unknown" };
  const v = valuesOf(rc.change[which]).policy;
  if (v === undefined || v === null || v === "") return { kind: "default" };
  if (typeof v !== "string") return { kind: "bad", why: "the key policy is not a string" };
  return { kind: "text", text: v };
}

/** The ARNs of the plan's KMS keys by id, key id, ARN and configuration address (built once per plan). */
const keyArnIndex = new WeakMap<PlanIndex, Map<string, string>>();

export function keyArns(idx: PlanIndex): Map<string, string> {
  let m = keyArnIndex.get(idx);
  if (!m) {
    m = new Map();
    for (const k of idx.ofTypes(...KMS_KEY_TYPES)) {
      const vals = [valuesOf(k.change.before), valuesOf(k.change.after)];
      const arn = vals.map((v) => v.arn).find((a): a is string => typeof a === "string");
      if (!arn) continue;
      for (const v of vals)
        for (const id of [v.id, v.key_id, v.arn]) if (typeof id === "string" && !m.has(id)) m.set(id, arn);
      if (!m.has(configAddressOf(k.address))) m.set(configAddressOf(k.address), arn);
    }
    keyArnIndex.set(idx, m);
  }
  return m;
}

/** The ARN of the key a resource names in `attr` (`key_id`): by value (id, key id or ARN of a key in the plan, or an ARN), else by the configuration's reference. */
export function keyArnNamedBy(rc: ResourceChange, idx: PlanIndex, attr: string): string | undefined {
  const arns = keyArns(idx);
  const ids = [valuesOf(rc.change.after), valuesOf(rc.change.before)]
    .map((v) => v[attr])
    .filter((k): k is string => typeof k === "string");
  for (const k of ids) {
    const arn = arns.get(k);
    if (arn) return arn;
  }
  for (const r of idx.references(rc.address))
    if (r.via === attr && r.target && arns.has(r.target)) return arns.get(r.target);
  return ids.find((k) => k.startsWith("arn:"));
}

function sameSide(a: Side, b: Side): boolean {
  return (
    a.kind === b.kind &&
    (a.kind !== "text" || a.text === (b as { text: string }).text) &&
    (a.kind !== "bad" || a.why === (b as { why: string }).why)
  );
}

/** The key's ARN (for Resource matching) and account, from the key or the key the policy resource names. */
function keyIdentity(rc: ResourceChange, idx: PlanIndex): { arn?: string; account?: string } {
  const own = [valuesOf(rc.change.before), valuesOf(rc.change.after)];
  let arn = own.map((v) => v.arn).find((a): a is string => typeof a === "string");
  if (!arn && rc.type === "aws_kms_key_policy") arn = keyArnNamedBy(rc, idx, "key_id");
  // A replica is in its primary key's account (ReplicateKey, "Cross-account use: No":
  // https://docs.aws.amazon.com/kms/latest/APIReference/API_ReplicateKey.html): before it exists, its primary_key_arn says whose key it is.
  const primary = own.map((v) => v.primary_key_arn).find((a): a is string => typeof a === "string");
  const account =
    IAM.accountOfAnyArn(arn, "kms") ?? (REPLICA_TYPES.has(rc.type) ? IAM.accountOfAnyArn(primary, "kms") : undefined);
  return { ...(arn ? { arn } : {}), ...(account ? { account } : {}) };
}

const REPLICA_TYPES = new Set(["aws_kms_replica_key", "aws_kms_replica_external_key"]);

/** Stands for the key's own account in KMS's default policy when the plan does not show it. */
const UNKNOWN_ACCOUNT = "000000000000";

/** The default key policy KMS applies when none is given: the account root with kms:*. */
function defaultStatements(account: string): PolicyStatement[] {
  return [
    {
      index: 0,
      effect: "Allow",
      principal: { aws: [account], service: [], other: [] },
      actions: ["kms:*"],
      resources: ["*"],
      conditions: [],
    },
  ];
}

/**
 * KMS refuses a key policy over the rulebook's {@link KMS.KEY_POLICY_MAX_BYTES}; a larger document in a
 * plan is no policy KMS would hold, and judging it is quadratic in its statements (a crafted megabyte
 * policy would stall the gate), so it is unreadable.
 */
const MAX_KEY_POLICY_BYTES = KMS.KEY_POLICY_MAX_BYTES.value;

function statementsOf(
  side: Side,
  account: () => string | undefined,
): PolicyStatement[] | { error: string } | undefined {
  if (side.kind === "unknown") return undefined;
  if (side.kind === "bad") return { error: side.why };
  if (
    side.kind === "text" &&
    side.text.length > MAX_KEY_POLICY_BYTES / 4 &&
    Buffer.byteLength(side.text, "utf8") > MAX_KEY_POLICY_BYTES
  ) {
    return {
      error: `the key policy is ${Buffer.byteLength(side.text, "utf8")} bytes, and KMS accepts at most ${MAX_KEY_POLICY_BYTES}`,
    };
  }
  if (side.kind === "default") return defaultStatements(account() ?? UNKNOWN_ACCOUNT);
  const parsed = parsePolicy(side.text);
  return "error" in parsed ? parsed : [...parsed.statements];
}

function check(idx: PlanIndex, rc: ResourceChange, action: Finding["action"], ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  const bypass = valuesOf(rc.change.after).bypass_policy_lockout_safety_check === true;
  const { arn, account: keyAccount } = keyIdentity(rc, idx);
  // An imported key's policy was never reviewed in a plan: judged as if created.
  const beforeSide = action === "create" || isImport(rc) ? undefined : sideOf(rc, "before");
  const afterSide = sideOf(rc, "after");
  const policyChanged =
    beforeSide === undefined ||
    !sameSide(beforeSide, afterSide) ||
    bypass !== (valuesOf(rc.change.before).bypass_policy_lockout_safety_check === true);
  if (!policyChanged) return out;
  if (afterSide.kind === "unknown") {
    return [
      finding(
        idx,
        rc,
        action,
        "key-policy-unknown",
        "risky",
        "the key policy is known only after apply: the guard cannot check that the key stays manageable and closed to other accounts",
        "make the policy known at plan time",
      ),
    ];
  }
  const before = beforeSide ? statementsOf(beforeSide, () => keyAccount) : [];
  const beforeList = Array.isArray(before) ? before : [];
  // The key's account: from its ARN, else the accounts the policy already trusted, else (a new key
  // with no ARN yet) the single account the new policy names.
  const after = statementsOf(afterSide, () => keyAccount ?? accountsOf(beforeList)[0]);
  if (after === undefined) return out;
  if (!Array.isArray(after)) {
    return [
      finding(
        idx,
        rc,
        action,
        "key-policy-unreadable",
        "block",
        `${after.error}: the guard cannot tell whether the key stays manageable, so it fails closed`,
        "write the policy as a JSON policy document (jsonencode) with Effect, Principal, Action and Resource in every statement",
      ),
    ];
  }
  // Another account that had rights and has none now: what it encrypted under the key (its own
  // data, in its own account) becomes unreadable to it.
  const grantedBefore = grantedPrincipals(beforeList);
  const grantedAfter = grantedPrincipals(after);
  if (keyAccount) {
    const now = new Set(accountsIn(grantedAfter));
    const lost = accountsIn(grantedBefore).filter((a) => a !== keyAccount && !now.has(a));
    if (lost.length) {
      out.push(
        finding(
          idx,
          rc,
          action,
          "key-policy-external-account-removed",
          "risky",
          `accounts that lose every right on the key: ${lost.join(", ")}; what they encrypted under it becomes unreadable to them`,
          "make sure each account has re-encrypted its data under another key first",
        ),
      );
    }
  }
  // No policy: KMS applies its default one (the account root with kms:*), manageable by the account.
  if (afterSide.kind === "default") return out;
  const bypassNote = bypass ? " (bypass_policy_lockout_safety_check = true, so KMS will not refuse it)" : "";
  const m = managers(after, arn, grantedAfter);
  if (m.sure.length === 0) {
    if (m.maybe.length === 0) {
      out.push(
        finding(
          idx,
          rc,
          action,
          "key-policy-lockout",
          "block",
          `after this change no principal can change the key policy${bypassNote}: no Allow of kms:PutKeyPolicy to the account or a named principal survives its Denies, so nobody can manage the key any more and only AWS Support can restore access`,
          FIX_LOCKOUT,
        ),
      );
    } else {
      out.push(
        finding(
          idx,
          rc,
          action,
          "key-policy-lockout-conditional",
          "risky",
          `only some requests may change the key policy afterwards (conditions decide for ${m.maybe.join(", ")})${bypassNote}`,
          "check the conditions can be met by an administrator",
        ),
      );
    }
  } else {
    const was = new Set(managers(beforeList, arn, grantedBefore).sure.map(normalisePrincipal));
    const now = new Set(m.sure.map(normalisePrincipal));
    const gone = [...was].filter((p) => !now.has(p) && p !== `account:${UNKNOWN_ACCOUNT}`);
    if (gone.length)
      out.push(
        finding(
          idx,
          rc,
          action,
          "key-policy-admins-removed",
          "risky",
          `principals who can no longer change the key policy: ${gone.map((p) => p.replace(/^account:/, "account ")).join(", ")}`,
          "check someone who can manage the key remains",
        ),
      );
    if (bypass)
      out.push(
        finding(
          idx,
          rc,
          action,
          "key-policy-bypass",
          "risky",
          "bypass_policy_lockout_safety_check = true: KMS will not refuse a policy that locks the key",
          "leave it false",
        ),
      );
  }
  const delegation = grantDelegationFinding(idx, rc, action, beforeList, after, arn);
  if (delegation) out.push(delegation);
  const owner = ownAccounts(idx, rc.address, keyAccount, beforeList, after, m.sure);
  out.push(...judgeReach(idx, rc, action, ctx, beforeList, after, owner.own, KEY_SUBJECT));
  return out;
}

/**
 * The account the key belongs to: from its ARN; for a key whose ARN the plan does not show (a new
 * key), the one account the plan's resources live in, else the one account whose root may change
 * the policy (before, then after), else the one account the old, then the new, policy names. The
 * accounts an old policy shared the key with are not the key's own: they are judged like any other.
 */
function ownAccounts(
  idx: PlanIndex,
  address: string,
  keyAccount: string | undefined,
  before: readonly PolicyStatement[],
  after: readonly PolicyStatement[],
  afterManagers: readonly string[],
): { own: Set<string>; inferred?: string } {
  if (keyAccount) return { own: new Set([keyAccount]) };
  const one = (accounts: readonly (string | undefined)[]): string | undefined => {
    const set = new Set(accounts.filter((a): a is string => !!a && a !== UNKNOWN_ACCOUNT));
    return set.size === 1 ? [...set][0] : undefined;
  };
  const roots = (sure: readonly string[]) => sure.filter(isAccountPrincipal).map(accountOf);
  const evidence =
    one(providerAccounts(idx, address, true)) ??
    one(planAccounts(idx)) ??
    one(providerAccounts(idx, address)) ??
    (before.length ? one(roots(managers(before).sure)) : undefined);
  if (evidence) return { own: new Set([evidence]) };
  // Only the new policy itself says whose key it is (a plan with no ARN and no allowed_account_ids):
  // it is believed, so a policy handing the key to another account's root alone is not caught here.
  const inferred = one(roots(afterManagers)) ?? one(accountsOf(before)) ?? one(accountsOf(after));
  if (inferred) return { own: new Set([inferred]), inferred };
  // Still none: the accounts the plan's resources live in (a principal in none of them is foreign to this plan).
  return { own: new Set(planAccounts(idx)) };
}

/** Accounts of the principals a policy grants anything to, in order of first appearance. */
function accountsOf(statements: readonly PolicyStatement[]): string[] {
  return accountsIn(grantedPrincipals(statements));
}

function accountsIn(principals: readonly string[]): string[] {
  return [...new Set(principals.map(accountOf).filter((a): a is string => !!a))];
}

/** Rules `key-policy-lockout`, `key-policy-public`, `key-policy-cross-account`, `key-policy-unreadable` (block) and the risky notes. */
export const keyPolicyRule: Rule = (idx, ctx) => {
  const out: Finding[] = [];
  for (const rc of idx.ofTypes(...KMS_KEY_TYPES, "aws_kms_key_policy")) {
    if (rc.deposed) continue;
    const action = actionOf(rc.change.actions);
    // A replaced key is also blocked by its own rule, but an allowlist entry approving the replacement
    // approves losing the old key, not what the new key's policy opens: the new policy is judged too.
    if (leavesObject(rc.change.actions) || isImport(rc)) out.push(...asImported(rc, check(idx, rc, action, ctx)));
  }
  return out;
};

/** For tests: the verdict on one policy document alone. */
export function judgePolicy(
  text: string,
  keyArn?: string,
): { manageable: "sure" | "maybe" | "no"; public: boolean; granted: string[] } | { error: string } {
  const parsed = parsePolicy(text);
  if ("error" in parsed) return parsed;
  const m = managers(parsed.statements, keyArn);
  return {
    manageable: m.sure.length ? "sure" : m.maybe.length ? "maybe" : "no",
    public: publicStatements(parsed.statements).length > 0,
    granted: grantedPrincipals(parsed.statements),
  };
}
