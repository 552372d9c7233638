/**
 * Applies every documented default, once, so constructs and `npm run config` see the same
 * fully-resolved configuration. Run only after validation has passed (it parses with the schema
 * and throws on input that does not fit it).
 */
import { EBS, FSX } from "@cmk-stacks/aws-limits";
import type {
  BackendConfig,
  BucketConfig,
  CloudHsmTrustConfig,
  EnvironmentConfig,
  FsxDeploymentType,
  KeyStoreKind,
  NetworkConfig,
  XksConfig,
} from "./types";
import type { CLOUDHSM } from "@cmk-stacks/aws-limits";
import { EnvironmentSchema, type SIGNING_KEY_SPECS } from "./schema";
import { KMS, XKS } from "@cmk-stacks/aws-limits";
import { partitionOfRegion } from "./validation/checks";

/** Tags the tool sets on every resource; a user tag may not set them to anything else. */
export function reservedTags(envName: string): Record<string, string> {
  return { Environment: envName, ManagedBy: "cmk-stacks" };
}

export interface ResolvedKey {
  readonly alias: string;
  /** More aliases of the key, besides `alias` (set only when configured). @default - none */
  readonly aliases?: readonly string[];
  readonly description: string;
  readonly store: KeyStoreKind;
  readonly xksKeyId?: string;
  readonly deletionWindowDays: number;
  readonly rotation: boolean;
  /**
   * Days between automatic rotations; set exactly when `rotation` is true.
   * @default - KMS.DEFAULT_ROTATION_PERIOD_DAYS.value ({@link KMS.DEFAULT_ROTATION_PERIOD_DAYS}) for keys that rotate
   */
  readonly rotationPeriodDays?: number;
  readonly administrators: readonly string[];
  readonly users: readonly string[];
  /** Key policy form (always set by resolveEnvironment). @default - KMS.DEFAULT_KEY_POLICY_FORM.value ({@link KMS.DEFAULT_KEY_POLICY_FORM}) */
  readonly policy?: "account" | "closed";
  /** Where the material comes from; `external`: imported by an operator (BYOK). @default - AWS KMS generates it ("aws-kms") */
  readonly origin?: "aws-kms" | "external";
  /** `external` keys: who imports the material. */
  readonly importers?: readonly string[];
  /** `external` keys: validity of each import in days; unset: the material does not expire. */
  readonly keyMaterialValidityDays?: number;
  /** Principals that may only encrypt (set only when configured). @default - none */
  readonly encryptOnlyUsers?: readonly string[];
  /** Principals that may only decrypt (set only when configured). @default - none */
  readonly decryptOnlyUsers?: readonly string[];
  /** Other accounts and what each may do (set only when configured). @default - none */
  readonly externalAccounts?: readonly {
    readonly account: string;
    readonly allow: readonly ("use" | "grantsForAwsResources")[];
  }[];
  /** Manual rotation (set only when configured). @default - one generation, nothing retired */
  readonly generations?: {
    readonly current: number;
    readonly retired?: readonly number[];
    readonly xksKeyIds?: Readonly<Record<string, string>>;
  };
  /** A multi-Region primary key (set only when true). @default - KMS.DEFAULT_MULTI_REGION.value ({@link KMS.DEFAULT_MULTI_REGION}) */
  readonly multiRegion?: boolean;
  /** Regions with a replica of a multi-Region key (set only when configured). @default - none */
  readonly replicaRegions?: readonly string[];
  /** AWS services that use the key on the account's behalf (set only when configured). @default - none */
  readonly services?: readonly { readonly service: KMS.KeyPolicyServiceName; readonly sourceArns: readonly string[] }[];
}

/** An asymmetric signing key (always in AWS KMS). */
export interface ResolvedSigningKey {
  readonly alias: string;
  readonly description: string;
  readonly keySpec: (typeof SIGNING_KEY_SPECS)[number];
  readonly deletionWindowDays: number;
  readonly administrators: readonly string[];
  readonly signers: readonly string[];
  readonly verifiers: readonly string[];
  readonly publicKeyReaders: readonly string[];
  readonly policy: "account" | "closed";
}

