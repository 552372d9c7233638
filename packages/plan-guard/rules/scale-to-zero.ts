/**
 * Scale to zero (`cloudHsm.scaleToZero`, docs/cloudhsm.md "Scale to zero"): in such a stack the
 * `ensure-hsms` and `scale-up` hook steps own the cluster's HSMs and EventBridge Scheduler schedules
 * delete them every evening, so Terraform must hold no `aws_cloudhsm_v2_hsm` there: a plan run while
 * the cluster is down on schedule would otherwise "fix" the missing HSMs by creating them (without
 * reconnecting the store), and fight the schedule every night. A stack is a scale-to-zero stack when
 * its plan keeps a schedule that runs the `scale-down` step (its target input names the step, or, while
 * the input is still unknown, its name is `<env>-cloudhsm-down-<n>`).
 *
 * - `scale-to-zero-terraform-hsm` (block): an HSM resource in a scale-to-zero stack.
 * - `scale-to-zero-exit` (block): a plan that removes the schedules and creates HSM resources: the
 *   HSMs the hook steps made stay and Terraform adds more beside them (import them instead).
 * - `scale-to-zero-handover` (risky): an HSM resource forgotten (`removed`, destroy = false) in a
 *   scale-to-zero stack: the HSM stays in AWS and the hook steps own it from now on (still blocked by
 *   `destroy-key-bearing` until allowed: it is a deliberate, reviewed change).
 * Zero HSMs while scaled down never reach a plan (no HSM resource exists), so `hsm-count-below-2` stays
 * silent there; outside the window the health check's alarms report missing HSMs.
 */
import type { ResourceChange } from "../plan-json";
import { actionOf, valuesOf, type PlanIndex } from "../plan-index";
import { ALLOW_HOW, finding, type Rule } from "./rule";

const DOWN_NAME = /-cloudhsm-down-\d+$/;

/** Whether a schedule runs `scale-down` (read from its target input, or its name while that is unknown). */
function isScaleDownSchedule(rc: ResourceChange, side: "before" | "after"): boolean {
  const v = valuesOf(rc.change[side]);
  if (Object.keys(v).length === 0) return false;
  const targets = Array.isArray(v.target) ? v.target : [];
  for (const t of targets) {
    const input = t && typeof t === "object" && !Array.isArray(t) ? (t as Record<string, unknown>).input : undefined;
    if (typeof input === "string") {
      try {
        if ((JSON.parse(input) as { step?: unknown }).step === "scale-down") return true;
      } catch {
        /* not JSON: not ours */
      }
    }
  }
  return typeof v.name === "string" && DOWN_NAME.test(v.name);
}

/** The `scale-down` schedules the plan keeps (the stack stays a scale-to-zero stack). */
export function keptScaleDownSchedules(idx: PlanIndex): ResourceChange[] {
  return idx
    .ofTypes("aws_scheduler_schedule")
    .filter((s) => actionOf(s.change.actions) !== "delete" && isScaleDownSchedule(s, "after"));
}

/**
 * The clusters the kept `scale-down` schedules scale (the `clusterId` of their target input), or
 * undefined when one of them does not show it (input unknown at plan time, or not ours): then every
 * HSM of the stack counts as the schedules'.
 */
function scaledClusters(kept: readonly ResourceChange[]): Set<string> | undefined {
  const ids = new Set<string>();
  for (const s of kept) {
    const targets = valuesOf(s.change.after).target;
    let found = false;
    for (const t of Array.isArray(targets) ? targets : []) {
      const input = t && typeof t === "object" && !Array.isArray(t) ? (t as Record<string, unknown>).input : undefined;
      if (typeof input !== "string") continue;
      try {
        const id = (JSON.parse(input) as { clusterId?: unknown }).clusterId;
        if (typeof id === "string" && id) {
          ids.add(id);
          found = true;
        }
      } catch {
        /* not JSON: not ours */
      }
    }
    if (!found) return undefined;
  }
  return ids;
}

