import { environments } from "../../../environments";
import { configureBackend } from "../../../modules/backend/state-backend";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { App } from "cdktf";
import { propsErrorLines, synthEnvs, variant } from "../../helpers/synth";

test("Terraform Cloud: one named workspace per stack in the environment's organization", () => {
  const env = variant(environments.dev, {
    backend: { type: "cloud", organization: "northwind", workspacePrefix: "cmk-" },
  });
  const { stacks } = synthEnvs({ dev: env });
  expect(stacks["dev-keys"].terraform?.cloud).toEqual({
    hostname: "app.terraform.io",
    organization: "northwind",
    workspaces: { name: "cmk-dev-keys" },
  });
  expect(stacks["dev-data"].terraform?.cloud).toEqual({
    hostname: "app.terraform.io",
    organization: "northwind",
    workspaces: { name: "cmk-dev-data" },
  });
  expect(stacks["dev-data"].data?.terraform_remote_state?.["cross-stack-reference-input-dev-keys"]).toMatchObject({
    backend: "remote",
    config: { organization: "northwind", workspaces: { name: "cmk-dev-keys" } },
  });
});

const KEY = "arn:aws:kms:eu-west-1:111111111111:alias/northwind-tf-state";
const ROLE = "arn:aws:iam::111111111111:role/TerraformState";

test("S3: state per stack encrypted with the configured KMS key, read and written through the role, native locking", () => {
  const env = variant(environments.dev, {
    backend: { type: "s3", bucket: "northwind-tf-state", keyPrefix: "cmk/dev", kmsKeyId: KEY, roleArn: ROLE },
  });
  const { stacks } = synthEnvs({ dev: env });
  expect(stacks["dev-keys"].terraform?.backend).toEqual({
    s3: {
      bucket: "northwind-tf-state",
      key: "cmk/dev/dev-keys.tfstate",
      region: "eu-west-1",
      encrypt: true,
      kms_key_id: KEY,
      assume_role: { role_arn: ROLE },
      use_lockfile: true,
    },
  });
  expect(stacks["dev-keys"].terraform?.required_version).toBe(">= 1.10.0");
  // The data stack reads the keys stack's state with the same key and role.
  expect(stacks["dev-data"].data?.terraform_remote_state?.["cross-stack-reference-input-dev-keys"]).toMatchObject({
    backend: "s3",
    config: {
      bucket: "northwind-tf-state",
      key: "cmk/dev/dev-keys.tfstate",
      encrypt: true,
      kms_key_id: KEY,
      assume_role: { role_arn: ROLE },
    },
  });
});

test("S3 without a role and without the lock file: no assume_role block, Terraform 1.5 still enough", () => {
  const env = variant(environments.dev, {
    backend: { type: "s3", bucket: "northwind-tf-state", kmsKeyId: KEY, useLockfile: false },
  });
  const { stacks } = synthEnvs({ dev: env });
  expect(stacks["dev-keys"].terraform?.backend).toEqual({
    s3: {
      bucket: "northwind-tf-state",
      key: "cmk/dev-keys.tfstate",
      region: "eu-west-1",
      encrypt: true,
      kms_key_id: KEY,
    },
  });
  expect(stacks["dev-keys"].terraform?.required_version).toBe(">= 1.5.0");
});

test("S3 with a role but without the lock file needs Terraform 1.6 (assume_role block)", () => {
  const env = variant(environments.dev, {
    backend: { type: "s3", bucket: "northwind-tf-state", kmsKeyId: KEY, roleArn: ROLE, useLockfile: false },
  });
  expect(synthEnvs({ dev: env }).stacks["dev-keys"].terraform?.required_version).toBe(">= 1.6.0");
});

test("the shipped S3 environments encrypt their state with a KMS key and assume a role", () => {
  const { stacks } = synthEnvs({ dev: environments.dev, staging: environments.staging });
  for (const s of ["dev-keys", "dev-data", "staging-keys", "staging-data"]) {
    const b = (stacks[s].terraform?.backend as { s3: Record<string, unknown> }).s3;
    expect(b.encrypt).toBe(true);
    expect(b.kms_key_id).toMatch(/^arn:aws:kms:eu-west-1:\d{12}:alias\//);
    expect(b.assume_role).toEqual({ role_arn: expect.stringMatching(/^arn:aws:iam::\d{12}:role\//) });
  }
});

test("fails when the construct is given an s3 backend without a KMS key (used outside the environment layer)", () => {
  const stack = new EnvironmentStack(new App({ outdir: "unused" }), "x-keys", {
    name: "x",
    account: "111111111111",
    region: "eu-west-1",
  });
  expect(
    propsErrorLines(() => configureBackend(stack, "x-keys", { type: "s3", bucket: "b" } as never, "eu-west-1")),
  ).toEqual([
    "x-keys.backend.kmsKeyId: (missing) is not allowed (a KMS key or alias ARN: the state holds secrets in cleartext)",
  ]);
});
