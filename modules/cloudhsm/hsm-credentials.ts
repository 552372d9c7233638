import { Construct } from "constructs";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { KMSUSER_VERIFIED_TAG } from "../../hooks/lib/markers";

/** Tag the plan guard reads: a change to these secrets is a change to a key store credential. */
export const CREDENTIAL_TAG = { "cmk:holds": "key-store-credential" } as const;

export interface HsmCredentialsProps {
  /** Secret names start `<environment>/cloudhsm/`. */
  readonly environment: string;
}

/**
 * The two CloudHSM passwords as Secrets Manager secrets created EMPTY: the hooks generate the
 * values and put them there (activate-cluster: admin; create-kmsuser: kmsuser), so no password
 * is ever in the configuration. 30-day recovery window and `prevent_destroy`: losing the admin
 * password locks the cluster's administration, losing kmsuser's breaks the key store.
 */
export class HsmCredentials extends Construct {
  /** Admin (crypto officer) password: read only by the hooks and the admin host. */
  readonly adminSecret: SecretsmanagerSecret;
  /** `kmsuser` password: also read by Terraform for the key store (sensitive). */
  readonly kmsuserSecret: SecretsmanagerSecret;

  constructor(scope: Construct, id: string, props: HsmCredentialsProps) {
    super(scope, id);
    const secret = (sid: string, name: string, description: string, ignoreChanges?: string[]) =>
      new SecretsmanagerSecret(this, sid, {
        name: `${props.environment}/cloudhsm/${name}`,
        description,
        recoveryWindowInDays: 30,
        tags: { ...CREDENTIAL_TAG, Name: `${props.environment}-cloudhsm-${name}` },
        lifecycle: { preventDestroy: true, ignoreChanges },
      });
    this.adminSecret = secret("admin", "admin-password", "CloudHSM admin (crypto officer) password; written by the activate-cluster hook");
    // create-kmsuser tags the secret with the HSM set it verified: that one tag is the hook's, not
    // Terraform's (without this, every plan would remove it and every run would verify again).
    this.kmsuserSecret = secret("kmsuser", "kmsuser-password", "CloudHSM kmsuser password for the KMS custom key store; written by the create-kmsuser and reset-kmsuser-password hooks", [
      `tags["${KMSUSER_VERIFIED_TAG}"]`,
    ]);
  }
}
