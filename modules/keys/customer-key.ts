import { Construct } from "constructs";
import { Token, type ITerraformDependable } from "cdktf";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsReplicaKey } from "@cdktf/provider-aws/lib/kms-replica-key";
import type { KmsGrant } from "@cdktf/provider-aws/lib/kms-grant";
import { IAM, inRange, KMS, XKS } from "@cmk-stacks/aws-limits";
import { createGrant, ENCRYPT_DECRYPT_OPERATIONS } from "./grants";
import type { IKeyStore } from "../keystores/key-store";
import { EnvironmentStack } from "../core/environment-stack";
import { shown, throwIfProblems } from "../core/errors";
import {
  buildKeyPolicy,
  keyPolicyProblems,
  keyServiceProblems,
  type ExternalAccountAccess,
  type KeyPolicyProps,
  type KeyServiceAccess,
} from "./key-policy";
import { createExtraAliases, extraAliasId, keyBaseProblems, type KeyBaseProps } from "./key-props";
import { suppress } from "../compliance/rule";

/** Where a key's material lives: AWS KMS itself, a CloudHSM key store or an external key store (XKS). */
export type KeyStoreKind = "aws-kms" | IKeyStore["kind"];

/** What consumers need from a customer key. Consumers take this, never an ARN string. */
export interface ICustomerKey {
  /** Logical name of the key (in a shipped environment, `keys.<name>`). */
  readonly name: string;
  readonly keyArn: string;
  readonly keyId: string;
  readonly aliasName: string;
  /** Where the key material lives. */
  readonly store: KeyStoreKind;
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

export interface CustomerKeyProps extends KeyBaseProps {
  /**
   * Logical name of the key (the `name` consumers see, e.g. in their `EncryptionKey` tag).
   * @default - the construct id
   */
  readonly name?: string;
  /** At most {@link KMS.DESCRIPTION_LENGTH} chars. @default - `Customer key <name> (<environment name>)` */
  readonly description?: string;
  /**
   * Automatic rotation of the key material (every `rotationPeriodDays`). Keys in a custom key store
   * cannot rotate automatically, so `true` is refused for them.
   * @default - {@link KMS.automaticRotationSupported}: true for AWS-KMS-origin keys, false for keys in a custom key store
   */
  readonly rotation?: boolean;
  /**
   * Days between automatic rotations (EnableKeyRotation RotationPeriodInDays,
   * {@link KMS.ROTATION_PERIOD_DAYS}); only for a key that rotates, refused otherwise.
   * @default - KMS.DEFAULT_ROTATION_PERIOD_DAYS.value ({@link KMS.DEFAULT_ROTATION_PERIOD_DAYS}) when the key rotates
   */
  readonly rotationPeriodDays?: number;
  /**
   * Where the key material lives; `cloudhsm` and `xks` need a `keyStore` of that kind.
   * @default - the kind of `keyStore`, or KMS.DEFAULT_KEY_STORE.value ({@link KMS.DEFAULT_KEY_STORE}) without one
   */
  readonly store?: KeyStoreKind;
  /**
   * The custom key store the key is created in (it must be of the kind `store` names).
   * @default - none: the key material lives in AWS KMS
   */
  readonly keyStore?: IKeyStore;
  /**
   * The key's id in the external key manager: required for a key in an external key store, refused otherwise.
   * @default - none
   */
  readonly xksKeyId?: string;
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
  /**
   * Principals that may encrypt and generate data keys but never decrypt (explicitly denied).
   * @default - none
   */
  readonly encryptOnlyUsers?: readonly string[];
  /**
   * Principals that may decrypt but never encrypt (explicitly denied).
   * @default - none
   */
  readonly decryptOnlyUsers?: readonly string[];
  /**
   * Other accounts and what each may do (use the key; grants for AWS resources); never management.
   * Each must name the key by its ARN, and a key in a custom key store shares the store's quota with them.
   * @default - none
   */
  readonly externalAccounts?: readonly ExternalAccountAccess[];
  /**
   * Manual rotation, for keys in a custom key store (they rotate neither automatically nor on demand):
   * each generation is a KMS key of its own in the same store; the aliases point at the current one,
   * earlier ones stay enabled for decryption only, and a generation listed in `retired` is left out,
   * which schedules its deletion with its deletion window. See {@link KeyGenerations}.
   * @default - one generation (KMS.FIRST_KEY_GENERATION.value, {@link KMS.FIRST_KEY_GENERATION}), nothing retired
   */
  readonly generations?: KeyGenerations;
  /**
   * AWS services that use the key on the account's behalf (CloudTrail, CloudWatch Logs, CloudWatch
   * alarms and EventBridge rules publishing to an encrypted SNS topic), each narrowed to the listed
   * source ARNs of this account as the service's documentation prescribes ({@link KMS.KEY_POLICY_SERVICES}).
   * @default - none
   */
  readonly services?: readonly KeyServiceAccess[];
  /**
   * A multi-Region primary key (KMS CreateKey MultiRegion): only in the AWS KMS key store. Fixed at
   * creation: changing it replaces the key, which the plan guard blocks.
   * @default - KMS.DEFAULT_MULTI_REGION.value ({@link KMS.DEFAULT_MULTI_REGION})
   */
  readonly multiRegion?: boolean;
  /**
   * Regions (of the stack's partition, not its own Region, each once: {@link KMS.REPLICAS_PER_REGION})
   * that get a replica of the key (aws_kms_replica_key through a provider of that Region), with the
   * same key policy built for that Region, the same deletion window and the same aliases. Only with
   * `multiRegion`. Each replica is billed as a key and counts toward its Region's key quota.
   * @default - none
   */
  readonly replicaRegions?: readonly string[];
}

/** A replica of a multi-Region key in another Region. */
export interface KeyReplica {
  readonly region: string;
  readonly resource: KmsReplicaKey;
  readonly keyArn: string;
}

/**
 * The generations of a manually rotated key (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys-manually.html).
 * Generation 1 keeps the construct ids `key` (and the aliases theirs), so turning rotation on never
 * replaces an existing key; generation n > 1 is the resource `key-gen<n>`.
 */
export interface KeyGenerations {
  /** The generation the aliases point at. Above 1 only for keys in a custom key store. */
  readonly current: number;
  /**
   * Earlier generations to retire: left out of the configuration, so Terraform schedules their
   * deletion (ScheduleKeyDeletion with the key's deletion window). Never implied: each is listed.
   * @default - none: every earlier generation stays, decrypt-only
   */
  readonly retired?: readonly number[];
  /**
   * Store xks: the external key of each generation after the first (`{ "2": "<id>" }`): a new
   * generation needs new key material. Generation 1 uses `xksKeyId`.
   * @default - none (required for every generation after the first in an external key store)
   */
  readonly xksKeyIds?: Readonly<Record<string, string>>;
}

/** Tags of a key that has generations: its number and whether it is the one the aliases point at. */
export const GENERATION_TAG = "KeyGeneration";
export const GENERATION_STATE_TAG = "KeyGenerationState";

/**
 * A symmetric customer managed key with an alias and a separation-of-duties policy. Secure by
 * default: 30-day deletion window, `prevent_destroy`, yearly rotation for AWS-KMS-origin keys.
 * Keys in a custom key store are single-Region SYMMETRIC_DEFAULT keys without rotation: asking
 * for rotation there is refused, never passed through (it would fail the apply). The partition and
 * account of the key policy come from the enclosing {@link EnvironmentStack}.
 */
export class CustomerKey extends Construct implements ICustomerKey {
  readonly name: string;
  readonly keyArn: string;
  readonly keyId: string;
  readonly aliasName: string;
  readonly store: KeyStoreKind;
  /** The underlying resource (the current generation's key), for escape hatches kept in one place. */
  readonly resource: KmsKey;
  /** Every generation kept in the configuration (the current one and those kept for decryption), by number. */
  readonly generations: ReadonlyMap<number, KmsKey>;
  /** The replicas of a multi-Region key, in the order of `replicaRegions`. */
  readonly replicas: readonly KeyReplica[];

