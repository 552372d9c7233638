import { Construct } from "constructs";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";

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
    const secret = (sid: string, name: string, description: string) =>
      new SecretsmanagerSecret(this, sid, {
        name: `${props.environment}/cloudhsm/${name}`,
        description,
        recoveryWindowInDays: 30,
        tags: { ...CREDENTIAL_TAG, Name: `${props.environment}-cloudhsm-${name}` },
        lifecycle: { preventDestroy: true },
      });
    this.adminSecret = secret("admin", "admin-password", "CloudHSM admin (crypto officer) password; written by the activate-cluster hook");
    this.kmsuserSecret = secret("kmsuser", "kmsuser-password", "CloudHSM kmsuser password for the KMS custom key store; written by the create-kmsuser hook");
  }
}
