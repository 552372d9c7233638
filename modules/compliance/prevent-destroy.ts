import type { ComplianceRule } from "./rule";

/** Resource types whose loss loses keys or data (the README's safety rules). */
export const KEY_BEARING_TYPES = [
  "aws_kms_key",
  "aws_kms_external_key",
  "aws_kms_replica_key",
  "aws_kms_custom_key_store",
  "aws_cloudhsm_v2_cluster",
  "aws_cloudhsm_v2_hsm",
  "aws_s3_bucket",
  "aws_fsx_ontap_file_system",
  "aws_secretsmanager_secret",
];

/** CMK_1 (no checkov equivalent): key-bearing resources carry `prevent_destroy`. */
export const preventDestroy: ComplianceRule = {
  id: "CMK_1",
  title: "Key-bearing resources have lifecycle.prevent_destroy",
  documentation: "https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html",
  resourceTypes: KEY_BEARING_TYPES,
  check: (r) => {
    const lifecycle = r.attributes.lifecycle as { prevent_destroy?: boolean } | undefined;
    return lifecycle?.prevent_destroy === true ? undefined : "lifecycle.prevent_destroy is not true";
  },
};