  constructor(scope: Construct, id: string, props: CustomerKeyProps) {
    super(scope, id);
    const stack = EnvironmentStack.of(this);
    const store = props.store ?? props.keyStore?.kind ?? KMS.DEFAULT_KEY_STORE.value;
    const rotation = props.rotation ?? KMS.automaticRotationSupported({ store });
    const policy: KeyPolicyProps = {
      partition: stack.partition,
      account: stack.account,
      administrators: props.administrators,
      users: props.users,
      form: props.policy ?? KMS.DEFAULT_KEY_POLICY_FORM.value,
      serviceRoles: props.serviceRoles,
      encryptOnlyUsers: props.encryptOnlyUsers,
      decryptOnlyUsers: props.decryptOnlyUsers,
      externalAccounts: props.externalAccounts,
      services: props.services,
      region: stack.region,
    };
    const multiRegion = props.multiRegion ?? KMS.DEFAULT_MULTI_REGION.value;
    throwIfProblems([
      ...customerKeyProblems(this.node.path, stack.partition, store, rotation, props),
      ...keyPolicyProblems(this.node.path, policy),
      ...multiRegionProblems(this.node.path, stack, store, multiRegion, props.replicaRegions),
      ...keyServiceProblems(this.node.path, props.services, {
        partition: stack.partition,
        account: stack.account,
        regions: [stack.region, ...(props.replicaRegions ?? [])],
      }),
    ]);

    this.name = props.name ?? id;
    this.store = store;
    const first = KMS.FIRST_KEY_GENERATION.value;
    const current = props.generations?.current ?? first;
    const retired = new Set(props.generations?.retired ?? []);
    const description = props.description ?? `Customer key ${this.name} (${stack.name})`;
    const generations = new Map<number, KmsKey>();
    for (let n = first; n <= current; n++) {
      if (retired.has(n)) continue;
      const superseded = n < current;
      const key = this.generationKey(n === first ? "key" : `key-gen${n}`, {
        description: n === first ? description : `${description} generation ${n}`,
        xksKeyId: n === first ? props.xksKeyId : props.generations?.xksKeyIds?.[String(n)],
        policy: superseded ? { ...policy, encryptOnlyUsers: undefined, superseded: true } : policy,
        tags: props.generations
          ? { [GENERATION_TAG]: String(n), [GENERATION_STATE_TAG]: superseded ? "superseded" : "current" }
          : {},
        store,
        rotation,
        multiRegion,
        props,
      });
      generations.set(n, key);
    }
    this.generations = generations;
    this.resource = generations.get(current) as KmsKey;
    // Every alias points at the current generation (an in-place UpdateAlias when it changes, never a
    // new alias): https://docs.aws.amazon.com/kms/latest/developerguide/alias-manage.html#alias-update
    // The primary alias keeps its construct id "alias"; each extra alias has an id of its own name.
    const alias = new KmsAlias(this, "alias", { name: props.alias, targetKeyId: this.resource.keyId });
    createExtraAliases(this, props.aliases, this.resource.keyId);
    // Replicas (https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-replicate.html):
    // each in its Region through that Region's provider, with its own policy (built for its Region),
    // deletion window, tags and aliases; material, rotation and key spec come from the primary.
    // (Multi-Region keys are AWS-KMS keys only, generations custom-store keys only: never both.)
    this.replicas = (multiRegion ? (props.replicaRegions ?? []) : []).map((region) => {
      const scope = new Construct(this, `replica-${region}`);
      const provider = stack.providerFor(region);
      const replica = new KmsReplicaKey(scope, "key", {
        provider,
        primaryKeyArn: this.resource.arn,
        description: `${description} (replica in ${region})`.slice(0, KMS.DESCRIPTION_LENGTH.max),
        deletionWindowInDays: props.deletionWindowDays ?? KMS.DEFAULT_DELETION_WINDOW_DAYS.value,
        enabled: true,
        bypassPolicyLockoutSafetyCheck: false,
        policy: JSON.stringify(buildKeyPolicy({ ...policy, region, multiRegion: "replica" })),
        tags: { Name: props.alias.replace(/^alias\//, ""), KeyStore: store, ReplicaOf: this.name },
        lifecycle: { preventDestroy: true },
      });
      new KmsAlias(scope, "alias", { provider, name: props.alias, targetKeyId: replica.keyId });
      for (const name of props.aliases ?? [])
        new KmsAlias(scope, extraAliasId(name), { provider, name, targetKeyId: replica.keyId });
      return { region, resource: replica, keyArn: replica.arn };
    });
    this.keyArn = this.resource.arn;
    this.keyId = this.resource.keyId;
    this.aliasName = alias.name;
  }

  /** One generation's KMS key: the same settings for every generation, its own description, external key, policy and tags. */
  private generationKey(
    id: string,
    g: {
      description: string;
      xksKeyId?: string;
      policy: KeyPolicyProps;
      tags: Record<string, string>;
      store: KeyStoreKind;
      rotation: boolean;
      multiRegion: boolean;
      props: CustomerKeyProps;
    },
  ): KmsKey {
    const { props, store, rotation, multiRegion } = g;
    const resource = new KmsKey(this, id, {
      description: g.description,
      keyUsage: KMS.KEY_USAGE.encryptDecrypt,
      customerMasterKeySpec: KMS.SYMMETRIC_KEY_SPEC,
      // Fixed at creation (https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html#KMS-CreateKey-request-MultiRegion):
      // changing it plans a replacement, which the plan guard blocks.
      multiRegion,
      deletionWindowInDays: props.deletionWindowDays ?? KMS.DEFAULT_DELETION_WINDOW_DAYS.value,
      isEnabled: true,
      enableKeyRotation: rotation,
      // Stated for every key that rotates, so Terraform restores a period changed outside it:
      // https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html
      rotationPeriodInDays: rotation ? (props.rotationPeriodDays ?? KMS.DEFAULT_ROTATION_PERIOD_DAYS.value) : undefined,
      customKeyStoreId: props.keyStore?.keyStoreId,
      xksKeyId: g.xksKeyId,
      // Never bypassed: with a closed policy that does not name the deploying principal as an
      // administrator, KMS refuses CreateKey/PutKeyPolicy instead of leaving a key nobody can manage.
      // https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-bypass-policy-lockout-safety-check
      bypassPolicyLockoutSafetyCheck: false,
      // A multi-Region primary's administrators replicate it (kms:ReplicateKey); its replicas' policies leave that out.
      policy: JSON.stringify(buildKeyPolicy(multiRegion ? { ...g.policy, multiRegion: "primary" } : g.policy)),
      tags: { Name: props.alias.replace(/^alias\//, ""), KeyStore: store, ...g.tags },
      dependsOn:
        props.keyStore || props.dependsOn?.length
          ? [...(props.keyStore?.readyWhen ?? []), ...(props.dependsOn ?? [])]
          : undefined,
      lifecycle: { preventDestroy: true },
    });
    if (store !== "aws-kms")
      suppress(
        resource,
        "CKV_AWS_7",
        "keys in a custom key store (CloudHSM or external) cannot rotate automatically: KMS rejects EnableKeyRotation for them (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html)",
      );
    return resource;
  }

  grant(scope: Construct, id: string, props: GrantProps): KmsGrant {
    return createGrant(scope, id, this.keyArn, props);
  }

  grantEncryptDecrypt(scope: Construct, id: string, granteePrincipal: string): KmsGrant {
    return this.grant(scope, id, { granteePrincipal, operations: ENCRYPT_DECRYPT_OPERATIONS });
  }
}

/** Every invariant of the props at once, one line each (`<path>.<prop>: <value> is not allowed (<why>)`). Unresolved tokens are not judged. */
function customerKeyProblems(
  path: string,
  partition: string,
  store: KeyStoreKind,
  rotation: boolean,
  p: CustomerKeyProps,
): string[] {
  const problems: string[] = keyBaseProblems(path, partition, p);
  const refuse = (prop: string, value: unknown, why: string) =>
    problems.push(`${path}.${prop}: ${shown(value)} is not allowed (${why})`);
  if (p.store !== undefined && p.store !== "aws-kms" && p.store !== "cloudhsm" && p.store !== "xks")
    refuse("store", p.store, "'aws-kms', 'cloudhsm' or 'xks'");
  else if (store === "aws-kms") {
    if (p.keyStore)
      refuse(
        "keyStore.kind",
        p.keyStore.kind,
        `store is "aws-kms": an AWS-KMS key is not created in a custom key store, KMS CreateKey CustomKeyStoreId`,
      );
  } else {
    if (!p.keyStore)
      refuse(
        "keyStore",
        undefined,
        `a "${store}" key is created in a ${store} key store, KMS CreateKey CustomKeyStoreId`,
      );
    else if (p.keyStore.kind !== store)
      refuse(
        "keyStore.kind",
        p.keyStore.kind,
        `store is "${store}": the key store must be of the same kind, KMS CreateKey CustomKeyStoreId`,
      );
    if (rotation)
      refuse("rotation", true, "keys in a custom key store cannot rotate automatically, KMS EnableKeyRotation");
  }
  const period = p.rotationPeriodDays;
  if (period !== undefined && !Token.isUnresolved(period)) {
    if (!rotation)
      refuse(
        "rotationPeriodDays",
        period,
        store === "aws-kms"
          ? "only for a key that rotates (rotation is false), KMS EnableKeyRotation RotationPeriodInDays"
          : "keys in a custom key store cannot rotate automatically, KMS EnableKeyRotation RotationPeriodInDays",
      );
    else if (!inRange(KMS.ROTATION_PERIOD_DAYS, period))
      refuse(
        "rotationPeriodDays",
        period,
        `${KMS.ROTATION_PERIOD_DAYS.min} to ${KMS.ROTATION_PERIOD_DAYS.max} days, KMS EnableKeyRotation RotationPeriodInDays`,
      );
  }
  if (p.generations !== undefined) {
    for (const g of KMS.keyGenerationsProblems({
      store,
      current: p.generations.current,
      retired: p.generations.retired,
      xksKeyIds: p.generations.xksKeyIds,
      xksKeyId: p.xksKeyId,
      xksKeyIdPattern: XKS.KEY_ID.regex,
    }))
      refuse(`generations.${g.field}`, g.value, `${g.why}, ${KMS.MANUAL_ROTATION_DOC}`);
    const current = p.generations.current;
    const suffix = ` generation ${current}`;
    if (
      typeof p.description === "string" &&
      !Token.isUnresolved(p.description) &&
      current > KMS.FIRST_KEY_GENERATION.value &&
      p.description.length + suffix.length > KMS.DESCRIPTION_LENGTH.max
    )
      refuse(
        "description",
        p.description,
        `at most ${KMS.DESCRIPTION_LENGTH.max - suffix.length} chars with generations: each later generation's description adds "${suffix}", KMS CreateKey Description`,
      );
  }
  if (store === "xks") {
    if (p.xksKeyId === undefined)
      refuse("xksKeyId", undefined, "required for a key in an external key store, KMS CreateKey XksKeyId");
    else if (!Token.isUnresolved(p.xksKeyId) && !XKS.KEY_ID.regex.test(p.xksKeyId))
      refuse("xksKeyId", p.xksKeyId, `${XKS.KEY_ID.allowed}, KMS CreateKey XksKeyId`);
  } else if (p.xksKeyId !== undefined) {
    refuse(
      "xksKeyId",
      p.xksKeyId,
      `only for a key in an external key store (store is "${store}"), KMS CreateKey XksKeyId`,
    );
  }
  return problems;
}

/**
 * What is wrong with a key's multi-Region settings: only in the AWS KMS key store
 * ({@link KMS.MULTI_REGION_STORES}); replica Regions only for a multi-Region key, each a Region code of
 * the stack's partition, never the stack's own Region, each once ({@link KMS.REPLICAS_PER_REGION}).
 */
export function multiRegionProblems(
  path: string,
  stack: { readonly region: string; readonly partition: string },
  store: string,
  multiRegion: boolean,
  replicaRegions: readonly string[] | undefined,
): string[] {
  const problems: string[] = [];
  if (multiRegion && !(KMS.MULTI_REGION_STORES as readonly string[]).includes(store))
    problems.push(
      `${path}.multiRegion: true is not allowed (only for keys in the AWS KMS key store (store is "${store}"): a key in a custom key store cannot be multi-Region, KMS CreateKey MultiRegion)`,
    );
  if (replicaRegions === undefined) return problems;
  if (!multiRegion && replicaRegions.length)
    problems.push(
      `${path}.replicaRegions: ${shown(replicaRegions)} is not allowed (only for a multi-Region key: set multiRegion: true, KMS ReplicateKey)`,
    );
  replicaRegions.forEach((region, i) => {
    const at = `${path}.replicaRegions.${i}`;
    if (typeof region !== "string" || !IAM.REGION.regex.test(region))
      problems.push(`${at}: ${shown(region)} is not allowed (${IAM.REGION.allowed}, KMS ReplicateKey ReplicaRegion)`);
    else if (region === stack.region)
      problems.push(
        `${at}: ${shown(region)} is not allowed (the primary key's own Region: a replica is in another Region, KMS ReplicateKey ReplicaRegion)`,
      );
    else if (IAM.partitionOfRegion(region) !== stack.partition)
      problems.push(
        `${at}: ${shown(region)} is not allowed (a Region of the primary key's partition ${stack.partition}, KMS ReplicateKey ReplicaRegion)`,
      );
    else if (replicaRegions.indexOf(region) < i)
      problems.push(
        `${at}: ${shown(region)} is not allowed (already replicaRegions.${replicaRegions.indexOf(region)}: at most ${KMS.REPLICAS_PER_REGION.value} replica per Region, KMS ReplicateKey)`,
      );
  });
  return problems;
}