/** An HMAC key (always in AWS KMS). */
export interface ResolvedMacKey {
  readonly alias: string;
  readonly description: string;
  readonly keySpec: KMS.HmacKeySpec;
  readonly deletionWindowDays: number;
  readonly administrators: readonly string[];
  readonly macGenerators: readonly string[];
  readonly macVerifiers: readonly string[];
  readonly policy: "account" | "closed";
}

/**
 * Where a CloudHSM environment stands, decided once from the trust settings ({@link cloudHsmPhase}):
 * `awaiting-certificate` is the first apply of `provided` trust (no certificate files yet): the
 * keys stack stops after the first HSM and outputs the CSR; keys in the cloudhsm store, and FSx
 * on them, wait for the second apply; buckets and EBS may not use them (validation refuses it).
 */
export type CloudHsmPhase = "awaiting-certificate" | "ready";

/** The phase of a CloudHSM configuration (raw or resolved): `provided` trust without its two files is awaiting the certificate. */
export function cloudHsmPhase(
  trust:
    | { readonly mode?: unknown; readonly signedCertificateFile?: unknown; readonly trustAnchorFile?: unknown }
    | undefined,
): CloudHsmPhase {
  return trust?.mode === "provided" &&
    (trust.signedCertificateFile === undefined || trust.trustAnchorFile === undefined)
    ? "awaiting-certificate"
    : "ready";
}

export interface ResolvedCloudHsm {
  /** Decided from `trust` (see {@link CloudHsmPhase}). */
  readonly phase: CloudHsmPhase;
  readonly hsmType: CLOUDHSM.HsmType;
  readonly mode: CLOUDHSM.ClusterMode;
  readonly hsmAzs: readonly string[];
  readonly backupRetentionDays: number;
  readonly trust: CloudHsmTrustConfig;
  readonly keyStoreName: string;
  /** Set after `npm run restore`: the restored cluster Terraform imports (see `CloudHsmRestoredSchema`). */
  readonly restored?: {
    readonly clusterId: string;
    readonly backupId: string;
    readonly hsmIds: readonly string[];
    readonly previousClusterId?: string;
  };
  readonly adminHost: {
    readonly instanceType: string;
    readonly amiId?: string;
    readonly cliPreinstalled: boolean;
    readonly cliPackage?: string;
  };
  /** Scale to zero (`cloudHsm.scaleToZero`), with its defaults. */
  readonly scaleToZero?: {
    readonly downAt: string;
    readonly upAt: string;
    readonly weekdays: readonly CLOUDHSM.ScaleWeekday[];
    readonly timezone: string;
  };
  /** HSMs AWS replaced, adopted by import (`<az>-<n>` -> HSM id); absent when none. */
  readonly adoptHsms?: Readonly<Record<string, string>>;
}

export interface ResolvedXks extends Omit<XksConfig, "healthCheck"> {
  readonly healthCheck: {
    readonly protocol: "TCP" | "HTTPS";
    readonly path?: string;
    readonly intervalSeconds: number;
    readonly healthyThreshold: number;
    readonly unhealthyThreshold: number;
  };
}

export interface ResolvedFsx {
  readonly key: string;
  readonly deploymentType: FsxDeploymentType;
  readonly storageCapacityGiB: number;
  readonly throughputPerHaPair: number;
  readonly haPairs: number;
  readonly subnetAzs: readonly string[];
  readonly preferredAz: string;
  readonly automaticBackupRetentionDays: number;
  readonly clientCidrs: readonly string[];
}

