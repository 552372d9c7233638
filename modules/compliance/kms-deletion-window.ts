import { inRange, KMS } from "@cmk-stacks/aws-limits";
import type { ComplianceRule } from "./rule";

/** CMK_2 (no checkov equivalent): every key states its deletion window ({@link KMS.DELETION_WINDOW_DAYS}) explicitly. */
export const kmsDeletionWindow: ComplianceRule = {
  id: "CMK_2",
  title: `KMS keys set a deletion window of ${KMS.DELETION_WINDOW_DAYS.min}-${KMS.DELETION_WINDOW_DAYS.max} days`,
  documentation: "https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html",
  resourceTypes: ["aws_kms_key", "aws_kms_external_key"],
  check: (r) => {
    const days = r.attributes.deletion_window_in_days;
    return typeof days === "number" && inRange(KMS.DELETION_WINDOW_DAYS, days)
      ? undefined
      : `deletion_window_in_days is ${String(days)}`;
  },
};
