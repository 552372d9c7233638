import { CloudBackend, LocalBackend, NamedCloudWorkspace, S3Backend, type TerraformStack } from "cdktf";
import { STATE_BACKEND } from "@cmk-stacks/aws-limits";
import { withoutBinaryCheck } from "../cdktf/internals";
import { PropsError } from "../core/errors";

/** Where a stack keeps its Terraform state. */
export type BackendProps =
  | { readonly type: "local" }
  /** Terraform Cloud / Enterprise: one workspace per stack, `<workspacePrefix><stack>`; `hostname` defaults to the rulebook's {@link STATE_BACKEND.CLOUD_HOSTNAME}. */
  | {
      readonly type: "cloud";
      readonly organization: string;
      readonly workspacePrefix?: string;
      readonly hostname?: string;
    }
  /**
   * An S3 bucket (must exist: `npm run state-bucket -- <env>`) with S3-native locking unless
   * `useLockfile` is false ({@link STATE_BACKEND.USE_LOCKFILE}); objects are `<keyPrefix>/<stack>.tfstate`
   * ({@link STATE_BACKEND.stateKey}, prefix {@link STATE_BACKEND.KEY_PREFIX}). State objects are encrypted with `kmsKeyId` (a KMS key or alias ARN);
   * `roleArn` is assumed for every state read and write.
   */
  | {
      readonly type: "s3";
      readonly bucket: string;
      readonly kmsKeyId: string;
      readonly keyPrefix?: string;
      readonly region?: string;
      readonly useLockfile?: boolean;
      /** @default none: the caller's own credentials */
      readonly roleArn?: string;
    };

/**
 * Configures where a stack keeps its state, as chosen in the environment module: local files
 * (default), Terraform Cloud (one workspace per stack) or S3 with native locking.
 */
export function configureBackend(
  stack: TerraformStack,
  stackName: string,
  backend: BackendProps,
  region: string,
): void {
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
          hostname: backend.hostname ?? STATE_BACKEND.CLOUD_HOSTNAME.value,
          organization: backend.organization,
          workspaces: new NamedCloudWorkspace(`${backend.workspacePrefix ?? ""}${stackName}`),
        }),
      );
      return;
    case "s3":
      {
        if (!backend.kmsKeyId)
          throw new PropsError([
            `${stackName}.backend.kmsKeyId: (missing) is not allowed (a KMS key or alias ARN: the state holds secrets in cleartext)`,
          ]);
        // https://developer.hashicorp.com/terraform/language/backend/s3: `kms_key_id` encrypts each
        // state object with that key (SSE-KMS); `assume_role { role_arn }` (Terraform >= 1.6).
        const s3 = new S3Backend(stack, {
          bucket: backend.bucket,
          key: STATE_BACKEND.stateKey(stackName, backend.keyPrefix),
          region: backend.region ?? region,
          encrypt: true,
          kmsKeyId: backend.kmsKeyId,
          ...(backend.roleArn ? { assumeRole: { roleArn: backend.roleArn } } : {}),
        });
        // S3-native locking (Terraform >= 1.10) postdates cdktf 0.21's typed backend config.
        if (backend.useLockfile ?? STATE_BACKEND.USE_LOCKFILE.value) {
          s3.addOverride("use_lockfile", true);
          stack.addOverride("terraform.required_version", `>= ${STATE_BACKEND.LOCKFILE_MIN_TERRAFORM.value}`);
        } else if (backend.roleArn) {
          stack.addOverride("terraform.required_version", `>= ${STATE_BACKEND.ASSUME_ROLE_MIN_TERRAFORM.value}`);
        }
      }
      return;
  }
}
