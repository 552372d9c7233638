import type { ComplianceRule } from "./rule";

/** CMK_2 (no checkov equivalent): every key states its deletion window (7-30 days) explicitly. */
export const kmsDeletionWindow: ComplianceRule = {
  id: "CMK_2",
  title: "KMS keys set a deletion window of 7-30 days",
  documentation: "https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html",
  resourceTypes: ["aws_kms_key", "aws_kms_external_key"],
  check: (r) => {
    const days = r.attributes.deletion_window_in_days;
    return typeof days === "number" && days >= 7 && days <= 30 ? undefined : `deletion_window_in_days is ${String(days)}`;
  },
};
