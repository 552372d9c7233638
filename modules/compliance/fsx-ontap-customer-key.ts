import type { ComplianceRule } from "./rule";

/** checkov CKV_AWS_178: FSx for ONTAP file systems are encrypted with a KMS customer key. */
export const fsxOntapCustomerKey: ComplianceRule = {
  id: "CKV_AWS_178",
  title: "FSx for ONTAP is encrypted with a KMS customer key",
  documentation: "https://docs.aws.amazon.com/fsx/latest/ONTAPGuide/encryption-at-rest.html",
  resourceTypes: ["aws_fsx_ontap_file_system"],
  check: (r) =>
    typeof r.attributes.kms_key_id === "string" && r.attributes.kms_key_id !== ""
      ? undefined
      : "kms_key_id is not set (the AWS managed key would be used)",
};
