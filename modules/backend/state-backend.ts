import { CloudBackend, LocalBackend, NamedCloudWorkspace, S3Backend, type TerraformStack } from "cdktf";
import { withoutBinaryCheck } from "../cdktf/internals";

/** Where a stack keeps its Terraform state. */
export type BackendProps =
  | { readonly type: "local" }
  /** Terraform Cloud / Enterprise: one workspace per stack, `<workspacePrefix><stack>`. */
  | { readonly type: "cloud"; readonly organization: string; readonly workspacePrefix?: string; readonly hostname?: string }
  /** An S3 bucket (must exist, versioned) with S3-native locking unless `useLockfile` is false. */
  | { readonly type: "s3"; readonly bucket: string; readonly keyPrefix?: string; readonly region?: string; readonly useLockfile?: boolean };

/**
 * Configures where a stack keeps its state, as chosen in the environment module: local files
 * (default), Terraform Cloud (one workspace per stack) or S3 with native locking.
 */
export function configureBackend(stack: TerraformStack, stackName: string, backend: BackendProps, region: string): void {
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
