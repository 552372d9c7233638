import { Construct } from "constructs";
import { HOOKS, inRange, KMS } from "@cmk-stacks/aws-limits";
import { Token, type ITerraformDependable } from "cdktf";
import { KmsCustomKeyStore } from "@cdktf/provider-aws/lib/kms-custom-key-store";
import { DataAwsSecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/data-aws-secretsmanager-secret-version";
import { HookStep } from "../hooks/hook-step";
import type { IKeyStore } from "./key-store";
import { shown, throwIfProblems } from "../core/errors";

export interface CloudHsmKeyStoreProps {
  /** KMS custom key store name, {@link KMS.CUSTOM_KEY_STORE_NAME_LENGTH} chars, unique per account and Region. */
  readonly name: string;
  readonly clusterId: string;
  /** PEM of the cluster's trust anchor (the CA that signed the cluster certificate), {@link KMS.TRUST_ANCHOR_CERTIFICATE_LENGTH} chars. */
  readonly trustAnchorPem: string;
  /** ARN of the secret holding the kmsuser password (filled by the create-kmsuser hook). */
  readonly kmsuserSecretArn: string;
  /**
   * What must be done before the store is created: kmsuser exists, >= 2 HSMs ACTIVE in 2 AZs.
   * @default - nothing (the store and the secret read wait for no other resource)
   */
  readonly after?: readonly ITerraformDependable[];
  /**
   * Budget of the connect-key-store hook (a connection takes up to 20 minutes, 30 seen), within
   * {@link HOOKS.TIMEOUT_MINUTES}.
   * @default - the rulebook's {@link HOOKS.TIMEOUT_MINUTES_DEFAULT}
   */
  readonly timeoutMinutes?: number;
}

/**
 * A KMS custom key store on a CloudHSM cluster, connected by the `connect-key-store` hook (the
 * provider never connects it). Keys wait for the connection (`readyWhen`). `prevent_destroy`:
 * deleting the store orphans every key in it.
 */
export class CloudHsmKeyStore extends Construct implements IKeyStore {
  readonly kind = "cloudhsm" as const;
  readonly keyStoreId: string;
  readonly readyWhen: readonly ITerraformDependable[];
  readonly resource: KmsCustomKeyStore;
  readonly connect: HookStep;

  constructor(scope: Construct, id: string, props: CloudHsmKeyStoreProps) {
    super(scope, id);
    const timeoutMinutes = props.timeoutMinutes ?? HOOKS.TIMEOUT_MINUTES_DEFAULT.value;
    const after = props.after?.length ? [...props.after] : undefined;
    const at = (prop: string) => `${this.node.path}.${prop}`;
    const problems: string[] = [];
    const names = KMS.CUSTOM_KEY_STORE_NAME_LENGTH;
    if (!KMS.isCustomKeyStoreName(props.name))
      problems.push(
        `${at("name")}: ${shown(props.name)} is not allowed (${names.min}-${names.max} characters, KMS CreateCustomKeyStore CustomKeyStoreName)`,
      );
    const pem = props.trustAnchorPem;
    const anchor = KMS.TRUST_ANCHOR_CERTIFICATE_LENGTH;
    if (!Token.isUnresolved(pem) && !inRange(anchor, pem.length)) {
      problems.push(
        `${at("trustAnchorPem")}: a ${pem.length}-character value is not allowed (${anchor.min}-${anchor.max} characters, KMS CreateCustomKeyStore TrustAnchorCertificate)`,
      );
    }
    if (!inRange(HOOKS.TIMEOUT_MINUTES, timeoutMinutes))
      problems.push(
        `${at("timeoutMinutes")}: ${shown(timeoutMinutes)} is not allowed (${HOOKS.timeoutMinutesAllowed()})`,
      );
    throwIfProblems(problems);
    // Read only after create-kmsuser stored it (depends_on), sensitive, never in the configuration.
    const password = new DataAwsSecretsmanagerSecretVersion(this, "kmsuser-password", {
      secretId: props.kmsuserSecretArn,
      dependsOn: after,
    });
    this.resource = new KmsCustomKeyStore(this, "store", {
      customKeyStoreName: props.name,
      customKeyStoreType: "AWS_CLOUDHSM",
      cloudHsmClusterId: props.clusterId,
      keyStorePassword: password.secretString,
      trustAnchorCertificate: props.trustAnchorPem,
      dependsOn: after,
      // The trust anchor is fixed when the cluster is initialised; a changed file or a renewed
      // generated CA must not plan a replacement of the store (it forces one in the provider).
      // The password is used at creation only: KMS rotates kmsuser's password at every connect and
      // reset-kmsuser-password writes a new one to the secret, but the provider's update sends
      // UpdateCustomKeyStore without disconnecting the store (refused while CONNECTED), so a
      // changed secret must never plan an update here.
      // The cluster id is owned by restore-key-store (UpdateCustomKeyStore CloudHsmClusterId, on a
      // DISCONNECTED store, to a cluster with the same backup history): in the provider it forces a
      // new store, which would orphan every key in it (docs/cloudhsm.md#restore).
      lifecycle: {
        preventDestroy: true,
        ignoreChanges: ["trust_anchor_certificate", "key_store_password", "cloud_hsm_cluster_id"],
      },
      timeouts: { create: "15m" },
    });
    this.keyStoreId = this.resource.id;
    this.connect = new HookStep(this, "connect", {
      step: "connect-key-store",
      args: { "key-store-id": this.keyStoreId },
      timeoutMinutes,
      dependsOn: [this.resource],
    });
    this.readyWhen = [this.connect.resource];
  }
}
