import { refersTo, type ComplianceRule } from "./rule";

/** checkov CKV_AWS_21 / Security Hub S3.14: S3 buckets are versioned. */
export const s3Versioning: ComplianceRule = {
  id: "CKV_AWS_21",
  securityHub: "S3.14",
  title: "S3 bucket versioning is enabled",
  documentation: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html",
  resourceTypes: ["aws_s3_bucket"],
  check: (r, stack) => {
    const v = stack.find(
      (o) => o.type === "aws_s3_bucket_versioning" && refersTo(o.attributes.bucket, r.construct, "id"),
    );
    const status = (v?.attributes.versioning_configuration as { status?: string } | undefined)?.status;
    return status === "Enabled" ? undefined : "no aws_s3_bucket_versioning with status Enabled for this bucket";
  },
};
