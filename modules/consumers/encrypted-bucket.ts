import { Construct } from "constructs";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import type { ICustomerKey } from "../keys/customer-key";

export interface EncryptedBucketProps {
  readonly bucketName: string;
  readonly key: ICustomerKey;
}

/**
 * An S3 bucket whose objects are encrypted with a customer key: SSE-KMS by default with the bucket
 * key on (one KMS call per bucket-key period instead of per object: essential for XKS keys, whose
 * store shares 1,800 requests/s and pays a proxy round trip per call), versioning on, all public
 * access blocked, ACLs disabled, and a bucket policy that denies non-TLS access and any PutObject
 * that does not ask for SSE-KMS or names another key. `prevent_destroy` and no `force_destroy`.
 */
export class EncryptedBucket extends Construct {
  readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: EncryptedBucketProps) {
    super(scope, id);
    this.bucket = new S3Bucket(this, "bucket", {
      bucket: props.bucketName,
      forceDestroy: false,
      tags: { EncryptionKey: props.key.name },
      lifecycle: { preventDestroy: true },
    });
    const bucket = this.bucket.id;
    new S3BucketVersioningA(this, "versioning", { bucket, versioningConfiguration: { status: "Enabled" } });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.key.keyArn },
          bucketKeyEnabled: true,
        },
      ],
    });
    const publicAccess = new S3BucketPublicAccessBlock(this, "public-access", {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "ownership", { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } });
    new S3BucketPolicy(this, "policy", {
      bucket,
      policy: JSON.stringify(bucketPolicy(this.bucket.arn, props.key.keyArn)),
      // The public access block must exist first, or a policy change can race it.
      dependsOn: [publicAccess],
    });
  }
}

/** Deny non-TLS access; deny PutObject without SSE-KMS or with any key but ours. */
export function bucketPolicy(bucketArn: string, keyArn: string): object {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "DenyPutWithoutSseKms",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: `${bucketArn}/*`,
        Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" } },
      },
      {
        Sid: "DenyPutWithOtherKey",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: `${bucketArn}/*`,
        Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": keyArn } },
      },
    ],
  };
}
