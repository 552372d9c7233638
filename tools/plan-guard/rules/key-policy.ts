/**
 * Blocks key policy changes that can lock everyone out of a key: losing the account-root statement
 * (`arn:aws:iam::<account>:root` allowed `kms:*`, which lets IAM govern the key), losing an
 * administrator statement (one allowing `kms:PutKeyPolicy`, identified by its Sid, else by its
 * principals), or a Deny of `kms:PutKeyPolicy` to everyone or the root without a condition.
 * Fewer principals in a surviving administrator statement, or a policy known only after apply,
 * are reported as risky.
 */
import type { ResourceChange } from "../../terraform/plan-json";
import { actionOf, isUnknown, valuesOf } from "../plan-index";
import { finding, type Rule } from "./rule";

interface Statement {
  Sid?: unknown;
  Effect?: unknown;
  Principal?: unknown;
  Action?: unknown;
  Condition?: unknown;
}

/** The statements of a policy document string; undefined when it is not a JSON policy. */
export function statementsOf(policy: unknown): Statement[] | undefined {
  if (typeof policy !== "string" || policy.trim() === "") return undefined;
  try {
    const doc = JSON.parse(policy) as { Statement?: unknown };
    const s = doc.Statement;
    if (Array.isArray(s)) return s.filter((x): x is Statement => typeof x === "object" && x !== null);
    return typeof s === "object" && s !== null ? [s as Statement] : [];
  } catch {
    return undefined;
  }
}

function list(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : typeof v === "string" ? [v] : [];
}

/** AWS principals of a statement ("*" for `Principal: "*"`). */
export function principalsOf(s: Statement): string[] {
  if (s.Principal === "*") return ["*"];
  return typeof s.Principal === "object" && s.Principal !== null ? list((s.Principal as { AWS?: unknown }).AWS) : [];
}

const ROOT = /^(arn:aws[a-z-]*:iam::\d{12}:root|\d{12})$/;

/** Whether an action pattern (`kms:*`, `kms:Put*`, `*`) covers the action. */
function covers(patterns: string[], action: string): boolean {
  return patterns.some((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`, "i").test(action));
}

const allows = (s: Statement): boolean => s.Effect === "Allow";
export const isRootStatement = (s: Statement): boolean => allows(s) && principalsOf(s).some((p) => ROOT.test(p)) && list(s.Action).some((a) => a === "kms:*" || a === "*");
const isAdminStatement = (s: Statement): boolean => allows(s) && !isRootStatement(s) && covers(list(s.Action), "kms:PutKeyPolicy");
const keyOf = (s: Statement): string => (typeof s.Sid === "string" && s.Sid ? `Sid ${s.Sid}` : `principals ${[...principalsOf(s)].sort().join(", ")}`);

const FIX = "keep the account-root statement (Principal arn:aws:iam::<account>:root, Action kms:*) and at least the existing administrator statements; change administrators through the role lists, one at a time";

function check(idx: Parameters<Rule>[0], rc: ResourceChange): ReturnType<Rule> {
  const before = statementsOf(valuesOf(rc.change.before).policy);
  if (!before) return [];
  const action = actionOf(rc.change.actions);
  if (isUnknown(rc, "policy")) return [finding(idx, rc, action, "key-policy-unknown", "risky", "the key policy is known only after apply: the guard cannot check it keeps the root and administrator statements", "make the policy known at plan time")];
  const after = statementsOf(valuesOf(rc.change.after).policy);
  if (!after) return [];
  const lost: string[] = [];
  if (before.some(isRootStatement) && !after.some(isRootStatement)) lost.push("the account-root statement (root with kms:*)");
  const adminsAfter = new Map(after.filter(isAdminStatement).map((s) => [keyOf(s), s]));
  const shrunk: string[] = [];
  for (const s of before.filter(isAdminStatement)) {
    const now = adminsAfter.get(keyOf(s));
    if (!now) lost.push(`the administrator statement ${keyOf(s)}`);
    else {
      const gone = principalsOf(s).filter((p) => !principalsOf(now).includes(p));
      if (gone.length) shrunk.push(...gone);
    }
  }
  const denies = after.filter((s) => s.Effect === "Deny" && !s.Condition && covers(list(s.Action), "kms:PutKeyPolicy") && principalsOf(s).some((p) => p === "*" || ROOT.test(p)));
  if (denies.length && !before.some((s) => s.Effect === "Deny" && !s.Condition && covers(list(s.Action), "kms:PutKeyPolicy") && principalsOf(s).some((p) => p === "*" || ROOT.test(p)))) {
    lost.push("the right to change the policy (a Deny of kms:PutKeyPolicy to everyone or the root)");
  }
  const out = [];
  if (lost.length) {
    out.push(finding(idx, rc, action, "key-policy-lockout", "block",
      `the key policy loses ${lost.join(" and ")}: nobody may be able to manage the key any more, and only AWS Support can restore access`, FIX));
  }
  if (shrunk.length) out.push(finding(idx, rc, action, "key-policy-admins-removed", "risky", `administrators removed from the key policy: ${shrunk.join(", ")}`, "check someone who can manage the key remains"));
  return out;
}

/** Rules `key-policy-lockout` (block), `key-policy-admins-removed` and `key-policy-unknown` (risky). */
export const keyPolicyRule: Rule = (idx) => {
  const out = [];
  for (const rc of idx.ofTypes("aws_kms_key", "aws_kms_external_key", "aws_kms_replica_key", "aws_kms_replica_external_key", "aws_kms_key_policy")) {
    const action = actionOf(rc.change.actions);
    // A replaced or deleted key is blocked by its own rule; a replaced aws_kms_key_policy is a policy change.
    if (action === "update" || (action === "replace" && rc.type === "aws_kms_key_policy")) out.push(...check(idx, rc));
  }
  return out;
};