export interface ResolvedAlarms {
  readonly subscriptions: readonly {
    readonly protocol: "email" | "https" | "sqs" | "lambda";
    readonly endpoint: string;
  }[];
  readonly requestQuotaShare: number;
  /** Only with an external key store (so the printed configuration validates again). */
  readonly xks?: {
    readonly certificateDays: number;
    readonly latencyShare: number;
    readonly credentialRotationDays: number;
  };
}

export interface ResolvedEnvironment {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  /** `aws`, `aws-cn` or `aws-us-gov`, from the Region. */
  readonly partition: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly backend: BackendConfig;
  readonly network: NetworkConfig & { readonly onPremisesCidrs: readonly string[] };
  readonly keys: Readonly<Record<string, ResolvedKey>>;
  /** Set only when the environment has signing keys. */
  readonly signingKeys?: Readonly<Record<string, ResolvedSigningKey>>;
  /** Set only when the environment has HMAC keys. */
  readonly macKeys?: Readonly<Record<string, ResolvedMacKey>>;
  readonly cloudHsm?: ResolvedCloudHsm;
  readonly xks?: ResolvedXks;
  readonly data: {
    readonly buckets: Readonly<Record<string, BucketConfig>>;
    readonly ebs?: {
      readonly key: string;
      readonly serviceLinkedRoles: readonly string[];
      readonly createServiceLinkedRoles: boolean;
    };
    readonly fsx?: ResolvedFsx;
  };
  readonly hooks: { readonly runner: "local" | "lambda"; readonly timeoutMinutes: number };
  /** Absent: no alarms (opt in). */
  readonly alarms?: ResolvedAlarms;
}

const partitionOf = partitionOfRegion;

/**
 * The resolved configuration as configuration input (what `npm run config` prints, a valid
 * `ENV_CONFIG` file): without the fields derived from others (`partition` from the Region,
 * `cloudHsm.phase` from the trust settings), which the input does not take.
 */
export function asConfigInput(
  env: ResolvedEnvironment,
): Omit<ResolvedEnvironment, "partition" | "cloudHsm"> & { readonly cloudHsm?: Omit<ResolvedCloudHsm, "phase"> } {
  const { partition: _partition, ...rest } = env;
  if (!rest.cloudHsm) return rest;
  const { phase: _phase, ...cloudHsm } = rest.cloudHsm;
  // Same field order as the resolved form (the printed JSON reads in the order of the input).
  return { ...rest, cloudHsm };
}

/** Keys in the cloudhsm store that wait for the second apply (none unless the phase is `awaiting-certificate`). */
export function keysAwaitingCertificate(env: ResolvedEnvironment): string[] {
  if (env.cloudHsm?.phase !== "awaiting-certificate") return [];
  return Object.entries(env.keys)
    .filter(([, k]) => k.store === "cloudhsm")
    .map(([name]) => name);
}

/** The one line the composer prints for an environment awaiting its CloudHSM certificate (undefined otherwise). */
export function firstApplyNote(env: ResolvedEnvironment): string | undefined {
  if (env.cloudHsm?.phase !== "awaiting-certificate") return undefined;
  const keys = keysAwaitingCertificate(env);
  const waiting = [
    ...keys.map((k) => `keys.${k}`),
    ...(env.data.fsx && keys.includes(env.data.fsx.key) ? ["data.fsx"] : []),
  ];
  return `NOTE ${env.name}: CloudHSM trust files not set (first apply): the stack stops after the first HSM and outputs the CSR; skipped until the second apply: ${waiting.join(", ") || "nothing"}`;
}

/** The EC2 Auto Scaling service-linked role: the default of `data.ebs.serviceLinkedRoles` ({@link EBS.DEFAULT_SERVICE_LINKED_ROLES}). */
export const autoScalingServiceLinkedRole = (partition: string, account: string): string =>
  EBS.defaultServiceLinkedRoleArns(partition, account)[0];

/**
 * The user's tags and the tool's, every key kept: zod's record parse drops a key named `__proto__`
 * (a legal AWS tag key), so the tags are copied from the validated input, each as an own property.
 */
