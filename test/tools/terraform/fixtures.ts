/** Small handwritten stacks in CDKTF's JSON shape, shared by the harness and plan-guard tests. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** JSON object as written in a cdk.tf.json. */
export type Json = { [key: string]: unknown };

/** A keys stack: two KMS keys (one with prevent_destroy), a bucket, an output; S3 backend and allowed_account_ids like the real stacks. */
export function keysStack(): Json {
  return {
    "//": { metadata: { stackName: "t-keys" } },
    terraform: {
      required_providers: { aws: { source: "aws", version: "6.25.0" } },
      backend: { s3: { bucket: "state-bucket", key: "cmk/t-keys.tfstate", region: "eu-west-1" } },
    },
    provider: {
      aws: [
        { region: "eu-west-1", allowed_account_ids: ["111122223333"], default_tags: [{ tags: { Stack: "t-keys" } }] },
      ],
    },
    resource: {
      aws_kms_key: {
        guarded: { description: "guarded key", deletion_window_in_days: 30, lifecycle: { prevent_destroy: true } },
        signing: {
          description: "signing key",
          customer_master_key_spec: "SYMMETRIC_DEFAULT",
          deletion_window_in_days: 30,
        },
      },
      aws_kms_alias: { guarded: { name: "alias/t-guarded", target_key_id: "${aws_kms_key.guarded.key_id}" } },
      aws_s3_bucket: { logs: { bucket: "t-keys-logs-111122223333", tags: { Team: "a" } } },
    },
    output: { "cross-stack-output-aws_kms_keyguardedarn": { sensitive: true, value: "${aws_kms_key.guarded.arn}" } },
  };
}

/** A data stack reading the keys stack's output through CDKTF's cross-stack remote state. */
export function dataStack(): Json {
  return {
    terraform: {
      required_providers: { aws: { source: "aws", version: "6.25.0" } },
      backend: { local: { path: "../../../terraform.t-data.tfstate" } },
    },
    provider: { aws: [{ region: "eu-west-1" }] },
    data: {
      terraform_remote_state: {
        "cross-stack-reference-input-t-keys": {
          backend: "local",
          config: { path: "../../../terraform.t-keys.tfstate" },
          workspace: "${terraform.workspace}",
        },
      },
    },
    resource: {
      aws_s3_bucket: { data: { bucket: "t-data-111122223333" } },
      aws_s3_bucket_server_side_encryption_configuration: {
        data: {
          bucket: "${aws_s3_bucket.data.id}",
          rule: [
            {
              apply_server_side_encryption_by_default: {
                sse_algorithm: "aws:kms",
                kms_master_key_id:
                  "${data.terraform_remote_state.cross-stack-reference-input-t-keys.outputs.cross-stack-output-aws_kms_keyguardedarn}",
              },
            },
          ],
        },
      },
    },
  };
}

/** A fresh temporary directory and its clean-up. */
export function scratchDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
