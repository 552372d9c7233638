import { environments } from "../../../environments";
import { synthEnvs, variant } from "../../helpers/synth";

test("Terraform Cloud: one named workspace per stack in the environment's organization", () => {
  const env = variant(environments.dev, { backend: { type: "cloud", organization: "northwind", workspacePrefix: "cmk-" } });
  const { stacks } = synthEnvs({ dev: env });
  expect(stacks["dev-keys"].terraform?.cloud).toEqual({ hostname: "app.terraform.io", organization: "northwind", workspaces: { name: "cmk-dev-keys" } });
  expect(stacks["dev-data"].terraform?.cloud).toEqual({ hostname: "app.terraform.io", organization: "northwind", workspaces: { name: "cmk-dev-data" } });
  expect(stacks["dev-data"].data?.terraform_remote_state?.["cross-stack-reference-input-dev-keys"]).toMatchObject({
    backend: "remote",
    config: { organization: "northwind", workspaces: { name: "cmk-dev-keys" } },
  });
});

test("S3: encrypted state per stack with native locking", () => {
  const env = variant(environments.dev, { backend: { type: "s3", bucket: "northwind-tf-state", keyPrefix: "cmk/dev" } });
  const { stacks } = synthEnvs({ dev: env });
  expect(stacks["dev-keys"].terraform?.backend).toEqual({ s3: { bucket: "northwind-tf-state", key: "cmk/dev/dev-keys.tfstate", region: "eu-west-1", encrypt: true, use_lockfile: true } });
});
