/**
 * AWS CloudHSM: the cluster, its HSMs, its backups and the admin host that runs the in-VPC steps.
 * Each rule names the AWS page that states it; the schema, the validation table
 * (`environments/validation/cloudhsm.ts`), the constructs (`modules/cloudhsm/`), the hook contract
 * and the `set-backup-retention` step read it from here.
 */
import type { Default, Limit, Pattern, Range } from "./rule";

/** HSM types CreateCluster takes (https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_CreateCluster.html, HsmType). */
export const HSM_TYPES = ["hsm1.medium", "hsm2m.medium"] as const;
export type HsmType = (typeof HSM_TYPES)[number];

/** The HSM type of a new cluster: hsm2m.medium, the current generation (hsm1.medium is being migrated away from). */
export const HSM_TYPE_DEFAULT: Default<HsmType> = {
  value: "hsm2m.medium",
  why: "the current HSM generation; hsm1.medium clusters are migrated to it",
  doc: "https://docs.aws.amazon.com/cloudhsm/latest/userguide/cluster-hsm-types.html",
};

/** Cluster modes CreateCluster takes (https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_CreateCluster.html, Mode). */
export const CLUSTER_MODES = ["FIPS", "NON_FIPS"] as const;
export type ClusterMode = (typeof CLUSTER_MODES)[number];

/** FIPS: the mode regulated users need (FIPS 140-3 level 3 validated HSMs); NON_FIPS only on hsm2m.medium. */
export const CLUSTER_MODE_DEFAULT: Default<ClusterMode> = {
  value: "FIPS",
  why: "FIPS-validated HSMs, what regulated users need",
  doc: "https://docs.aws.amazon.com/cloudhsm/latest/userguide/cluster-hsm-types.html",
};

/**
 * HSM types whose clusters are always FIPS and take no mode (only hsm2m.medium clusters have one):
 * https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_CreateCluster.html
 */
export const FIPS_ONLY_HSM_TYPES: readonly string[] = ["hsm1.medium"];

/** Whether a cluster of `hsmType` may run in `mode` (hsm1.medium clusters are always FIPS). */
export function modeAllowedFor(hsmType: unknown, mode: unknown): boolean {
  return !(typeof hsmType === "string" && FIPS_ONLY_HSM_TYPES.includes(hsmType)) || mode === "FIPS";
}

/**
 * Days CloudHSM keeps a cluster's backups (BackupRetentionPolicy Value, type DAYS); the last
 * backup of a cluster is never deleted by retention.
 */
export const BACKUP_RETENTION_DAYS: Range = {
  min: 7,
  max: 379,
  integer: true,
  unit: "days",
  doc: "https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_BackupRetentionPolicy.html",
};

/** A cluster's backup retention when none is set: AWS's own default, 90 days. */
export const BACKUP_RETENTION_DAYS_DEFAULT: Default<number> = {
  value: 90,
  why: "CloudHSM's own default retention",
  doc: "https://docs.aws.amazon.com/cloudhsm/latest/userguide/manage-backup-retention.html",
};

/** HSMs in one cluster (a fixed quota, not adjustable). */
export const HSMS_PER_CLUSTER: Range = {
  min: 1,
  max: 28,
  integer: true,
  unit: "HSMs",
  doc: "https://docs.aws.amazon.com/cloudhsm/latest/userguide/limits.html",
};

/**
 * ACTIVE HSMs, in as many different AZs, that a cluster needs for a KMS custom key store:
 * CreateCustomKeyStore, UpdateCustomKeyStore and CreateKey refuse fewer (ConnectCustomKeyStore
 * needs one). It is also the default number of HSMs `wait-hsms-active` and the health check ask for.
 */
export const KEY_STORE_MIN_HSMS: Limit = {
  value: 2,
  unit: "HSMs in different AZs",
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/create-keystore.html",
};

/**
 * Whether the HSM AZs give a key store what it needs: at least {@link KEY_STORE_MIN_HSMS} HSMs in
 * at least as many distinct AZs.
 */
export function hsmAzsServeKeyStore(azs: readonly unknown[]): boolean {
  return azs.length >= KEY_STORE_MIN_HSMS.value && new Set(azs).size >= KEY_STORE_MIN_HSMS.value;
}

/**
 * TCP ports of the HSMs' network interfaces (CloudHSM client and CLI); the cluster's security group
 * must admit its members on them (KMS CloudHsmClusterInvalidConfigurationException).
 */
export const CLUSTER_PORTS: Range = {
  min: 2223,
  max: 2225,
  integer: true,
  doc: "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateCustomKeyStore.html",
};

