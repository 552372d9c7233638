import { environments } from "../../../environments";
import { only, synthEnvs } from "../../helpers/synth";

const { stacks } = synthEnvs({ dev: environments.dev });
const data = stacks["dev-data"];
const keyArnRef =
  /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-dev-keys\.outputs\.cross-stack-output-aws_kms_keykey-appData_key_[0-9A-F]+arn\}$/;

test("the bucket is private, versioned, kept on destroy and never force-destroyed", () => {
  expect(only(data, "aws_s3_bucket")).toMatchObject({
    bucket: "northwind-dev-app-data-111111111111",
    force_destroy: false,
    lifecycle: { prevent_destroy: true },
  });
  expect(only(data, "aws_s3_bucket_versioning")).toMatchObject({ versioning_configuration: { status: "Enabled" } });
  expect(only(data, "aws_s3_bucket_public_access_block")).toMatchObject({
    block_public_acls: true,
    block_public_policy: true,
    ignore_public_acls: true,
    restrict_public_buckets: true,
  });
  expect(only(data, "aws_s3_bucket_ownership_controls")).toMatchObject({
    rule: { object_ownership: "BucketOwnerEnforced" },
  });
});

test("SSE-KMS with the customer key from the keys stack, bucket key on", () => {
  const sse = only(data, "aws_s3_bucket_server_side_encryption_configuration") as {
    rule: {
      apply_server_side_encryption_by_default: { sse_algorithm: string; kms_master_key_id: string };
      bucket_key_enabled: boolean;
    }[];
  };
  expect(sse.rule).toHaveLength(1);
  expect(sse.rule[0].apply_server_side_encryption_by_default.sse_algorithm).toBe("aws:kms");
  expect(sse.rule[0].apply_server_side_encryption_by_default.kms_master_key_id).toMatch(keyArnRef);
  expect(sse.rule[0].bucket_key_enabled).toBe(true);
});

// What the bucket policy allows and denies is evaluated in test/stacks/evaluated-policies.test.ts.
test("the bucket policy compares key ids with the key from the keys stack (a cross-stack reference, not a copy)", () => {
  const policy = JSON.parse(only(data, "aws_s3_bucket_policy").policy as string) as {
    Statement: { Sid: string; Condition: Record<string, Record<string, string>> }[];
  };
  const keyIds = policy.Statement.flatMap((s) =>
    Object.entries(s.Condition ?? {})
      .filter(([op]) => op !== "Null")
      .map(([, c]) => c["s3:x-amz-server-side-encryption-aws-kms-key-id"]),
  ).filter((v) => v !== undefined);
  expect(keyIds.length).toBeGreaterThan(0);
  for (const k of keyIds) expect(k).toMatch(keyArnRef);
});

test("EBS encryption by default with the customer key as the default key", () => {
  expect(only(data, "aws_ebs_encryption_by_default")).toMatchObject({ enabled: true });
  expect(only(data, "aws_ebs_default_kms_key").key_arn).toMatch(
    /cross-stack-output-aws_kms_keykey-volumes_key_[0-9A-F]+arn\}$/,
  );
});

test("the data stack reads the keys through a cross-stack reference and declares the dependency", () => {
  expect(data.data?.terraform_remote_state?.["cross-stack-reference-input-dev-keys"]).toMatchObject({
    backend: "s3",
    config: { bucket: "northwind-dev-tf-state-111111111111", key: "cmk/dev-keys.tfstate", region: "eu-west-1" },
  });
  const outputs = Object.keys(stacks["dev-keys"].output ?? {});
  expect(outputs.some((o) => /^cross-stack-output-aws_kms_keykey-appData_key_[0-9A-F]+arn$/.test(o))).toBe(true);
});
