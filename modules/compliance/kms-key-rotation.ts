import { inRange, KMS } from "@cmk-stacks/aws-limits";
import type { ComplianceRule } from "./rule";

/**
 * checkov CKV_AWS_7 / Security Hub KMS.4: symmetric keys rotate automatically, and a stated rotation
 * period is one KMS accepts ({@link KMS.ROTATION_PERIOD_DAYS}).
 */
export const kmsKeyRotation: ComplianceRule = {
  id: "CKV_AWS_7",
  securityHub: "KMS.4",
  title: "KMS key rotation is enabled",
  documentation: "https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html",
  resourceTypes: ["aws_kms_key"],
  check: (r) => {
    if (r.attributes.enable_key_rotation !== true) return "enable_key_rotation is not true";
    const days = r.attributes.rotation_period_in_days;
    return days === undefined || (typeof days === "number" && inRange(KMS.ROTATION_PERIOD_DAYS, days))
      ? undefined
      : `rotation_period_in_days is ${String(days)} (${KMS.ROTATION_PERIOD_DAYS.min}-${KMS.ROTATION_PERIOD_DAYS.max} days)`;
  },
};