/** The admin host's instance type: the smallest burstable x86_64 type that runs the CloudHSM CLI (it idles between bootstrap steps). */
export const ADMIN_HOST_INSTANCE_TYPE_DEFAULT: Default<string> = {
  value: "t3.micro",
  why: "the smallest burstable x86_64 type; the host idles between bootstrap steps",
  doc: "https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html",
};

/** An EC2 instance type name (family, generation and attributes, a dot, the size). */
export const INSTANCE_TYPE: Pattern = {
  regex: /^[a-z][a-z0-9-]*\.[a-z0-9]+$/,
  allowed: "an EC2 instance type such as t3.micro",
  doc: "https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html",
};

/** An AMI id: `ami-` and 8 or 17 lowercase hex characters. */
export const AMI_ID: Pattern = {
  regex: /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/,
  allowed: "ami- and 8 or 17 hex characters",
  doc: "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html",
};

/** Public SSM parameter with the latest Amazon Linux 2023 AMI (x86_64): the admin host's image when none is given. */
export const ADMIN_HOST_AMI_PARAMETER_DEFAULT: Default<string> = {
  value: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
  why: "Amazon Linux 2023 has dnf, the AWS CLI and the SSM agent",
  doc: "https://docs.aws.amazon.com/linux/al2023/ug/ec2.html",
};

/** CloudHSM CLI (Client SDK 5) for Amazon Linux 2023 x86_64, as the CloudHSM user guide publishes it. */
export const ADMIN_HOST_CLI_PACKAGE_DEFAULT: Default<string> = {
  value: "https://s3.amazonaws.com/cloudhsmv2-software/CloudHsmClient/Amzn2023/cloudhsm-cli-latest.amzn2023.x86_64.rpm",
  why: "the CLI's published download (needs NAT)",
  doc: "https://docs.aws.amazon.com/cloudhsm/latest/userguide/gs_cloudhsm_cli-install.html",
};

/**
 * Where the admin host's user data may install the CLI from: an https:// URL or an
 * s3://<bucket>/<key> object ending in .rpm, with nothing a shell would interpret (the value goes
 * into the boot script). A rule of this project, shaped by the bucket naming rules
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
 */
export const ADMIN_HOST_CLI_PACKAGE: Pattern = {
  regex:
    /^(https:\/\/[A-Za-z0-9.-]+(:\d+)?\/[A-Za-z0-9._~/%+-]+\.rpm|s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/[A-Za-z0-9._~/%+-]+\.rpm)$/,
  allowed: "an https:// URL or an s3://<bucket>/<key> object ending in .rpm, without spaces or quotes",
  doc: "https://docs.aws.amazon.com/cloudhsm/latest/userguide/gs_cloudhsm_cli-install.html",
};

/** Clusters per account and Region: 4 by default (adjustable in Service Quotas, which may hold another value). */
export const CLUSTERS_PER_REGION_QUOTA_DEFAULT: Default<number> = {
  value: 4,
  why: "AWS's default quota, used when Service Quotas has no value",
  doc: "https://docs.aws.amazon.com/cloudhsm/latest/userguide/limits.html",
};

/** HSMs per account and Region: 6 by default (adjustable in Service Quotas, which may hold another value). */
export const HSMS_PER_REGION_QUOTA_DEFAULT: Default<number> = {
  value: 6,
  why: "AWS's default quota, used when Service Quotas has no value",
  doc: "https://docs.aws.amazon.com/cloudhsm/latest/userguide/limits.html",
};

/** Days a deleted backup stays restorable (DeleteBackup: PENDING_DELETION, undone by RestoreBackup) before CloudHSM deletes it. */
export const BACKUP_PENDING_DELETION_DAYS: Limit = {
  value: 7,
  unit: "days",
  doc: "https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_DeleteBackup.html",
};

/** A cluster id as CloudHSM returns it (ClusterId). */
export const CLUSTER_ID: Pattern = {
  regex: /^cluster-[2-7a-zA-Z]{11,16}$/,
  allowed: "cluster- followed by 11-16 letters and digits 2-7",
  doc: "https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_Cluster.html",
};

/** A backup id as CloudHSM returns it (BackupId). */
export const BACKUP_ID: Pattern = {
  regex: /^backup-[2-7a-zA-Z]{11,16}$/,
  allowed: "backup- followed by 11-16 letters and digits 2-7",
  doc: "https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_Backup.html",
};

/** An HSM id as CloudHSM returns it (HsmId). */
export const HSM_ID: Pattern = {
  regex: /^hsm-[2-7a-zA-Z]{11,16}$/,
  allowed: "hsm- followed by 11-16 letters and digits 2-7",
  doc: "https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_Hsm.html",
};
