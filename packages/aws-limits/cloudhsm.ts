/**
 * AWS CloudHSM: the cluster, its HSMs, its backups and the admin host that runs the in-VPC steps.
 * Each rule names the AWS page that states it; the schema, the validation table
 * (`environments/validation/cloudhsm.ts`), the constructs (`modules/cloudhsm/`), the hook contract
 * and the `set-backup-retention` step read it from here.
 */
import type { Default, Limit, Pattern, Range } from "./rule";

/** An HSM type as ModifyCluster HsmType takes it (at most 32 characters). */
export const HSM_TYPE: Pattern = {
  regex: /^(?=.{1,32}$)p?hsm[0-9][a-z.]*\.[a-zA-Z]+$/,
  allowed: "an HSM type such as hsm2m.medium",
  doc: "https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_ModifyCluster.html",
};

/** An HSM id (CreateHsm returns it; DeleteHsm HsmId). */
export const HSM_ID: Pattern = {
  regex: /^hsm-[2-7a-zA-Z]{11,16}$/,
  allowed: "hsm- followed by 11-16 letters and digits 2-7",
  doc: "https://docs.aws.amazon.com/cloudhsm/latest/APIReference/API_DeleteHsm.html",
};

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
 * The HSM each position of hsmAzs imports: the `adoptHsms` entry named `<az>-<n>` (the n-th HSM in
 * that AZ), else the restored cluster's HSM at that index (`restored.hsmIds`), as HsmCluster
 * synthesizes the import blocks. Terraform expects each remote object at one resource address only
 * ("If you import the same object multiple times, Terraform may exhibit unwanted behavior",
 * https://developer.hashicorp.com/terraform/cli/import): an HSM imported at two addresses would be
 * managed twice, and destroyed with either. Returns every import of an id an earlier position
 * already imports, each with the field that names it and the field of the first import; an id twice
 * in restoredHsmIds alone is left to the rule that lists those ids each once.
 */
export function hsmsImportedTwice(
  hsmAzs: readonly unknown[],
  adoptHsms: Readonly<Record<string, unknown>> | undefined,
  restoredHsmIds: readonly unknown[] | undefined,
): { readonly field: string; readonly hsmId: string; readonly first: string }[] {
  const seenPerAz: Record<string, number> = {};
  const first = new Map<string, string>();
  const twice: { field: string; hsmId: string; first: string }[] = [];
  hsmAzs.forEach((az, i) => {
    if (typeof az !== "string") return;
    const name = `${az}-${(seenPerAz[az] = (seenPerAz[az] ?? 0) + 1)}`;
    const adopted = adoptHsms !== undefined && Object.prototype.hasOwnProperty.call(adoptHsms, name);
    const id = adopted ? adoptHsms[name] : restoredHsmIds?.[i];
    if (typeof id !== "string") return;
    const field = adopted ? `adoptHsms.${name}` : `restored.hsmIds.${i}`;
    const earlier = first.get(id);
    if (earlier === undefined) first.set(id, field);
    else if (adopted || !earlier.startsWith("restored.")) twice.push({ field, hsmId: id, first: earlier });
  });
  return twice;
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

/**
 * Days of the week a scale-to-zero schedule (`cloudHsm.scaleToZero.weekdays`) may name: the
 * day-of-week names of an EventBridge Scheduler cron expression
 * (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based).
 */
export const SCALE_WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"] as const;
export type ScaleWeekday = (typeof SCALE_WEEKDAYS)[number];

/** Default days of a scale-to-zero schedule: working days (the HSMs stay down from Friday evening to Monday morning). */
export const SCALE_WEEKDAYS_DEFAULT: Default<readonly ScaleWeekday[]> = {
  value: ["MON", "TUE", "WED", "THU", "FRI"],
  why: "working days: the HSMs are down every night and from Friday's scale-down to Monday's scale-up",
  doc: "https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html",
};

/** A wall-clock time of a scale-to-zero schedule (the hours and minutes fields of a Scheduler cron expression). */
export const SCALE_CLOCK_TIME: Pattern = {
  regex: /^(?:[01]\d|2[0-3]):[0-5]\d$/,
  allowed: "HH:MM on a 24-hour clock (00:00 to 23:59)",
  doc: "https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html",
};

/** The time zone a scale-to-zero schedule runs in (Scheduler ScheduleExpressionTimezone: an IANA name). */
export const SCALE_TIMEZONE: Pattern = {
  regex: /^(?:UTC|[A-Z][A-Za-z_-]+(?:\/[A-Za-z0-9_+-]+){1,2})$/,
  allowed: "an IANA time zone name such as UTC or Europe/Berlin",
  doc: "https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html",
};

/** Default time zone of a scale-to-zero schedule. */
export const SCALE_TIMEZONE_DEFAULT: Default<string> = {
  value: "UTC",
  why: "the Scheduler's own default; name your office's zone so the schedule follows daylight saving time",
  doc: "https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html",
};

/**
 * Words that make an environment production-like for scale-to-zero (this project's rule, not
 * AWS's): an environment whose name holds one as a `-`-separated word, or whose Environment, Env,
 * Stage or Tier tag equals one, is refused `cloudHsm.scaleToZero` (a scheduled key store outage).
 */
export const PROD_LIKE_WORDS = ["prod", "production", "prd", "live"] as const;

/** Tag keys (any case) whose value says which tier an environment is; see {@link PROD_LIKE_WORDS}. */
export const TIER_TAG_KEYS = ["environment", "env", "stage", "tier"] as const;

/** Whether an environment's name or tier tags mark it production-like ({@link PROD_LIKE_WORDS}). */
export function prodLikeBy(name: unknown, tags: unknown): { readonly name: boolean; readonly tags: string[] } {
  const words = PROD_LIKE_WORDS as readonly string[];
  const byName =
    typeof name === "string" &&
    name
      .toLowerCase()
      .split("-")
      .some((w) => words.includes(w));
  const byTags =
    tags !== null && typeof tags === "object"
      ? Object.entries(tags as Record<string, unknown>)
          .filter(
            ([k, v]) =>
              (TIER_TAG_KEYS as readonly string[]).includes(k.toLowerCase()) &&
              typeof v === "string" &&
              words.includes(v.trim().toLowerCase()),
          )
          .map(([k]) => k)
      : [];
  return { name: byName, tags: byTags };
}

/**
 * What AWS charges for CloudHSM: per HSM and hour, from creation to deletion, whatever the load.
 * The figure differs by Region and HSM type: read it there.
 */
export const PRICING_PAGE = "https://aws.amazon.com/cloudhsm/pricing/";
/**
 * HSM type changes AWS documents for an existing cluster: ModifyCluster(HsmType) replaces the HSMs
 * one at a time, in place (same IPs), with a backup before each; never a new cluster. Any other
 * change of `hsmType` is a new cluster (`hsm_type` is ForceNew in the AWS provider), which this
 * project never plans. https://docs.aws.amazon.com/cloudhsm/latest/userguide/hsm1-to-hsm2-migration.html
 */
export const HSM_TYPE_MIGRATIONS: readonly { readonly from: HsmType; readonly to: HsmType }[] = [
  { from: "hsm1.medium", to: "hsm2m.medium" },
];

/** Page of the documented HSM type migration (ModifyCluster HsmType, limited-write mode, rollback). */
export const HSM_TYPE_MIGRATION_DOC =
  "https://docs.aws.amazon.com/cloudhsm/latest/userguide/hsm1-to-hsm2-migration.html";

/** Whether AWS documents changing a cluster's HSM type from `from` to `to` in place (ModifyCluster). */
export function hsmTypeMigrationDocumented(from: unknown, to: unknown): boolean {
  return HSM_TYPE_MIGRATIONS.some((m) => m.from === from && m.to === to);
}

/** Minutes AWS gives for migrating one HSM ("each individual HSM migration takes approximately 30 minutes"). */
export const HSM_TYPE_MIGRATION_MINUTES_PER_HSM: Limit = {
  value: 30,
  unit: "minutes per HSM",
  doc: HSM_TYPE_MIGRATION_DOC,
};

/**
 * How long a `migrate-hsm-type` run waits: AWS's per-HSM time for every HSM of the cluster plus one
 * HSM's time of margin (AWS says "approximately"). Past it the step stops waiting (the migration
 * goes on at AWS) and says so; a re-run resumes the wait.
 */
export function hsmTypeMigrationWaitMinutes(hsms: number): number {
  return (Math.max(hsms, 1) + 1) * HSM_TYPE_MIGRATION_MINUTES_PER_HSM.value;
}

/**
 * Hours after a migration starts during which it can be rolled back by hand (ModifyCluster back to
 * the original type); DescribeClusters gives the end as `HsmTypeRollbackExpiration`.
 */
export const HSM_TYPE_ROLLBACK_HOURS: Limit = {
  value: 24,
  unit: "hours",
  doc: HSM_TYPE_MIGRATION_DOC,
};

/**
 * HSM types whose clusters a KMS CloudHSM key store accepts (CreateCustomKeyStore /
 * UpdateCustomKeyStore CloudHsmClusterId). Checked on 2026-12-07 from AWS's pages: an earlier
 * English copy of "Migrating from hsm1.medium to hsm2m.medium" ({@link HSM_TYPE_MIGRATION_DOC})
 * carried the warning "AWS KMS CloudHSM key stores don't support hsm2m.medium clusters. Do not
 * migrate until support is added."; the current rendering of the same page
 * (https://docs.aws.amazon.com/pt_br/cloudhsm/latest/userguide/hsm1-to-hsm2-migration.html) no longer
 * has it, the KMS prerequisites (https://docs.aws.amazon.com/kms/latest/developerguide/create-keystore.html)
 * name no HSM type, and hsm1.medium is past its end of support (new clusters are hsm2m.medium), so
 * both types are accepted. Should AWS state a restriction again, remove the type here: validation
 * then refuses it for a key store's cluster with {@link KEY_STORE_HSM_TYPES_DOC} linked.
 */
export const KEY_STORE_HSM_TYPES: readonly HsmType[] = ["hsm1.medium", "hsm2m.medium"];

/** The page that states which clusters a key store accepts (linked by the refusal). */
export const KEY_STORE_HSM_TYPES_DOC = HSM_TYPE_MIGRATION_DOC;

/** Whether a KMS CloudHSM key store accepts a cluster of `hsmType` ({@link KEY_STORE_HSM_TYPES} unless given). */
export function keyStoreAcceptsHsmType(hsmType: unknown, accepted: readonly string[] = KEY_STORE_HSM_TYPES): boolean {
  return typeof hsmType === "string" && accepted.includes(hsmType);
}
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
