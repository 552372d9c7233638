/**
 * Blocks when `resource_drift` shows a KMS key deleted or scheduled for deletion outside Terraform.
 * The AWS provider drops a key pending deletion from state (the drift shows a delete), and the plan
 * then quietly creates a new key: applying it moves consumers to the new key while the old one, and
 * everything encrypted under it, runs out its deletion window.
 */
import type { JsonValue } from "../plan-json";
import { actionOf, valuesOf } from "../plan-index";
import { KMS_KEY_TYPES, keyBearing } from "../resources";
import { finding, type Rule } from "./rule";

const PENDING = /^Pending(Replica)?Deletion$/;

function mentionsPending(v: JsonValue | undefined): boolean {
  if (typeof v === "string") return PENDING.test(v);
  if (Array.isArray(v)) return v.some(mentionsPending);
  if (v && typeof v === "object") return Object.values(v).some(mentionsPending);
  return false;
}

const FIX =
  "cancel the deletion now (`aws kms cancel-key-deletion --key-id <id>`; the key comes back Disabled, so enable it), re-plan and check the key is back; never apply a plan that creates a new key in its place";

/** Rules `drift-key-pending-deletion` (block) and `drift-deleted` (risky, other key- or data-bearing resources). */
export const driftRule: Rule = (idx) => {
  const out = [];
  for (const rc of idx.plan.resource_drift ?? []) {
    if (rc.mode === "data") continue;
    const isKey = (KMS_KEY_TYPES as readonly string[]).includes(rc.type);
    const gone = actionOf(rc.change.actions) === "delete";
    const after = valuesOf(rc.change.after);
    if (isKey && (gone || mentionsPending(after.key_state) || mentionsPending(rc.change.after))) {
      out.push(
        finding(
          idx,
          rc,
          "drift",
          "drift-key-pending-deletion",
          "block",
          `${gone ? "the KMS key disappeared outside Terraform (a key pending deletion is dropped from state)" : "the KMS key is pending deletion outside Terraform"}: when its window ends everything encrypted under it is lost, and this plan would put a new key in its place`,
          FIX,
        ),
      );
    } else if (gone) {
      const kb = keyBearing(rc, idx);
      if (kb)
        out.push(
          finding(
            idx,
            rc,
            "drift",
            "drift-deleted",
            "risky",
            `this ${kb.what} was deleted outside Terraform; the plan recreates it empty`,
            "find out who deleted it and restore it from backup before applying",
          ),
        );
    }
  }
  return out;
};