/**
 * Whether an HSM belongs to a cluster the stack's scale-down schedules scale: its `cluster_id`
 * (before for a forget, else after, else before) is one they name; when the schedules do not show
 * their cluster, every HSM of the stack does. A forgotten HSM of another cluster is no hand-over.
 */
const scaledOf = new WeakMap<PlanIndex, { any: boolean; clusters?: Set<string> }>();

export function scaledHsm(idx: PlanIndex, h: ResourceChange): boolean {
  let memo = scaledOf.get(idx);
  if (!memo) {
    const kept = keptScaleDownSchedules(idx);
    memo = { any: kept.length > 0, clusters: kept.length ? scaledClusters(kept) : undefined };
    scaledOf.set(idx, memo);
  }
  if (!memo.any) return false;
  const scaled = memo.clusters;
  if (!scaled) return true;
  const forget = actionOf(h.change.actions) === "forget";
  const id = forget
    ? valuesOf(h.change.before).cluster_id
    : (valuesOf(h.change.after).cluster_id ?? valuesOf(h.change.before).cluster_id);
  // Known only after apply (a new cluster): counted as the schedules' (fail closed).
  if (typeof id !== "string") return !forget;
  return scaled.has(id);
}

/** Rules `scale-to-zero-terraform-hsm`, `scale-to-zero-exit`, `scale-to-zero-handover`. */
export const scaleToZeroRule: Rule = (idx) => {
  const schedules = idx.ofTypes("aws_scheduler_schedule");
  const kept = keptScaleDownSchedules(idx);
  // A scale-down schedule that goes, or is changed to run something else (its target input or name).
  const leaving = schedules.filter(
    (s) =>
      isScaleDownSchedule(s, "before") && (actionOf(s.change.actions) === "delete" || !isScaleDownSchedule(s, "after")),
  );
  const hsms = idx.ofTypes("aws_cloudhsm_v2_hsm").filter((h) => !h.deposed);
  const out = [];
  if (kept.length) {
    for (const h of hsms) {
      const action = actionOf(h.change.actions);
      if (!scaledHsm(idx, h)) continue;
      // Only forgotten: `["create", "forget"]` also creates a Terraform-owned HSM, which the schedule would fight.
      if (action === "forget" && h.change.actions.length === 1) {
        out.push(
          finding(
            idx,
            h,
            action,
            "scale-to-zero-handover",
            "risky",
            "hands this HSM from Terraform to the scale-to-zero hook steps: it stays in AWS, ensure-hsms and scale-up count it by AZ and create none beside it, and the schedule deletes and recreates it from now on",
            `check the stack keeps its scale-to-zero schedule (${kept[0].address}); allow the forget (destroy-key-bearing) with ${ALLOW_HOW}`,
          ),
        );
      } else if (action !== "delete") {
        out.push(
          finding(
            idx,
            h,
            action,
            "scale-to-zero-terraform-hsm",
            "block",
            `Terraform owns an HSM of a scale-to-zero cluster (schedule ${kept[0].address}): the schedule deletes it every evening and the next plan would create it again, without reconnecting the key store`,
            'let the hook steps own the HSMs (CloudHsm with scaleToZero: HsmCluster hsmOwner "hook-steps"); for an existing HSM use a `removed` block with destroy = false, never a delete',
          ),
        );
      }
    }
  }
  if (leaving.length && !kept.length) {
    for (const h of hsms.filter((x) => actionOf(x.change.actions) === "create"))
      out.push(
        finding(
          idx,
          h,
          "create",
          "scale-to-zero-exit",
          "block",
          `leaves scale to zero (${leaving[0].address} is deleted) by creating a new HSM: the HSMs the hook steps made stay in the cluster, so this adds more beside them (cost, and a scaled-down cluster gets HSMs without its key store reconnected)`,
          `run scale-up first, then import the existing HSMs (an \`import\` block per HSM, by HSM id) in this change instead of creating new ones; allow it only if the cluster really has no HSM with ${ALLOW_HOW}`,
        ),
      );
  }
  return out;
};
