/**
 * Amazon FSx for NetApp ONTAP: CreateFileSystem limits and defaults, once, for the schema, the
 * validation table (`data.fsx.*`) and the FsxOntap construct.
 */
import { inRange, type Default, type Range } from "./rule";

const CREATE_ONTAP_DOC =
  "https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystemOntapConfiguration.html";
const CREATE_DOC = "https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystem.html";

/** ONTAP deployment types (CreateFileSystemOntapConfiguration DeploymentType). https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystemOntapConfiguration.html */
export const DEPLOYMENT_TYPES = ["MULTI_AZ_1", "MULTI_AZ_2", "SINGLE_AZ_1", "SINGLE_AZ_2"] as const;
export type DeploymentType = (typeof DEPLOYMENT_TYPES)[number];

/** The deployment types in words: "MULTI_AZ_1, MULTI_AZ_2, SINGLE_AZ_1 or SINGLE_AZ_2". */
export const DEPLOYMENT_TYPE_WORDS = `${DEPLOYMENT_TYPES.slice(0, -1).join(", ")} or ${DEPLOYMENT_TYPES[DEPLOYMENT_TYPES.length - 1]}`;

/** The deployment type when none is given: first-generation multi-AZ, the type with the widest Region and throughput support. */
export const DEPLOYMENT_TYPE: Default<DeploymentType> = {
  value: "MULTI_AZ_1",
  why: "multi-AZ: the file system survives the loss of an AZ",
  doc: CREATE_ONTAP_DOC,
};

/** Whether the deployment type spans two AZs (a multi-AZ HA pair). */
export const isMultiAz = (deploymentType: string): boolean => deploymentType.startsWith("MULTI_AZ");

/** AZs (subnets) a file system of the deployment type is created in: 2 for multi-AZ, 1 for single-AZ. https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystem.html (SubnetIds) */
export const subnetAzCount = (deploymentType: string): number => (isMultiAz(deploymentType) ? 2 : 1);

/**
 * Throughput per HA pair (MB/s) each deployment type allows (ThroughputCapacityPerHAPair); the
 * first of each list is the lowest, the construct's default.
 * https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystemOntapConfiguration.html
 */
export const THROUGHPUT_PER_HA_PAIR: Readonly<Record<DeploymentType, readonly number[]>> = {
  SINGLE_AZ_1: [128, 256, 512, 1024, 2048, 4096],
  MULTI_AZ_1: [128, 256, 512, 1024, 2048, 4096],
  SINGLE_AZ_2: [1536, 3072, 6144],
  MULTI_AZ_2: [384, 768, 1536, 3072, 6144],
};

/** Whether `throughput` is one the deployment type offers (false for an unknown type). */
export function throughputAllowed(deploymentType: string, throughput: unknown): boolean {
  return (THROUGHPUT_PER_HA_PAIR[deploymentType as DeploymentType] ?? []).includes(throughput as number);
}

/** HA pairs of a SINGLE_AZ_2 file system (scale-out); every other type has exactly 1 (HAPairs). */
export const HA_PAIRS: Range = { min: 1, max: 12, integer: true, doc: CREATE_ONTAP_DOC };

/** HA pairs when none are given. */
export const HA_PAIRS_DEFAULT: Default<number> = {
  value: 1,
  why: "AWS's default; the only value except for SINGLE_AZ_2",
  doc: CREATE_ONTAP_DOC,
};

/** The deployment type that scales out to more than one HA pair. */
export const SCALE_OUT_DEPLOYMENT_TYPE: DeploymentType = "SINGLE_AZ_2";

/**
 * The HA pairs the deployment type allows: exactly the default (1) for SINGLE_AZ_1 and the multi-AZ
 * types, {@link HA_PAIRS} for SINGLE_AZ_2 (and for a type this table does not know, which is refused on its own).
 */
export function haPairsRange(deploymentType: string): Range {
  const single = deploymentType === "SINGLE_AZ_1" || isMultiAz(deploymentType);
  return single ? { ...HA_PAIRS, min: HA_PAIRS_DEFAULT.value, max: HA_PAIRS_DEFAULT.value } : HA_PAIRS;
}

