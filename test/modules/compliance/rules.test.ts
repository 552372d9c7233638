import { App, TerraformStack } from "cdktf";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { EbsEncryptionByDefault } from "@cdktf/provider-aws/lib/ebs-encryption-by-default";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { checkCompliance, suppress } from "../../../modules/compliance";
import { environments } from "../../../environments";
import { composeApp } from "../../../stacks/compose";
import { configErrorLines } from "../../helpers/synth";

function findingsFor(build: (stack: TerraformStack) => void) {
  const stack = new TerraformStack(new App(), "s");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  build(stack);
  return checkCompliance([stack]).findings.map(
    (f) =>
      `${f.ruleId} ${f.path.replace(/^s\//, "")}: ${f.message}${f.suppressedBecause ? ` [suppressed: ${f.suppressedBecause}]` : ""}`,
  );
}

const goodPolicy = JSON.stringify({
  Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::1:root" }, Action: "kms:*" }],
});
const goodKey = {
  enableKeyRotation: true,
  deletionWindowInDays: 30,
  policy: goodPolicy,
  lifecycle: { preventDestroy: true },
};

describe("KMS rules", () => {
  test("a compliant key has no findings", () => {
    expect(findingsFor((s) => new KmsKey(s, "k", goodKey))).toEqual([]);
  });
  test("CKV_AWS_7 fails when rotation is off", () => {
    expect(findingsFor((s) => new KmsKey(s, "k", { ...goodKey, enableKeyRotation: false }))).toEqual([
      "CKV_AWS_7 k: enable_key_rotation is not true",
    ]);
  });
  test.each([
    [90, []],
    [2560, []],
    [89, ["CKV_AWS_7 k: rotation_period_in_days is 89 (90-2560 days)"]],
    [2561, ["CKV_AWS_7 k: rotation_period_in_days is 2561 (90-2560 days)"]],
  ])("CKV_AWS_7 judges a stated rotation period of %s days", (days, findings) => {
    expect(findingsFor((s) => new KmsKey(s, "k", { ...goodKey, rotationPeriodInDays: days }))).toEqual(findings);
  });
  test("CKV_AWS_33 fails when an Allow statement names Principal *", () => {
    const policy = JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:Decrypt" }] });
    expect(findingsFor((s) => new KmsKey(s, "k", { ...goodKey, policy }))).toEqual([
      'CKV_AWS_33 k: an Allow statement has Principal "*"',
    ]);
  });
  test("CMK_1 fails when a key has no prevent_destroy", () => {
    expect(findingsFor((s) => new KmsKey(s, "k", { ...goodKey, lifecycle: undefined }))).toEqual([
      "CMK_1 k: lifecycle.prevent_destroy is not true",
    ]);
  });
  test("CMK_2 fails when the deletion window is left to the provider", () => {
    expect(findingsFor((s) => new KmsKey(s, "k", { ...goodKey, deletionWindowInDays: undefined }))).toEqual([
      "CMK_2 k: deletion_window_in_days is undefined",
    ]);
  });
  test("a suppression keeps the finding, with its written reason", () => {
    expect(
      findingsFor((s) => {
        const k = new KmsKey(s, "k", { ...goodKey, enableKeyRotation: false });
        suppress(k, "CKV_AWS_7", "keys in a custom key store cannot rotate automatically");
      }),
    ).toEqual([
      "CKV_AWS_7 k: enable_key_rotation is not true [suppressed: keys in a custom key store cannot rotate automatically]",
    ]);
  });
  test("fails when a suppression has no real reason", () => {
    const stack = new TerraformStack(new App(), "s");
    const k = new KmsKey(stack, "k", goodKey);
    expect(() => suppress(k, "CKV_AWS_7", "n/a")).toThrow(
      "suppress(s/k, CKV_AWS_7): a written reason of at least 10 characters is required",
    );
  });
});

