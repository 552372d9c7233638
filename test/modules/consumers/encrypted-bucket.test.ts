/**
 * EncryptedBucket and EbsDefaultEncryption built alone with minimal props in a test
 * EnvironmentStack: synthesized resources, the bucket policy evaluated, the exact refusals.
 */
import { App, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { CustomerKey, type ICustomerKey } from "../../../modules/keys/customer-key";
import { S3 } from "@cmk-stacks/aws-limits";
import { EncryptedBucket } from "../../../modules/consumers/encrypted-bucket";
import { EbsDefaultEncryption } from "../../../modules/consumers/ebs-default-encryption";
import { allowing, decide, type Decision, type PolicyDocument } from "../../helpers/policy-eval";
import type { StackJson } from "../../helpers/synth";
import { propsErrorLines } from "../../helpers/synth";

const ACCOUNT = "111111111111";
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/0b0b0b0b-0000-4000-8000-000000000000`;
const key = { name: "reports", keyArn: KEY_ARN } as ICustomerKey;
const testStack = () =>
  new EnvironmentStack(Testing.app(), "test", { name: "t", account: ACCOUNT, region: "eu-west-1" });
const synth = (stack: TerraformStack) => JSON.parse(Testing.synth(stack)) as StackJson;
const one = (json: StackJson, type: string) => {
  const all = Object.values(json.resource?.[type] ?? {});
  expect(all).toHaveLength(1);
  return all[0];
};

describe("EncryptedBucket with minimal props", () => {
  const stack = testStack();
  new EncryptedBucket(stack, "reports", { bucketName: "t-reports-111111111111", key });
  const json = synth(stack);
  const [bucketName] = Object.keys(json.resource?.aws_s3_bucket ?? {});
  const bucketRef = `\${aws_s3_bucket.${bucketName}.id}`;

  test("private, versioned, kept on destroy, never force-destroyed, tagged with the key's name", () => {
    expect(one(json, "aws_s3_bucket")).toMatchObject({
      bucket: "t-reports-111111111111",
      force_destroy: false,
      tags: { EncryptionKey: "reports" },
      lifecycle: { prevent_destroy: true },
    });
    expect(one(json, "aws_s3_bucket_versioning")).toMatchObject({
      bucket: bucketRef,
      versioning_configuration: { status: "Enabled" },
    });
    expect(one(json, "aws_s3_bucket_public_access_block")).toMatchObject({
      bucket: bucketRef,
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(one(json, "aws_s3_bucket_ownership_controls")).toMatchObject({
      bucket: bucketRef,
      rule: { object_ownership: "BucketOwnerEnforced" },
    });
  });

  test("SSE-KMS under the customer key by default, bucket key on", () => {
    expect(one(json, "aws_s3_bucket_server_side_encryption_configuration")).toMatchObject({
      bucket: bucketRef,
      rule: [
        {
          apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: KEY_ARN },
          bucket_key_enabled: true,
        },
      ],
    });
  });

  test("the bucket policy waits for the public access block", () => {
    const [pabName] = Object.keys(json.resource?.aws_s3_bucket_public_access_block ?? {});
    expect(one(json, "aws_s3_bucket_policy").depends_on).toEqual([`aws_s3_bucket_public_access_block.${pabName}`]);
  });

  // The synthesized policy with the bucket's ARN reference replaced by the ARN it will have.
  const bucketArn = "arn:aws:s3:::t-reports-111111111111";
  const policy = JSON.parse(
    (one(json, "aws_s3_bucket_policy").policy as string).split(`\${aws_s3_bucket.${bucketName}.arn}`).join(bucketArn),
  ) as PolicyDocument;
  const SSE = "s3:x-amz-server-side-encryption";
  const KEY_ID = "s3:x-amz-server-side-encryption-aws-kms-key-id";
  const TLS = { "aws:SecureTransport": "true" };
  test.each<[string, string, Record<string, string>, Decision]>([
    ["PutObject without encryption headers (the bucket default applies)", "s3:PutObject", TLS, "Allowed"],
    [
      "PutObject with aws:kms and this key's ARN",
      "s3:PutObject",
      { ...TLS, [SSE]: "aws:kms", [KEY_ID]: KEY_ARN },
      "Allowed",
    ],
    [
      "PutObject with aws:kms and no key id (aws/s3 would be used)",
      "s3:PutObject",
      { ...TLS, [SSE]: "aws:kms" },
      "ExplicitlyDenied",
    ],
    [
      "PutObject with another key",
      "s3:PutObject",
      { ...TLS, [SSE]: "aws:kms", [KEY_ID]: KEY_ARN.replace("0b0b0b0b", "0c0c0c0c") },
      "ExplicitlyDenied",
    ],
    ["PutObject with SSE-S3", "s3:PutObject", { ...TLS, [SSE]: "AES256" }, "ExplicitlyDenied"],
    [
      "PutObject with SSE-C",
      "s3:PutObject",
      { ...TLS, "s3:x-amz-server-side-encryption-customer-algorithm": "AES256" },
      "ExplicitlyDenied",
    ],
    ["GetObject over TLS", "s3:GetObject", TLS, "Allowed"],
    ["GetObject over plain HTTP", "s3:GetObject", { "aws:SecureTransport": "false" }, "ExplicitlyDenied"],
  ])("bucket policy: %s", async (_label, action, context, expected) => {
    const decision = await decide({
      principal: `arn:aws:iam::${ACCOUNT}:role/ReportWriter`,
      action,
      resource: `${bucketArn}/reports/x.csv`,
      resourceAccount: ACCOUNT,
      context,
      identityPolicies: [allowing(action)],
      resourcePolicy: policy,
    });
    expect(decision).toBe(expected);
  });
});

test("EncryptedBucket under a CustomerKey of the same stack references the key resource", () => {
  const stack = testStack();
  const appKey = new CustomerKey(stack, "appData", {
    alias: "alias/t/app",
    administrators: [`arn:aws:iam::${ACCOUNT}:role/A`],
    users: [`arn:aws:iam::${ACCOUNT}:role/U`],
  });
  new EncryptedBucket(stack, "reports", { bucketName: "t-reports", key: appKey });
  const json = synth(stack);
  const [keyName] = Object.keys(json.resource?.aws_kms_key ?? {});
  expect(JSON.stringify(one(json, "aws_s3_bucket_server_side_encryption_configuration"))).toContain(
    `\${aws_kms_key.${keyName}.arn}`,
  );
  expect(one(json, "aws_s3_bucket").tags).toEqual({ EncryptionKey: "appData" });
});

describe("EncryptedBucket refuses names S3 refuses", () => {
  test.each([
    ["fails when the name is too short", "ab", "3 to 63 chars"],
    ["fails when the name is too long", "a".repeat(64), "3 to 63 chars"],
    ["fails when the name has uppercase letters", "T-Reports", "only lowercase letters, digits, '.' and '-'"],
    ["fails when the name has an underscore", "t_reports", "only lowercase letters, digits, '.' and '-'"],
    ["fails when the name starts with '-'", "-reports", "begins and ends with a letter or digit"],
    ["fails when the name ends with '.'", "reports.", "begins and ends with a letter or digit"],
    ["fails when the name has two adjacent periods", "t..reports", "no two adjacent periods"],
    ["fails when the name is an IP address", "192.168.5.4", "not formatted as an IP address"],
    ["fails when the name has a reserved prefix", "xn--reports", "no prefix xn-- (reserved)"],
    ["fails when the name has the sthree- prefix", "sthree-reports", "no prefix sthree- (reserved)"],
    ["fails when the name has a reserved suffix", "reports-s3alias", "no suffix -s3alias (reserved)"],
    ["fails when the name has the --x-s3 suffix", "reports--x-s3", "no suffix --x-s3 (reserved)"],
  ])("%s", (_label, bucketName, why) => {
    expect(propsErrorLines(() => new EncryptedBucket(testStack(), "reports", { bucketName, key }))).toEqual([
      `test/reports.bucketName: "${bucketName}" is not allowed (${why}, S3 bucket naming rules)`,
    ]);
  });

  test("names at the limits are accepted", () => {
    for (const name of ["abc", "a".repeat(63), "t.reports-1"]) expect(S3.bucketNameProblem(name)).toBeUndefined();
  });

  test("a name that is a Terraform reference is not judged", () => {
    const stack = testStack();
    const name = new TerraformVariable(stack, "bucket_name", { type: "string" });
    new EncryptedBucket(stack, "reports", { bucketName: name.stringValue, key });
    expect(one(synth(stack), "aws_s3_bucket").bucket).toBe("${var.bucket_name}");
  });
});

describe("EbsDefaultEncryption with minimal props", () => {
  test("encryption by default on, the customer key as the default key", () => {
    const stack = testStack();
    new EbsDefaultEncryption(stack, "ebs", { key });
    const json = synth(stack);
    expect(one(json, "aws_ebs_encryption_by_default")).toMatchObject({ enabled: true });
    expect(one(json, "aws_ebs_default_kms_key")).toMatchObject({ key_arn: KEY_ARN });
  });

  test("works in a plain TerraformStack too (it reads nothing from the stack)", () => {
    const stack = new TerraformStack(new App(), "plain");
    new EbsDefaultEncryption(stack, "ebs", { key });
    expect(one(synth(stack), "aws_ebs_default_kms_key")).toMatchObject({ key_arn: KEY_ARN });
  });
});
