import { Construct } from "constructs";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { Token } from "cdktf";
import { S3 } from "@cmk-stacks/aws-limits";
import type { ICustomerKey } from "../keys/customer-key";
import { shown, throwIfProblems } from "../core/errors";

export interface EncryptedBucketProps {
  /** The bucket's globally unique name, following the S3 naming rules (the rulebook's {@link S3.bucketNameProblem}). */
  readonly bucketName: string;
  /** The customer key objects are encrypted under (SSE-KMS default and the only key the bucket policy accepts). */
  readonly key: ICustomerKey;
}

/**
 * An S3 bucket whose objects are encrypted with a customer key: SSE-KMS by default with the bucket
 * key on (one KMS call per bucket-key period instead of per object: essential for XKS keys, whose
 * store shares 1,800 requests/s and pays a proxy round trip per call), versioning on, all public
 * access blocked, ACLs disabled, and a bucket policy that denies non-TLS access and any PutObject
 * that would encrypt under anything but the customer key (see `bucketPolicy`); a PutObject without
 * encryption headers gets the bucket default. `prevent_destroy` and no `force_destroy`.
 */
export class EncryptedBucket extends Construct {
  readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: EncryptedBucketProps) {
    super(scope, id);
    const nameProblem = Token.isUnresolved(props.bucketName) ? undefined : S3.bucketNameProblem(props.bucketName);
    throwIfProblems(
      nameProblem
        ? [
            `${this.node.path}.bucketName: ${shown(props.bucketName)} is not allowed (${nameProblem}, S3 bucket naming rules)`,
          ]
        : [],
    );
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

/**
 * Deny non-TLS access, and any write that would encrypt an object under anything but `keyArn`.
 * A PutObject (also CopyObject, CreateMultipartUpload) is refused when it asks for
 * - another encryption type: `x-amz-server-side-encryption` present and not `aws:kms` (SSE-S3
 *   `AES256`, DSSE-KMS `aws:kms:dsse`);
 * - SSE-KMS without this key: `aws:kms` with no key id (S3 would use the AWS managed key `aws/s3`)
 *   or with any key id other than this key's ARN;
 * - a key id header naming another key, whatever the encryption type;
 * - SSE-C (`x-amz-server-side-encryption-customer-algorithm` present).
 * A write with NO encryption header is allowed: it gets the bucket's default encryption (this
 * key), which is what SDK calls without the header, the console, replication, inventory and log
 * delivery rely on. Negated operators match when the key is absent, so each "present" test is an
 * explicit `Null: false`. https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 *
 * Key-id forms: the condition key `s3:x-amz-server-side-encryption-aws-kms-key-id` is the string
 * the client sent, compared as text. Only the key ARN is accepted (the form AWS's own example uses:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html). A bare key
 * id or an alias (name or ARN) is refused: S3 resolves them in the requester's account, and an
 * alias can be pointed at another key, so the text alone cannot prove which key encrypts.
 */
export function bucketPolicy(bucketArn: string, keyArn: string): object {
  const objects = `${bucketArn}/*`;
  const SSE = "s3:x-amz-server-side-encryption";
  const KEY_ID = "s3:x-amz-server-side-encryption-aws-kms-key-id";
  const SSE_C = "s3:x-amz-server-side-encryption-customer-algorithm";
  const denyPut = (Sid: string, Condition: Record<string, Record<string, string>>) => ({
    Sid,
    Effect: "Deny",
    Principal: "*",
    Action: "s3:PutObject",
    Resource: objects,
    Condition,
  });
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, objects],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      denyPut("DenyPutWithOtherEncryptionType", { Null: { [SSE]: "false" }, StringNotEquals: { [SSE]: "aws:kms" } }),
      denyPut("DenyPutWithSseKmsWithoutThisKey", {
        StringEquals: { [SSE]: "aws:kms" },
        StringNotEquals: { [KEY_ID]: keyArn },
      }),
      denyPut("DenyPutNamingOtherKey", { Null: { [KEY_ID]: "false" }, StringNotEquals: { [KEY_ID]: keyArn } }),
      denyPut("DenyPutWithSseC", { Null: { [SSE_C]: "false" } }),
    ],
  };
}
