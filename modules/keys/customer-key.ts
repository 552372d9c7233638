import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsGrant } from "@cdktf/provider-aws/lib/kms-grant";
import type { ResolvedKey } from "../../environments/resolve";
import { ConfigError } from "../../environments/errors";
import type { IKeyStore } from "../keystores/key-store";
import { buildKeyPolicy, keyPolicyProblems, type KeyPolicyProps } from "./key-policy";
import { suppress } from "../compliance/rule";

/** What consumers need from a customer key. Consumers take this, never an ARN string. */
export interface ICustomerKey {
  /** Logical name in the environment (`keys.<name>`). */
  readonly name: string;
  readonly keyArn: string;
  readonly keyId: string;
  readonly aliasName: string;
  /** Where the key material lives. */
  readonly store: ResolvedKey["store"];
  /**
   * Gives `granteePrincipal` the listed operations through a KMS grant created in `scope`
   * (usually the consumer's stack), so the key's policy never has to change for a consumer.
   */
  grant(scope: Construct, id: string, props: GrantProps): KmsGrant;
  /** `grant` with Encrypt, Decrypt, ReEncrypt*, GenerateDataKey* and DescribeKey. */
  grantEncryptDecrypt(scope: Construct, id: string, granteePrincipal: string): KmsGrant;
}

export interface GrantProps {
  /** IAM role ARN or AWS service principal that receives the grant. */
  readonly granteePrincipal: string;
  readonly operations: readonly string[];
  /** @default - the construct id */
  readonly name?: string;
}

export interface CustomerKeyProps {
  /** Logical name (`keys.<name>`). */
  readonly name: string;
  readonly config: ResolvedKey;
  readonly partition: string;
  readonly account: string;
  /** Required for `cloudhsm` and `xks` keys; must be of the same kind. */
  readonly keyStore?: IKeyStore;
  /**
   * Service-linked roles the key policy lets use the key and create grants for AWS resources
   * (e.g. EC2 Auto Scaling's for the EBS default key); each must exist before the key.
   * @default - none
   */
  readonly serviceRoles?: readonly string[];
  /**
   * Resources that must exist before the key: KMS refuses a key policy naming a principal that does
   * not exist (MalformedPolicyDocumentException), e.g. a service-linked role created alongside.
   * @default - none
   */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * A symmetric customer managed key with an alias and a separation-of-duties policy. Secure by
 * default: 30-day deletion window, `prevent_destroy`, yearly rotation for AWS-KMS-origin keys.
 * Keys in a custom key store are single-Region SYMMETRIC_DEFAULT keys without rotation: asking
 * for rotation there is refused, never passed through (it would fail the apply).
 */
export class CustomerKey extends Construct implements ICustomerKey {
  readonly name: string;
  readonly keyArn: string;
  readonly keyId: string;
  readonly aliasName: string;
  readonly store: ResolvedKey["store"];
  /** The underlying resource, for escape hatches kept in one place. */
  readonly resource: KmsKey;

  constructor(scope: Construct, id: string, props: CustomerKeyProps) {
    super(scope, id);
    const { config, name } = props;
    const problems: string[] = [];
    if (config.store !== "aws-kms") {
      if (!props.keyStore) problems.push(`keys.${name}.store: "${config.store}" needs a ${config.store} key store, none was given`);
      else if (props.keyStore.kind !== config.store) problems.push(`keys.${name}.store: "${config.store}" key given a ${props.keyStore.kind} key store`);
      if (config.rotation) problems.push(`keys.${name}.rotation: true is not allowed (keys in a custom key store cannot rotate automatically, KMS EnableKeyRotation)`);
    } else if (props.keyStore) {
      problems.push(`keys.${name}.store: "aws-kms" key given a ${props.keyStore.kind} key store`);
    }
    if (config.store === "xks" && !config.xksKeyId) problems.push(`keys.${name}.xksKeyId: (missing) is not allowed (required for xks keys, KMS CreateKey XksKeyId)`);
    if (config.policy === "closed" && config.administrators.length === 0) {
      problems.push(`keys.${name}.administrators: [] is not allowed (at least one administrator for a closed key policy, or nobody could manage the key)`);
    }
    const policy: KeyPolicyProps = {
      partition: props.partition,
      account: props.account,
      administrators: config.administrators,
      users: config.users,
      form: config.policy,
      serviceRoles: props.serviceRoles,
      encryptOnlyUsers: config.encryptOnlyUsers,
      decryptOnlyUsers: config.decryptOnlyUsers,
      externalAccounts: config.externalAccounts,
    };
    problems.push(...keyPolicyProblems(this.node.path, policy));
    if (problems.length) throw new ConfigError(problems);

    this.name = name;
    this.store = config.store;
    this.resource = new KmsKey(this, "key", {
      description: config.description,
      keyUsage: "ENCRYPT_DECRYPT",
      customerMasterKeySpec: "SYMMETRIC_DEFAULT",
      multiRegion: false,
      deletionWindowInDays: config.deletionWindowDays,
      isEnabled: true,
      enableKeyRotation: config.store === "aws-kms" ? config.rotation : false,
      customKeyStoreId: props.keyStore?.keyStoreId,
      xksKeyId: config.store === "xks" ? config.xksKeyId : undefined,
      // Never bypassed: with a closed policy that does not name the deploying principal as an
      // administrator, KMS refuses CreateKey/PutKeyPolicy instead of leaving a key nobody can manage.
      // https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-bypass-policy-lockout-safety-check
      bypassPolicyLockoutSafetyCheck: false,
      policy: JSON.stringify(buildKeyPolicy(policy)),
      tags: { Name: config.alias.replace(/^alias\//, ""), KeyStore: config.store },
      dependsOn: props.keyStore || props.dependsOn?.length ? [...(props.keyStore?.readyWhen ?? []), ...(props.dependsOn ?? [])] : undefined,
      lifecycle: { preventDestroy: true },
    });
    if (config.store !== "aws-kms") suppress(this.resource, "CKV_AWS_7", "keys in a custom key store (CloudHSM or external) cannot rotate automatically: KMS rejects EnableKeyRotation for them (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html)");
    const alias = new KmsAlias(this, "alias", { name: config.alias, targetKeyId: this.resource.keyId });
    this.keyArn = this.resource.arn;
    this.keyId = this.resource.keyId;
    this.aliasName = alias.name;
  }

  grant(scope: Construct, id: string, props: GrantProps): KmsGrant {
    return new KmsGrant(scope, id, {
      name: props.name ?? id,
      keyId: this.keyArn,
      granteePrincipal: props.granteePrincipal,
      operations: [...props.operations],
    });
  }

  grantEncryptDecrypt(scope: Construct, id: string, granteePrincipal: string): KmsGrant {
    return this.grant(scope, id, {
      granteePrincipal,
      operations: ["Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "DescribeKey"],
    });
  }
}