function resolvedTags(input: Readonly<Record<string, string>> | undefined, envName: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [k, v] of [...Object.entries(input ?? {}), ...Object.entries(reservedTags(envName))])
    Object.defineProperty(tags, k, { value: v, enumerable: true, writable: true, configurable: true });
  return tags;
}

/**
 * Applies the schema's static defaults (zod `.default`), then the defaults that depend on other
 * fields (rotation by store, description by name, preferred AZ, client CIDRs).
 */
export function resolveEnvironment(input: EnvironmentConfig): ResolvedEnvironment {
  const env = EnvironmentSchema.parse(input);
  const keys = Object.fromEntries(
    Object.entries(env.keys).map(([name, k]): [string, ResolvedKey] => {
      const rotation = k.rotation ?? KMS.automaticRotationSupported(k);
      return [
        name,
        {
          alias: k.alias,
          ...(k.aliases?.length ? { aliases: [...k.aliases] } : {}),
          description: k.description ?? `Customer key ${name} (${env.name})`,
          store: k.store,
          ...(k.xksKeyId !== undefined ? { xksKeyId: k.xksKeyId } : {}),
          deletionWindowDays: k.deletionWindowDays,
          rotation,
          ...(rotation ? { rotationPeriodDays: k.rotationPeriodDays ?? KMS.DEFAULT_ROTATION_PERIOD_DAYS.value } : {}),
          administrators: [...k.administrators],
          users: [...k.users],
          policy: k.policy,
          // Only external keys carry these, so every other key resolves exactly as before.
          ...(k.origin === "external"
            ? {
                origin: "external" as const,
                importers: [...(k.importers ?? [])],
                ...(k.keyMaterialValidityDays !== undefined
                  ? { keyMaterialValidityDays: k.keyMaterialValidityDays }
                  : {}),
              }
            : {}),
          ...(k.encryptOnlyUsers?.length ? { encryptOnlyUsers: [...k.encryptOnlyUsers] } : {}),
          ...(k.decryptOnlyUsers?.length ? { decryptOnlyUsers: [...k.decryptOnlyUsers] } : {}),
          ...(k.externalAccounts?.length
            ? { externalAccounts: k.externalAccounts.map((a) => ({ account: a.account, allow: [...a.allow] })) }
            : {}),
          ...(k.generations
            ? {
                generations: {
                  current: k.generations.current,
                  ...(k.generations.retired?.length ? { retired: [...k.generations.retired] } : {}),
                  ...(k.generations.xksKeyIds ? { xksKeyIds: { ...k.generations.xksKeyIds } } : {}),
                },
              }
            : {}),
          ...(k.multiRegion ? { multiRegion: true } : {}),
          ...(k.replicaRegions?.length ? { replicaRegions: [...k.replicaRegions] } : {}),
          ...(k.services?.length
            ? { services: k.services.map((s) => ({ service: s.service, sourceArns: [...s.sourceArns] })) }
            : {}),
        },
      ];
    }),
  );
  const signingKeys = Object.fromEntries(
    Object.entries(env.signingKeys ?? {}).map(([name, k]): [string, ResolvedSigningKey] => [
      name,
      {
        alias: k.alias,
        description: k.description ?? `Signing key ${name} (${env.name})`,
        keySpec: k.keySpec,
        deletionWindowDays: k.deletionWindowDays,
        administrators: [...k.administrators],
        signers: [...(k.signers ?? [])],
        verifiers: [...(k.verifiers ?? [])],
        publicKeyReaders: [...(k.publicKeyReaders ?? [])],
        policy: k.policy,
      },
    ]),
  );
  const macKeys = Object.fromEntries(
    Object.entries(env.macKeys ?? {}).map(([name, k]): [string, ResolvedMacKey] => [
      name,
      {
        alias: k.alias,
        description: k.description ?? `HMAC key ${name} (${env.name})`,
        keySpec: k.keySpec,
        deletionWindowDays: k.deletionWindowDays,
        administrators: [...k.administrators],
        macGenerators: [...(k.macGenerators ?? [])],
        macVerifiers: [...(k.macVerifiers ?? [])],
        policy: k.policy,
      },
    ]),
  );
  const fsx = env.data.fsx;
  const hsm = env.cloudHsm;
  return {
    name: env.name,
    account: env.account,
    region: env.region,
    partition: partitionOf(env.region),
    tags: resolvedTags(input.tags, env.name),
    backend: env.backend,
    network: env.network,
    keys,
    ...(Object.keys(signingKeys).length ? { signingKeys } : {}),
    ...(Object.keys(macKeys).length ? { macKeys } : {}),
    ...(hsm
      ? {
          cloudHsm: {
            phase: cloudHsmPhase(hsm.trust),
            hsmType: hsm.hsmType,
            mode: hsm.mode,
            hsmAzs: [...hsm.hsmAzs],
            backupRetentionDays: hsm.backupRetentionDays,
            trust: hsm.trust,
            keyStoreName: hsm.keyStoreName,
            adminHost: hsm.adminHost,
            ...(hsm.scaleToZero
              ? { scaleToZero: { ...hsm.scaleToZero, weekdays: [...hsm.scaleToZero.weekdays] } }
              : {}),
            ...(hsm.adoptHsms && Object.keys(hsm.adoptHsms).length ? { adoptHsms: { ...hsm.adoptHsms } } : {}),
            ...(hsm.restored ? { restored: { ...hsm.restored, hsmIds: [...hsm.restored.hsmIds] } } : {}),
          },
        }
      : {}),
    ...(env.xks
      ? {
          xks: {
            ...env.xks,
            healthCheck: {
              protocol: env.xks.healthCheck.protocol,
              ...(env.xks.healthCheck.protocol === "HTTPS"
                ? { path: env.xks.healthCheck.path ?? XKS.DEFAULT_HEALTH_CHECK.value.httpsPath }
                : {}),
              intervalSeconds: env.xks.healthCheck.intervalSeconds,
              healthyThreshold: env.xks.healthCheck.healthyThreshold,
              unhealthyThreshold: env.xks.healthCheck.unhealthyThreshold,
            },
          },
        }
      : {}),
    data: {
      buckets: env.data.buckets,
      ...(env.data.ebs
        ? {
            ebs: {
              key: env.data.ebs.key,
              serviceLinkedRoles: [
                ...(env.data.ebs.serviceLinkedRoles ??
                  EBS.defaultServiceLinkedRoleArns(partitionOf(env.region), env.account)),
              ],
              createServiceLinkedRoles: env.data.ebs.createServiceLinkedRoles,
            },
          }
        : {}),
      ...(fsx
        ? {
            fsx: {
              key: fsx.key,
              deploymentType: fsx.deploymentType,
              storageCapacityGiB: fsx.storageCapacityGiB,
              throughputPerHaPair: fsx.throughputPerHaPair,
              haPairs: fsx.haPairs,
              subnetAzs: [...fsx.subnetAzs],
              preferredAz: fsx.preferredAz ?? FSX.defaultPreferredAz(fsx.subnetAzs),
              automaticBackupRetentionDays: fsx.automaticBackupRetentionDays,
              clientCidrs: [...(fsx.clientCidrs ?? FSX.defaultClientCidrs(env.network.cidr))],
            },
          }
        : {}),
    },
    hooks: env.hooks,
    ...(env.alarms
      ? {
          alarms: {
            subscriptions: env.alarms.subscriptions.map((sub) => ({ protocol: sub.protocol, endpoint: sub.endpoint })),
            requestQuotaShare: env.alarms.requestQuotaShare,
            ...(env.xks ? { xks: { ...env.alarms.xks } } : {}),
          },
        }
      : {}),
  };
}
