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

/**
 * What makes a KMS key the key it is, every one ForceNew in the provider: a change is a new key (the
 * old one scheduled for deletion), never an update
 * (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/kms_key,
 * https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/kms_replica_key).
 */
const KEY_IDENTITY: Record<string, readonly string[]> = {
  aws_kms_key: ["custom_key_store_id", "xks_key_id", "key_usage", "customer_master_key_spec", "multi_region"],
  aws_kms_external_key: ["multi_region"],
  aws_kms_replica_key: ["primary_key_arn"],
  aws_kms_replica_external_key: ["primary_key_arn"],
};

/** Absent, null and "" are one value (the provider writes either for "none"). */
const norm = (v: unknown): unknown => (v === undefined || v === null || v === "" ? null : v);
const same = (a: unknown, b: unknown): boolean => JSON.stringify(norm(a)) === JSON.stringify(norm(b));

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
  for (const [type, attrs] of Object.entries(KEY_IDENTITY)) {
    for (const rc of idx.ofTypes(type)) {
      if (rc.deposed || actionOf(rc.change.actions) !== "update") continue;
      const b = valuesOf(rc.change.before);
      const a = valuesOf(rc.change.after);
      // Both sides show the attribute (null included) and differ, or it is unknown after: a value the plan leaves out is no change.
      const changed = attrs.filter((k) => isUnknown(rc, k) || (k in b && k in a && !same(b[k], a[k])));
      if (!changed.length) continue;
      out.push(
        finding(
          idx,
          rc,
          "update",
          "key-identity-in-place",
          "block",
          `changes ${changed.join(", ")} of this KMS key in place: the AWS provider replaces a key for that (ForceNew), so applying it makes a new key and schedules this one's deletion: everything encrypted under it is lost when the window ends; a plan showing it as an update is not one Terraform makes`,
          `revert ${changed.join(", ")}; a key moves to another store or spec only as a new key beside it (keys.<name>.generations for keys in a custom key store), never in place; plan again with Terraform itself`,
        ),
      );
    }
  }
  return out;
};
