import type { ComplianceRule } from "./rule";

/** checkov CKV_AWS_7 / Security Hub KMS.4: symmetric keys rotate automatically. */
export const kmsKeyRotation: ComplianceRule = {
  id: "CKV_AWS_7",
  securityHub: "KMS.4",
  title: "KMS key rotation is enabled",
  documentation: "https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html",
  resourceTypes: ["aws_kms_key"],
  check: (r) => (r.attributes.enable_key_rotation === true ? undefined : "enable_key_rotation is not true"),
};
