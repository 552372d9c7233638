/** Blocks delete, replace (either order) and forget of every key- or data-bearing resource. */
import type { ResourceChange } from "../plan-json";
import { actionOf, isImport, valuesOf } from "../plan-index";
import { keyBearing } from "../resources";
import { restoreAdvice, restorePlanOf } from "./restore";
import { ALLOW_HOW, finding, type Rule } from "./rule";
import { retirementFinding } from "./rotation";

const FIX = {
  delete:
    "keep the resource; for a rename or refactor use a `moved` block (CDKTF: `moveTo`), not a `removed` block (that forgets it and prevent_destroy no longer protects it); if the deletion is really intended, follow the teardown procedure (npm run teardown, docs/operations.md), or allow it with " +
    ALLOW_HOW,
  replace:
    "revert the argument that forces replacement, or use a `moved` block if only the address changed; to really change it, create the new resource beside the old one, migrate, and retire the old one in its own change with " +
    ALLOW_HOW,
  forget:
    "keep the resource in the configuration: `removed { lifecycle { destroy = false } }` leaves it unmanaged and unprotected; for a rename use a `moved` block (CDKTF: `moveTo`); to hand it to another state, import it there in the same change and allow this with " +
    ALLOW_HOW,
  unknown:
    "the guard does not know this action: review the plan by hand and, if it is safe, allow it with " + ALLOW_HOW,
} as const;

function replacePaths(rc: ResourceChange): string {
  const paths = rc.change.replace_paths;
  if (!Array.isArray(paths) || paths.length === 0) return "";
  const names = paths
    .map((p) => (Array.isArray(p) ? p.filter((s) => typeof s === "string").join(".") : ""))
    .filter(Boolean);
  return names.length ? ` (forced by ${[...new Set(names)].sort().join(", ")})` : "";
}

/**
 * For a replacement of an object the same plan imports: applying imports it and at once destroys it
 * (the imported object's ForceNew settings differ from the configuration). For an HSM adopted from
 * another cluster, says so: AWS replaces an HSM within its cluster, so an adoption names an HSM of the same one.
 */
function importReplaced(rc: ResourceChange): { why: string; fix: string } | undefined {
  if (!isImport(rc)) return undefined;
  const id = (rc.change as { importing?: { id?: unknown } }).importing?.id;
  const b = valuesOf(rc.change.before);
  const a = valuesOf(rc.change.after);
  const otherCluster =
    rc.type === "aws_cloudhsm_v2_hsm" &&
    typeof b.cluster_id === "string" &&
    typeof a.cluster_id === "string" &&
    b.cluster_id !== a.cluster_id
      ? ` (an HSM of cluster ${b.cluster_id}, while the configuration puts it in cluster ${a.cluster_id})`
      : "";
  return {
    why: `the plan imports it${typeof id === "string" ? ` (${id})` : ""}${otherCluster} and replaces it at once: applying destroys the object it has just imported`,
    fix:
      rc.type === "aws_cloudhsm_v2_hsm"
        ? "adopt only an ACTIVE HSM of the same cluster, in the AZ and subnet of the address (plan-guard --cloudhsm-clusters names AWS's replacement), or remove the import"
        : "import only an object whose settings match the configuration (the replace paths name what differs), or remove the import",
  };
}

/** Rule `destroy-key-bearing`. */
export const destroyRule: Rule = (idx) => {
  const out = [];
  // The lost cluster and HSMs a restore forgets are explained by the cloudhsm-restore rule instead.
  const restored = restorePlanOf(idx)?.forgotten;
  for (const rc of idx.changes) {
    const action = actionOf(rc.change.actions);
    if (action !== "delete" && action !== "replace" && action !== "forget" && action !== "unknown") continue;
    if (action === "forget" && restored?.has(rc.address)) continue;
    const kb = keyBearing(rc, idx);
    if (!kb) continue;
    // A superseded generation of a rotated key, retired on purpose: named as such, still blocked.
    const retired = retirementFinding(idx, rc, kb.loss);
    if (retired) {
      out.push(retired);
      continue;
    }
    const verb =
      action === "delete"
        ? `deletes this ${kb.what}`
        : action === "replace"
          ? `replaces this ${kb.what}${replacePaths(rc)}: the old one is destroyed`
          : action === "forget"
            ? `forgets this ${kb.what}: Terraform stops managing it, nothing protects it any more and the configuration no longer says it must exist`
            : `plans an unrecognised action [${rc.change.actions.join(", ")}] on this ${kb.what}`;
    // The key store or a cluster: the restore command is the one way to move a store to another cluster.
    const restore = restoreAdvice(rc, action, idx);
    // An import that replaces what it imports (its settings differ from the configuration's ForceNew ones).
    const imported = action === "replace" ? importReplaced(rc) : undefined;
    out.push(
      finding(
        idx,
        rc,
        action,
        "destroy-key-bearing",
        "block",
        `${verb}; ${kb.loss}${restore ? `; ${restore.why}` : ""}${imported ? `; ${imported.why}` : ""}`,
        imported?.fix ?? restore?.fix ?? FIX[action],
      ),
    );
  }
  return out;
};