describe("S3 rules", () => {
  const fullBucket = (s: TerraformStack) => {
    const b = new S3Bucket(s, "b", { bucket: "x", lifecycle: { preventDestroy: true } });
    new S3BucketVersioningA(s, "v", { bucket: b.id, versioningConfiguration: { status: "Enabled" } });
    new S3BucketPublicAccessBlock(s, "p", {
      bucket: b.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketServerSideEncryptionConfigurationA(s, "e", {
      bucket: b.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: {
            sseAlgorithm: "aws:kms",
            kmsMasterKeyId: "arn:aws:kms:eu-west-1:1:key/x",
          },
          bucketKeyEnabled: true,
        },
      ],
    });
    return b;
  };
  test("a compliant bucket has no findings", () => {
    expect(findingsFor(fullBucket)).toEqual([]);
  });
  test("CKV_AWS_145, CKV_AWS_21 and CKV2_AWS_6 fail for a bare bucket", () => {
    expect(findingsFor((s) => new S3Bucket(s, "b", { bucket: "x", lifecycle: { preventDestroy: true } }))).toEqual([
      "CKV_AWS_145 b: no aws_s3_bucket_server_side_encryption_configuration for this bucket",
      "CKV_AWS_21 b: no aws_s3_bucket_versioning with status Enabled for this bucket",
      "CKV2_AWS_6 b: no aws_s3_bucket_public_access_block for this bucket",
    ]);
  });
  test("CKV_AWS_145 fails when default encryption is not aws:kms", () => {
    expect(
      findingsFor((s) => {
        const b = new S3Bucket(s, "b", { bucket: "x", lifecycle: { preventDestroy: true } });
        new S3BucketVersioningA(s, "v", { bucket: b.id, versioningConfiguration: { status: "Enabled" } });
        new S3BucketPublicAccessBlock(s, "p", {
          bucket: b.id,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        });
        new S3BucketServerSideEncryptionConfigurationA(s, "e", {
          bucket: b.id,
          rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
        });
      }),
    ).toEqual(["CKV_AWS_145 b: default encryption is not aws:kms with a customer key"]);
  });
  test("CKV2_AWS_6 names the settings that are off", () => {
    expect(
      findingsFor((s) => {
        const b = new S3Bucket(s, "b", { bucket: "x", lifecycle: { preventDestroy: true } });
        new S3BucketVersioningA(s, "v", { bucket: b.id, versioningConfiguration: { status: "Enabled" } });
        new S3BucketPublicAccessBlock(s, "p", {
          bucket: b.id,
          blockPublicAcls: true,
          blockPublicPolicy: false,
          ignorePublicAcls: true,
          restrictPublicBuckets: false,
        });
        new S3BucketServerSideEncryptionConfigurationA(s, "e", {
          bucket: b.id,
          rule: [
            {
              applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "k" },
              bucketKeyEnabled: false,
            },
          ],
        });
      }),
    ).toEqual([
      "CKV_AWS_145 b: bucket_key_enabled is not true",
      "CKV2_AWS_6 b: block_public_policy, restrict_public_buckets not true",
    ]);
  });
});

describe("EC2 and VPC rules", () => {
  test("CKV_AWS_106 fails when EBS encryption by default is off", () => {
    expect(findingsFor((s) => new EbsEncryptionByDefault(s, "e", { enabled: false }))).toEqual([
      "CKV_AWS_106 e: enabled is false",
    ]);
    expect(findingsFor((s) => new EbsEncryptionByDefault(s, "e", { enabled: true }))).toEqual([]);
  });
  test("CKV2_AWS_12 fails when the default security group is left alone, passes when emptied", () => {
    expect(findingsFor((s) => new Vpc(s, "v", { cidrBlock: "10.0.0.0/16" }))).toEqual([
      "CKV2_AWS_12 v: no aws_default_security_group emptying the default group",
    ]);
    expect(
      findingsFor((s) => new DefaultSecurityGroup(s, "d", { vpcId: new Vpc(s, "v", { cidrBlock: "10.0.0.0/16" }).id })),
    ).toEqual([]);
  });
});

test("fails when a composed stack is not compliant: one line per finding, before anything is written", () => {
  const lines = configErrorLines(() =>
    composeApp({ dev: environments.dev }, (app) => {
      const stack = new TerraformStack(app, "bad");
      new AwsProvider(stack, "aws", { region: "eu-west-1" });
      new KmsKey(stack, "k", { ...goodKey, enableKeyRotation: false });
    }),
  );
  expect(lines).toEqual([
    "compliance CKV_AWS_7 (KMS key rotation is enabled): bad/k: enable_key_rotation is not true (see https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html)",
  ]);
});
