import type { ComplianceRule } from "./rule";

/** checkov CKV_AWS_106 / Security Hub EC2.7: EBS encryption by default is on. */
export const ebsEncryptionByDefault: ComplianceRule = {
  id: "CKV_AWS_106",
  securityHub: "EC2.7",
  title: "EBS encryption by default is enabled",
  documentation: "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html",
  resourceTypes: ["aws_ebs_encryption_by_default"],
  check: (r) => (r.attributes.enabled === false ? "enabled is false" : undefined),
};