/** Whether `haPairs` is a number of HA pairs the deployment type allows. */
export const haPairsAllowed = (deploymentType: string, haPairs: unknown): boolean =>
  typeof haPairs === "number" && inRange(haPairsRange(deploymentType), haPairs);

/** SSD storage capacity per HA pair in GiB (StorageCapacity is this times HAPairs). https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystem.html */
export const STORAGE_CAPACITY_PER_HA_PAIR_GIB: Range = {
  min: 1024,
  max: 524288,
  integer: true,
  unit: "GiB",
  doc: CREATE_DOC,
};

/** The capacity range of a file system with `haPairs` HA pairs. */
export function storageCapacityRange(haPairs: number): Range {
  return {
    ...STORAGE_CAPACITY_PER_HA_PAIR_GIB,
    min: STORAGE_CAPACITY_PER_HA_PAIR_GIB.min * haPairs,
    max: STORAGE_CAPACITY_PER_HA_PAIR_GIB.max * haPairs,
  };
}

/** Whether `gib` is a capacity a file system with `haPairs` HA pairs may have. */
export const storageCapacityAllowed = (haPairs: number, gib: unknown): boolean =>
  typeof gib === "number" && inRange(storageCapacityRange(haPairs), gib);

/** Days of automatic backups (0 turns them off). */
export const AUTOMATIC_BACKUP_RETENTION_DAYS: Range = {
  min: 0,
  max: 90,
  integer: true,
  unit: "days",
  doc: CREATE_ONTAP_DOC,
};

/** Days of automatic backups when none are given (AWS's default). */
export const AUTOMATIC_BACKUP_RETENTION_DAYS_DEFAULT: Default<number> = {
  value: 30,
  why: "AWS's default: a month of daily backups",
  doc: CREATE_ONTAP_DOC,
};

/** Length of the `fsxadmin` password ONTAP accepts (FsxAdminPassword). https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystemOntapConfiguration.html */
export const ADMIN_PASSWORD_LENGTH: Range = { min: 8, max: 50, integer: true, unit: "chars", doc: CREATE_ONTAP_DOC };

/** Length of the generated `fsxadmin` password: letters and digits only, inside {@link ADMIN_PASSWORD_LENGTH}. */
export const ADMIN_PASSWORD_GENERATED_LENGTH: Default<number> = {
  value: 32,
  why: "32 letters and digits: inside ONTAP's range, nothing a shell or ONTAP escapes",
  doc: CREATE_ONTAP_DOC,
};

/** Terraform create/update/delete timeout: multi-AZ creation takes over an hour (a project choice, with margin). */
export const TIMEOUT_MINUTES: Default<number> = {
  value: 120,
  why: "multi-AZ creation takes over an hour",
  doc: "https://docs.aws.amazon.com/fsx/latest/ONTAPGuide/creating-file-systems.html",
};

/** The preferred file server's AZ when none is given: the first of the file system's AZs. */
export const defaultPreferredAz = (subnetAzs: readonly string[]): string => subnetAzs[0];

/** The client ranges when none are given: the VPC's own CIDR (no client outside the VPC). */
export const defaultClientCidrs = (vpcCidr: string): string[] => [vpcCidr];

/** Ports clients use on an ONTAP file system (NFS, SMB, iSCSI, management). https://docs.aws.amazon.com/fsx/latest/ONTAPGuide/limit-access-security-groups.html */
export const ONTAP_PORTS: readonly {
  readonly protocol: "tcp" | "udp";
  readonly port: number;
  readonly what: string;
}[] = [
  ...[111, 635, 2049, 4045, 4046].flatMap((port) =>
    (["tcp", "udp"] as const).map((protocol) => ({ protocol, port, what: "NFS" })),
  ),
  { protocol: "tcp", port: 445, what: "SMB" },
  { protocol: "tcp", port: 3260, what: "iSCSI" },
  { protocol: "tcp", port: 22, what: "ONTAP CLI (SSH)" },
  { protocol: "tcp", port: 443, what: "ONTAP REST API" },
];
