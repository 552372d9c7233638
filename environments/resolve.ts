/**
 * Applies every documented default, once, so constructs and `npm run config` see the same
 * fully-resolved configuration. Run only after validation has passed.
 */
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

export interface ResolvedKey {
  readonly alias: string;
  readonly description: string;
  readonly store: KeyStoreKind;
  readonly xksKeyId?: string;
  readonly deletionWindowDays: number;
  readonly rotation: boolean;
  readonly administrators: readonly string[];
  readonly users: readonly string[];
}

export interface ResolvedCloudHsm {
  readonly hsmType: "hsm1.medium" | "hsm2m.medium";
  readonly mode: "FIPS" | "NON_FIPS";
  readonly hsmAzs: readonly string[];
  readonly backupRetentionDays: number;
  readonly trust: CloudHsmTrustConfig;
  readonly keyStoreName: string;
  readonly adminHost: { readonly instanceType: string; readonly amiId?: string; readonly cliPreinstalled: boolean; readonly cliPackage?: string };
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
  readonly cloudHsm?: ResolvedCloudHsm;
  readonly xks?: ResolvedXks;
  readonly data: {
    readonly buckets: Readonly<Record<string, BucketConfig>>;
    readonly ebs?: { readonly key: string };
    readonly fsx?: ResolvedFsx;
  };
  readonly hooks: { readonly runner: "local" | "lambda"; readonly timeoutMinutes: number };
}

function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

export function resolveEnvironment(env: EnvironmentConfig): ResolvedEnvironment {
  const keys = Object.fromEntries(
    Object.entries(env.keys).map(([name, k]): [string, ResolvedKey] => {
      const store = k.store ?? "aws-kms";
      return [
        name,
        {
          alias: k.alias,
          description: k.description ?? `Customer key ${name} (${env.name})`,
          store,
          ...(k.xksKeyId !== undefined ? { xksKeyId: k.xksKeyId } : {}),
          deletionWindowDays: k.deletionWindowDays ?? 30,
          rotation: k.rotation ?? store === "aws-kms",
          administrators: [...k.administrators],
          users: [...k.users],
        },
      ];
    }),
  );
  const fsx = env.data.fsx;
  const hsm = env.cloudHsm;
  return {
    name: env.name,
    account: env.account,
    region: env.region,
    partition: partitionOf(env.region),
    tags: { ...(env.tags ?? {}), Environment: env.name, ManagedBy: "cmk-stacks" },
    backend: env.backend ?? { type: "local" },
    network: { ...env.network, onPremisesCidrs: [...(env.network.onPremisesCidrs ?? [])] },
    keys,
    ...(hsm
      ? {
          cloudHsm: {
            hsmType: hsm.hsmType ?? "hsm2m.medium",
            mode: hsm.mode ?? "FIPS",
            hsmAzs: [...hsm.hsmAzs],
            backupRetentionDays: hsm.backupRetentionDays ?? 90,
            trust: hsm.trust,
            keyStoreName: hsm.keyStoreName,
            adminHost: {
              instanceType: hsm.adminHost?.instanceType ?? "t3.micro",
              ...(hsm.adminHost?.amiId ? { amiId: hsm.adminHost.amiId } : {}),
              cliPreinstalled: hsm.adminHost?.cliPreinstalled ?? false,
              ...(hsm.adminHost?.cliPackage ? { cliPackage: hsm.adminHost.cliPackage } : {}),
            },
          },
        }
      : {}),
    ...(env.xks
      ? {
          xks: {
            ...env.xks,
            healthCheck: {
              protocol: env.xks.healthCheck?.protocol ?? "TCP",
              ...(env.xks.healthCheck?.protocol === "HTTPS" ? { path: env.xks.healthCheck.path ?? "/" } : {}),
              intervalSeconds: env.xks.healthCheck?.intervalSeconds ?? 10,
              healthyThreshold: env.xks.healthCheck?.healthyThreshold ?? 3,
              unhealthyThreshold: env.xks.healthCheck?.unhealthyThreshold ?? 3,
            },
          },
        }
      : {}),
    data: {
      buckets: { ...(env.data.buckets ?? {}) },
      ...(env.data.ebs ? { ebs: env.data.ebs } : {}),
      ...(fsx
        ? {
            fsx: {
              key: fsx.key,
              deploymentType: fsx.deploymentType ?? "MULTI_AZ_1",
              storageCapacityGiB: fsx.storageCapacityGiB,
              throughputPerHaPair: fsx.throughputPerHaPair,
              haPairs: fsx.haPairs ?? 1,
              subnetAzs: [...fsx.subnetAzs],
              preferredAz: fsx.preferredAz ?? fsx.subnetAzs[0],
              automaticBackupRetentionDays: fsx.automaticBackupRetentionDays ?? 30,
              clientCidrs: [...(fsx.clientCidrs ?? [env.network.cidr])],
            },
          }
        : {}),
    },
    hooks: { runner: env.hooks?.runner ?? "local", timeoutMinutes: env.hooks?.timeoutMinutes ?? 45 },
  };
}
