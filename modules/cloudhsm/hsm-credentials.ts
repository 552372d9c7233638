import { Construct } from "constructs";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { KMSUSER_VERIFIED_TAG } from "../../hooks/lib/markers";
import { EnvironmentStack } from "../core/environment-stack";
import { shown, throwIfProblems } from "../core/errors";
import { inRange, SECRETS_MANAGER } from "@cmk-stacks/aws-limits";

/** Tag the plan guard reads: a change to these secrets is a change to a key store credential. */
export const CREDENTIAL_TAG = { "cmk:holds": "key-store-credential" } as const;

export interface HsmCredentialsProps {
  /**
   * Days Secrets Manager keeps a deleted secret recoverable, {@link SECRETS_MANAGER.RECOVERY_WINDOW_DAYS}
   * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html).
   * @default - SECRETS_MANAGER.DEFAULT_RECOVERY_WINDOW_DAYS.value ({@link SECRETS_MANAGER.DEFAULT_RECOVERY_WINDOW_DAYS})
   */
  readonly recoveryWindowInDays?: number;
}

/**
 * The two CloudHSM passwords as Secrets Manager secrets created EMPTY: the hooks generate the
 * values and put them there (activate-cluster: admin; create-kmsuser: kmsuser), so no password
 * is ever in the configuration. Names start `<stack name>/cloudhsm/`. A 30-day recovery window
 * and `prevent_destroy`: losing the admin password locks the cluster's administration, losing
 * kmsuser's breaks the key store.
 */
export class HsmCredentials extends Construct {
  /** Admin (crypto officer) password: read only by the hooks and the admin host. */
  readonly adminSecret: SecretsmanagerSecret;
  /** `kmsuser` password: also read by Terraform for the key store (sensitive). */
  readonly kmsuserSecret: SecretsmanagerSecret;

  constructor(scope: Construct, id: string, props: HsmCredentialsProps = {}) {
    super(scope, id);
    const recoveryWindowInDays = props.recoveryWindowInDays ?? SECRETS_MANAGER.DEFAULT_RECOVERY_WINDOW_DAYS.value;
    const range = SECRETS_MANAGER.RECOVERY_WINDOW_DAYS;
    if (!inRange(range, recoveryWindowInDays)) {
      throwIfProblems([
        `${this.node.path}.recoveryWindowInDays: ${shown(recoveryWindowInDays)} is not allowed (${range.min} to ${range.max} days, Secrets Manager DeleteSecret RecoveryWindowInDays)`,
      ]);
    }
    const prefix = EnvironmentStack.of(this).name;
    const secret = (sid: string, name: string, description: string, ignoreChanges?: string[]) =>
      new SecretsmanagerSecret(this, sid, {
        name: `${prefix}/cloudhsm/${name}`,
        description,
        recoveryWindowInDays,
        tags: { ...CREDENTIAL_TAG, Name: `${prefix}-cloudhsm-${name}` },
        lifecycle: { preventDestroy: true, ignoreChanges },
      });
    this.adminSecret = secret(
      "admin",
      "admin-password",
      "CloudHSM admin (crypto officer) password; written by the activate-cluster hook",
    );
    // create-kmsuser tags the secret with the HSM set it verified: that one tag is the hook's, not
    // Terraform's (without this, every plan would remove it and every run would verify again).
    this.kmsuserSecret = secret(
      "kmsuser",
      "kmsuser-password",
      "CloudHSM kmsuser password for the KMS custom key store; written by the create-kmsuser and reset-kmsuser-password hooks",
      [`tags["${KMSUSER_VERIFIED_TAG}"]`],
    );
  }
}
