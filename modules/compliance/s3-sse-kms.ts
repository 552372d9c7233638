import { refersTo, type ComplianceRule } from "./rule";

interface SseRule {
  apply_server_side_encryption_by_default?: { sse_algorithm?: string; kms_master_key_id?: string };
  bucket_key_enabled?: boolean;
}

/** checkov CKV_AWS_145: S3 buckets are encrypted with a KMS customer key (bucket key on). */
export const s3SseKms: ComplianceRule = {
  id: "CKV_AWS_145",
  title: "S3 bucket default encryption uses a KMS customer key",
  documentation: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html",
  resourceTypes: ["aws_s3_bucket"],
  check: (r, stack) => {
    const config = stack.find(
      (o) =>
        o.type === "aws_s3_bucket_server_side_encryption_configuration" &&
        refersTo(o.attributes.bucket, r.construct, "id"),
    );
    if (!config) return "no aws_s3_bucket_server_side_encryption_configuration for this bucket";
    const rules = (config.attributes.rule ?? []) as SseRule[];
    const ok = rules.some(
      (x) =>
        x.apply_server_side_encryption_by_default?.sse_algorithm === "aws:kms" &&
        !!x.apply_server_side_encryption_by_default.kms_master_key_id,
    );
    if (!ok) return "default encryption is not aws:kms with a customer key";
    return rules.every((x) => x.bucket_key_enabled === true) ? undefined : "bucket_key_enabled is not true";
  },
};
