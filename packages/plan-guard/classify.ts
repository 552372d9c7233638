/** Runs every rule over every plan, applies the allowlist, and counts actions per stack. */
import { applyAllowlist, declaredAccounts, declaredOrganizations, expired } from "./allowlist";
import { planDigest } from "./digest";
import { buildGraph } from "./graph";
import type { Allowlist, Finding, GuardAction, GuardResult, LoadedPlan, StackCounts } from "./model";
import { actionOf, PlanIndex } from "./plan-index";
import { forgetReadPolicies } from "./policy";
import { dataLossRule } from "./rules/data-loss";
import { destroyRule } from "./rules/destroy";
import { disableRule } from "./rules/disable";
import { driftRule } from "./rules/drift";
import { hsmCountRule } from "./rules/hsm-count";
import { hsmReplacedRule } from "./rules/hsm-replaced";
import { hsmTypeRule } from "./rules/hsm-type";
import { importedMaterialRule } from "./rules/imported-material";
import { keyPolicyRule } from "./rules/key-policy";
import { keyStoreRule } from "./rules/key-store";
import { scaleToZeroRule } from "./rules/scale-to-zero";
import { cloudHsmInPlaceRule } from "./rules/cloudhsm-in-place";
import { restoreRule } from "./rules/restore";
import { riskyFindings } from "./rules/risky";
import { rotationRule } from "./rules/rotation";
import { grantRule } from "./rules/grant";
import { topicPolicyRule } from "./rules/topic-policy";
import type { LiveCluster, Rule } from "./rules/rule";

/** The rules, in the order their findings are listed. */
export const RULES: readonly Rule[] = [
  destroyRule,
  disableRule,
  importedMaterialRule,
  keyStoreRule,
  hsmCountRule,
  scaleToZeroRule,
  hsmTypeRule,
  hsmReplacedRule,
  cloudHsmInPlaceRule,
  restoreRule,
  keyPolicyRule,
  grantRule,
  topicPolicyRule,
  dataLossRule,
  driftRule,
  rotationRule,
];

/** Options of {@link classifyPlans}. */
export interface ClassifyOptions {
  /** Input problems found while reading (shown in the summary; they make the exit code 2). */
  readonly inputErrors?: readonly string[];
  /** Skip the key/consumer graph (the summary's diagram): classification alone. */
  readonly withoutGraph?: boolean;
  /** The time allowlist expiry dates are checked against. @default - now */
  readonly now?: Date;
  /** The CloudHSM clusters as AWS describes them (`--cloudhsm-clusters`). @default - not known */
  readonly cloudHsmClusters?: readonly LiveCluster[];
}

function counts(idx: PlanIndex, file: string | undefined, digest: string): StackCounts {
  const c: Partial<Record<GuardAction, number>> = {};
  for (const rc of idx.changes) {
    const a = actionOf(rc.change.actions);
    c[a] = (c[a] ?? 0) + 1;
  }
  const drift = (idx.plan.resource_drift ?? []).length;
  if (drift) c.drift = drift;
  return {
    stack: idx.stack,
    ...(file ? { file } : {}),
    ...(idx.plan.terraform_version ? { terraformVersion: idx.plan.terraform_version } : {}),
    counts: c,
    resources: idx.changes.length,
    digest,
  };
}

/**
 * Classifies the plans of a run (one per stack): blocked findings (not covered by the allowlist),
 * allowed ones with the entry that covered them, risky ones, unused allowlist entries, counts by
 * action, and the key/consumer graph. Pure: reads nothing, prints nothing.
 */
export function classifyPlans(
  plans: readonly LoadedPlan[],
  allowlist?: Allowlist,
  opts: ClassifyOptions = {},
): GuardResult {
  forgetReadPolicies();
  const indexes = plans.map((p) => new PlanIndex(p));
  const now = opts.now ?? new Date();
  const digests = plans.map((p) => planDigest(p.plan));
  const blocking: Finding[] = [];
  const risky: Finding[] = [];
  const warnings: string[] = [];
  const inputErrors = [...(opts.inputErrors ?? []), ...plans.flatMap((p) => p.problems ?? [])];
  // A rule that fails on an input nobody foresaw must not hide the others' findings, nor pass: exit 2.
  const guarded = <T>(what: string, stack: string, run: () => T[]): T[] => {
    try {
      return run();
    } catch (e) {
      inputErrors.push(
        `${stack}: the guard could not check ${what} (${e instanceof Error ? e.message : String(e)}); please report this`,
      );
      return [];
    }
  };
  for (const idx of indexes) {
    const ctx = {
      declaredAccounts: declaredAccounts(allowlist, idx.stack, now),
      declaredOrganizations: declaredOrganizations(allowlist, idx.stack, now),
      ...(opts.cloudHsmClusters ? { cloudHsmClusters: opts.cloudHsmClusters } : {}),
    };
    const found = RULES.flatMap((rule) => guarded(`rule ${rule.name}`, idx.stack, () => rule(idx, ctx)));
    const blockedHere = found.filter((f) => f.severity === "block");
    blocking.push(...blockedHere);
    const named = new Set(found.map((f) => f.address));
    risky.push(
      ...found.filter((f) => f.severity === "risky"),
      ...guarded("the risky changes", idx.stack, () => riskyFindings(idx, named)),
    );
    if (idx.plan.errored)
      warnings.push(
        `${idx.stack}: the plan errored, so Terraform will not apply it; the guard checked the changes it lists`,
      );
    if (idx.plan.format_version.startsWith("0.") && !idx.plan.configuration)
      warnings.push(`${idx.stack}: no configuration in the plan, so consumers of keys cannot be shown`);
  }
  const { blocked, allowed, unused } = applyAllowlist(blocking, allowlist, {
    now,
    digests: new Map(plans.map((p, i) => [p.stack, digests[i]])),
  });
  for (const e of unused) {
    const what = `allowlist entry ${e.index} (${e.stack ? `${e.stack} ` : ""}${e.address})`;
    warnings.push(
      expired(e.expires, now)
        ? `${what} expired on ${e.expires}: remove it`
        : `${what} matched nothing: remove it or fix the address${e.digest ? " (or the plan it was written for has changed)" : ""}`,
    );
  }
  for (const e of allowlist?.externalAccounts ?? []) {
    if (expired(e.expires, now))
      warnings.push(
        `externalAccounts[${e.index}] (${e.account}) expired on ${e.expires}: key policies granting it are blocked again; remove it or renew it`,
      );
  }
  for (const e of allowlist?.externalOrganizations ?? []) {
    if (expired(e.expires, now))
      warnings.push(
        `externalOrganizations[${e.index}] (${e.organization}) expired on ${e.expires}: policies opening keys to it are blocked again; remove it or renew it`,
      );
  }
  const graph = opts.withoutGraph
    ? { nodes: [], edges: [] }
    : (guarded("the key graph", "summary", () => [buildGraph(indexes)])[0] ?? { nodes: [], edges: [] });
  return {
    stacks: indexes.map((idx, i) => counts(idx, plans[i].file, digests[i])),
    blocked,
    allowed,
    risky,
    unusedAllowances: unused,
    warnings,
    graph,
    inputErrors,
    exitCode: inputErrors.length ? 2 : blocked.length ? 1 : 0,
  };
}
