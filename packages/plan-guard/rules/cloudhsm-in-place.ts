/**
 * `cloudhsm-identity-in-place` (block): an in-place update of what places a CloudHSM HSM or cluster.
 * The AWS provider replaces an HSM whose `cluster_id`, `subnet_id` or `availability_zone` changes, and a
 * cluster whose `source_backup_identifier` or `subnet_ids` changes (ForceNew: CloudHSM has no call that
 * moves an HSM or re-seeds a cluster), so no apply changes them in place. A plan that shows it (an
 * import of an HSM of another cluster or AZ that claims to update it, a hand-edited plan) is not a
 * change Terraform can make: it would either fail or replace the object, and the guard cannot
 * judge what it does. https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudhsm_v2_hsm
 * https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudhsm_v2_cluster
 */
import type { Finding } from "../model";
import { actionOf, isUnknown, valuesOf } from "../plan-index";
import { ALLOW_HOW, finding, type Rule } from "./rule";

/** The attributes that place each type, every one ForceNew in the provider. */
const PLACING: Record<string, readonly string[]> = {
  aws_cloudhsm_v2_hsm: ["cluster_id", "subnet_id", "availability_zone"],
  aws_cloudhsm_v2_cluster: ["source_backup_identifier", "subnet_ids"],
};

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Rule `cloudhsm-identity-in-place`. */
export const cloudHsmInPlaceRule: Rule = (idx) => {
  const out: Finding[] = [];
  for (const [type, attrs] of Object.entries(PLACING)) {
    for (const rc of idx.ofTypes(type)) {
      if (rc.deposed || actionOf(rc.change.actions) !== "update") continue;
      const b = valuesOf(rc.change.before);
      const a = valuesOf(rc.change.after);
      const changed = attrs.filter((k) => isUnknown(rc, k) || !same(b[k], a[k]));
      if (!changed.length) continue;
      const what = type === "aws_cloudhsm_v2_hsm" ? "CloudHSM HSM" : "CloudHSM cluster";
      out.push(
        finding(
          idx,
          rc,
          "update",
          "cloudhsm-identity-in-place",
          "block",
          `changes ${changed.join(", ")} of this ${what} in place: the AWS provider replaces a${type === "aws_cloudhsm_v2_hsm" ? "n HSM" : " cluster"} for that (ForceNew), so this is no change Terraform can apply as shown${(rc.change as { importing?: unknown }).importing ? "; the plan imports it, so the object imported is not the one the configuration describes" : ""}`,
          type === "aws_cloudhsm_v2_hsm"
            ? `adopt only an ACTIVE HSM of the same cluster, in the AZ and subnet of the address (plan-guard --cloudhsm-clusters names AWS's replacement); plan again with Terraform itself; allow it only after checking the plan by hand with ${ALLOW_HOW}`
            : `a cluster moves only by a restore (npm run restore -- <env>, docs/cloudhsm.md#restore); plan again with Terraform itself; allow it only after checking the plan by hand with ${ALLOW_HOW}`,
        ),
      );
    }
  }
  return out;
};
