/**
 * Blocks a CloudHSM cluster replacement forced by `hsm_type` and names the supported path: AWS
 * changes the HSM type in place (ModifyCluster HsmType, "Migrating from hsm1.medium to
 * hsm2m.medium"), while a new cluster has none of the keys. `HsmCluster` ignores `hsm_type` after
 * creation, so such a plan means the ignore was removed, or the cluster was built without it.
 */
import { CLOUDHSM } from "@cmk-stacks/aws-limits";
import { actionOf, isUnknown, valuesOf } from "../plan-index";
import { finding, type Rule } from "./rule";

function forcedByHsmType(paths: unknown): boolean {
  return Array.isArray(paths) && paths.some((p) => Array.isArray(p) && p[0] === "hsm_type");
}

/** Rule `cloudhsm-hsm-type-replace`. */
export const hsmTypeRule: Rule = (idx) => {
  const out = [];
  for (const rc of idx.ofTypes("aws_cloudhsm_v2_cluster")) {
    if (actionOf(rc.change.actions) !== "replace") continue;
    const b = valuesOf(rc.change.before);
    const a = valuesOf(rc.change.after);
    const from = typeof b.hsm_type === "string" ? b.hsm_type : undefined;
    const to = typeof a.hsm_type === "string" ? a.hsm_type : undefined;
    const typeChanges = (from !== undefined && to !== undefined && from !== to) || isUnknown(rc, "hsm_type");
    if (!typeChanges && !forcedByHsmType(rc.change.replace_paths)) continue;
    const id = typeof b.cluster_id === "string" ? b.cluster_id : typeof b.id === "string" ? b.id : "<cluster id>";
    // `from` is what the state (AWS) has, `to` what the configuration asks for.
    const awsMigrated = CLOUDHSM.hsmTypeMigrationDocumented(to, from);
    const path = awsMigrated
      ? `AWS already migrated this cluster to ${from} (${CLOUDHSM.HSM_TYPE_MIGRATION_DOC}): set cloudHsm.hsmType to ${from} and keep lifecycle ignore_changes on hsm_type (HsmCluster sets it); nothing is to be run (going back to ${to ?? "the old type"} is the manual rollback, migrate-hsm-type inside the ${CLOUDHSM.HSM_TYPE_ROLLBACK_HOURS.value}-hour window only)`
      : CLOUDHSM.hsmTypeMigrationDocumented(from, to)
        ? `AWS changes the HSM type in place: keep lifecycle ignore_changes on hsm_type (HsmCluster sets it) and run the operator step \`npm run -s hook -- migrate-hsm-type --region <region> --cluster-id ${id} --hsm-type ${to}\` (backup checkpoint, ModifyCluster, limited-write mode about ${CLOUDHSM.HSM_TYPE_MIGRATION_MINUTES_PER_HSM.value} minutes per HSM, ${CLOUDHSM.HSM_TYPE_ROLLBACK_HOURS.value}-hour rollback window; docs/cloudhsm.md, ${CLOUDHSM.HSM_TYPE_MIGRATION_DOC})`
        : `AWS documents no in-place change from ${from ?? "this type"} to ${to ?? "that type"} (only ${CLOUDHSM.HSM_TYPE_MIGRATIONS.map((m) => `${m.from} -> ${m.to}`).join(", ")}, ${CLOUDHSM.HSM_TYPE_MIGRATION_DOC}): put hsm_type back and keep ignore_changes on it`;
    out.push(
      finding(
        idx,
        rc,
        "replace",
        "cloudhsm-hsm-type-replace",
        "block",
        `replaces the CloudHSM cluster because hsm_type changes (${from ?? "?"} -> ${to ?? "known after apply"}; hsm_type is ForceNew in the AWS provider): the new cluster would hold none of the key store's keys, and every key in the store would become unusable for good`,
        path,
      ),
    );
  }
  return out;
};
