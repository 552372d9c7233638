import { CloudBackend, LocalBackend, NamedCloudWorkspace, S3Backend, type TerraformStack } from "cdktf";
import { withoutBinaryCheck } from "../cdktf/internals";
import type { BackendConfig } from "../../environments/types";

/**
 * Configures where a stack keeps its state, as chosen in the environment module: local files
 * (default), Terraform Cloud (one workspace per stack) or S3 with native locking.
 */
export function configureBackend(stack: TerraformStack, stackName: string, backend: BackendConfig, region: string): void {
  switch (backend.type) {
    case "local":
      // Relative to the stack's working directory (cdktf.out/stacks/<stack>): state files live at
      // the project root, survive a clean `cdktf.out`, and the data stack's remote-state lookup
      // (same relative path) finds the keys stack's state. No absolute, machine-specific paths.
      new LocalBackend(stack, { path: `../../../terraform.${stackName}.tfstate` });
      return;
    case "cloud":
      // cdktf's CloudBackend runs `terraform version` at synth; that check is removed (see internals).
      withoutBinaryCheck(
        new CloudBackend(stack, {
          hostname: backend.hostname ?? "app.terraform.io",
          organization: backend.organization,
          workspaces: new NamedCloudWorkspace(`${backend.workspacePrefix ?? ""}${stackName}`),
        }),
      );
      return;
    case "s3":
      {
        const s3 = new S3Backend(stack, {
          bucket: backend.bucket,
          key: `${backend.keyPrefix ?? "cmk"}/${stackName}.tfstate`,
          region: backend.region ?? region,
          encrypt: true,
        });
        // S3-native locking (Terraform >= 1.10) postdates cdktf 0.21's typed backend config.
        if (backend.useLockfile ?? true) {
          s3.addOverride("use_lockfile", true);
          stack.addOverride("terraform.required_version", ">= 1.10.0");
        }
      }
      return;
  }
}
