/**
 * The alarm topic's policy, judged like a key policy for who it lets in (`aws_sns_topic.policy`,
 * `aws_sns_topic_policy.policy`): everyone, an undeclared account or organization, a principal the
 * guard cannot place in an account is blocked; a declared one is shown. A topic with no policy in
 * the configuration keeps the policy SNS writes (the owner account only) and is not judged.
 * Every SNS topic in a plan is judged: the guard cannot tell the alarm topic from another by name,
 * and a topic opened to another account leaks or forges what it carries.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html
 */
import type { ResourceChange } from "../plan-json";
import type { Finding } from "../model";
import { actionOf, asImported, leavesObject, isImport, isUnknown, valuesOf, type PlanIndex } from "../plan-index";
import { accountOf, parsePolicy, type PolicyStatement } from "../policy";
import { judgeReach, planAccounts, providerAccounts, TOPIC_SUBJECT } from "./reach";
import { finding, type Rule, type RuleContext } from "./rule";

function text(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** The topic's account: from the topic ARN (`arn` of either resource), else the plan's single account. */
function ownAccounts(rc: ResourceChange, idx: PlanIndex): Set<string> {
  const arns = [valuesOf(rc.change.before), valuesOf(rc.change.after)]
    .map((v) => v.arn)
    .filter((a): a is string => typeof a === "string");
  const own = new Set(arns.map(accountOf).filter((a): a is string => !!a));
  if (own.size === 0) {
    const mine = providerAccounts(idx, rc.address, true);
    const seen = planAccounts(idx);
    const pinned = providerAccounts(idx, rc.address);
    if (mine.length === 1) own.add(mine[0]);
    else if (seen.length === 1) own.add(seen[0]);
    else if (pinned.length === 1) own.add(pinned[0]);
  }
  return own;
}

function check(idx: PlanIndex, rc: ResourceChange, action: Finding["action"], ctx: RuleContext): Finding[] {
  // An imported topic's configured policy was never reviewed in a plan: judged as if created (a topic
  // whose configuration leaves the policy to SNS keeps SNS's owner-only default, not judged).
  const imported = isImport(rc) && (rc.type === "aws_sns_topic_policy" || isConfigured(idx, rc.address));
  const beforeText = action === "create" || imported ? undefined : text(valuesOf(rc.change.before).policy);
  if (isUnknown(rc, "policy")) {
    // aws_sns_topic computes SNS's own default policy when none is configured.
    const configured =
      rc.type === "aws_sns_topic_policy" ||
      idx.references(rc.address).some((r) => r.via === "policy") ||
      isConfigured(idx, rc.address);
    return configured
      ? [
          finding(
            idx,
            rc,
            action,
            "topic-policy-unknown",
            "risky",
            "the topic policy is known only after apply: the guard cannot check it stays closed to other accounts",
            "make the policy known at plan time",
          ),
        ]
      : [];
  }
  const afterText = text(valuesOf(rc.change.after).policy);
  if (afterText === undefined || afterText === beforeText) return [];
  const after = parsePolicy(afterText);
  if ("error" in after) {
    return [
      finding(
        idx,
        rc,
        action,
        "topic-policy-unreadable",
        "block",
        `${after.error.replace("key policy", "topic policy")}: the guard cannot tell who it lets in, so it fails closed`,
        "write the policy as a JSON policy document (jsonencode)",
      ),
    ];
  }
  const beforeParsed = beforeText === undefined ? undefined : parsePolicy(beforeText);
  const before: readonly PolicyStatement[] = beforeParsed && !("error" in beforeParsed) ? beforeParsed.statements : [];
  return judgeReach(idx, rc, action, ctx, before, after.statements, ownAccounts(rc, idx), TOPIC_SUBJECT);
}

function isConfigured(idx: PlanIndex, address: string): boolean {
  const c = idx.config.get(address.replace(/\[[^\]]*\]/g, ""));
  return !!c?.resource.expressions && "policy" in c.resource.expressions;
}

/** Rules `topic-policy-public`, `topic-policy-cross-account`, `topic-policy-cross-organization`, `topic-policy-unreadable` (block) and the risky notes. */
export const topicPolicyRule: Rule = (idx, ctx) => {
  const out: Finding[] = [];
  for (const rc of idx.ofTypes("aws_sns_topic", "aws_sns_topic_policy")) {
    if (rc.deposed) continue;
    const action = actionOf(rc.change.actions);
    if (leavesObject(rc.change.actions) || isImport(rc)) out.push(...asImported(rc, check(idx, rc, action, ctx)));
  }
  return out;
};
