/**
 * Blocks changes that leave a CloudHSM cluster with fewer than 2 HSMs when it had at least 2:
 * a CloudHSM key store needs 2 active HSMs in different AZs to connect and to create keys. HSMs are
 * counted per cluster before and after the plan, by `cluster_id` (or, when that is only known after
 * apply, by the cluster the configuration references).
 */
import type { ResourceChange } from "../plan-json";
import { actionOf, valuesOf, type PlanIndex } from "../plan-index";
import { restorePlanOf } from "./restore";
import { ALLOW_HOW, finding, type Rule } from "./rule";
import { scaledHsm } from "./scale-to-zero";

function clusterKeys(idx: PlanIndex): Map<string, string> {
  const keys = new Map<string, string>();
  for (const c of idx.ofTypes("aws_cloudhsm_v2_cluster")) {
    for (const v of [valuesOf(c.change.before), valuesOf(c.change.after)]) {
      for (const id of [v.id, v.cluster_id]) if (typeof id === "string") keys.set(id, c.address);
    }
  }
  return keys;
}

function clusterOf(
  rc: ResourceChange,
  side: "before" | "after",
  idx: PlanIndex,
  keys: Map<string, string>,
): string | undefined {
  const id = valuesOf(rc.change[side]).cluster_id;
  if (typeof id === "string") return keys.get(id) ?? id;
  if (side === "after") {
    const ref = idx
      .references(rc.address)
      .find((r) => r.via === "cluster_id" && r.target?.includes("aws_cloudhsm_v2_cluster."));
    if (ref?.target) return ref.target;
    return clusterOf(rc, "before", idx, keys);
  }
  return undefined;
}

const GONE = new Set(["delete", "forget"]);

/** Rule `hsm-count-below-2`. */
export const hsmCountRule: Rule = (idx) => {
  // A restore forgets the lost cluster's HSMs: the key store uses the restored cluster's (cloudhsm-restore).
  const restored = restorePlanOf(idx)?.forgotten;
  const hsms = idx.ofTypes("aws_cloudhsm_v2_hsm").filter((h) => !h.deposed && !restored?.has(h.address));
  if (hsms.length === 0) return [];
  const keys = clusterKeys(idx);
  // A scale-to-zero stack hands its HSMs to the hook steps (forget, destroy = false): they stay in AWS,
  // so they do not leave the cluster (scale-to-zero-handover explains it; destroy-key-bearing still asks for an allow).
  const before = new Map<string, number>();
  const after = new Map<string, number>();
  const leaving = new Map<string, ResourceChange[]>();
  for (const h of hsms) {
    const action = actionOf(h.change.actions);
    if (action === "forget" && scaledHsm(idx, h)) continue;
    const b = action === "create" ? undefined : clusterOf(h, "before", idx, keys);
    const a = GONE.has(action) ? undefined : clusterOf(h, "after", idx, keys);
    if (b) before.set(b, (before.get(b) ?? 0) + 1);
    if (a) after.set(a, (after.get(a) ?? 0) + 1);
    if (b && b !== a) leaving.set(b, [...(leaving.get(b) ?? []), h]);
  }
  const out = [];
  for (const [cluster, n] of before) {
    const m = after.get(cluster) ?? 0;
    if (n < 2 || m >= 2) continue;
    for (const h of leaving.get(cluster) ?? []) {
      out.push(
        finding(
          idx,
          h,
          actionOf(h.change.actions),
          "hsm-count-below-2",
          "block",
          `leaves CloudHSM cluster ${cluster} with ${m} HSM${m === 1 ? "" : "s"} (had ${n}): the key store needs at least 2 active HSMs in different AZs to connect (INSUFFICIENT_CLOUDHSM_HSMS) and to create keys`,
          `add the replacement HSM in another AZ in an earlier apply and wait until it is ACTIVE, then remove this one; allow it (only if the key store is being retired) with ${ALLOW_HOW}`,
        ),
      );
    }
  }
  return out;
};
