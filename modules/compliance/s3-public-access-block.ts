import { refersTo, type ComplianceRule } from "./rule";

/** checkov CKV2_AWS_6 / Security Hub S3.8: S3 buckets block all public access. */
export const s3PublicAccessBlock: ComplianceRule = {
  id: "CKV2_AWS_6",
  securityHub: "S3.8",
  title: "S3 bucket has a public access block with every setting on",
  documentation: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
  resourceTypes: ["aws_s3_bucket"],
  check: (r, stack) => {
    const b = stack.find(
      (o) => o.type === "aws_s3_bucket_public_access_block" && refersTo(o.attributes.bucket, r.construct, "id"),
    );
    if (!b) return "no aws_s3_bucket_public_access_block for this bucket";
    const flags = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];
    const off = flags.filter((f) => b.attributes[f] !== true);
    return off.length ? `${off.join(", ")} not true` : undefined;
  },
};
