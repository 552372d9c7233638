/**
 * Input checks shared by the runners: every id is interpolated into SSM scripts, so only known shapes pass.
 * Every pattern runs in linear time: no group that can match the same text in two ways is repeated
 * (`(\/?x+)+` tried 2^n splits of a hostile argument).
 */
import { CLOUDHSM, IAM, SECRETS_MANAGER } from "@cmk-stacks/aws-limits";

const AZ = "[a-z]{2}(?:-[a-z]+)+-\\d[a-z]";
const DAY = `(?:${CLOUDHSM.SCALE_WEEKDAYS.join("|")})`;

export const ID_PATTERNS = {
  /** The rulebook's {@link CLOUDHSM.CLUSTER_ID}. */
  clusterId: CLOUDHSM.CLUSTER_ID.regex,
  keyStoreId: /^cks-[a-z0-9]{8,24}$/,
  instanceId: /^(i|mi)-[0-9a-f]{8,17}$/,
  /** The rulebook's {@link SECRETS_MANAGER.SECRET_ARN}. */
  secretArn: SECRETS_MANAGER.SECRET_ARN.regex,
  parameterName: /^\/?[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/,
  /** The rulebook's {@link IAM.REGION}. */
  region: IAM.REGION.regex,
  ip: /^(\d{1,3}\.){3}\d{1,3}$/,
  /** `<host>:<port>`: an IPv4 address or a DNS name, and a port (rotate-xks-credential --connect-to). */
  hostPort:
    /^(?:(?:\d{1,3}\.){3}\d{1,3}|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*):\d{1,5}$/,
  /** The rulebook's {@link CLOUDHSM.HSM_TYPE} (migrate-hsm-type --hsm-type). */
  hsmType: CLOUDHSM.HSM_TYPE.regex,
  /** One of the rulebook's {@link CLOUDHSM.HSM_TYPES}, the types CreateCluster takes (restore-key-store --hsm-type). */
  createHsmType: new RegExp(`^(?:${CLOUDHSM.HSM_TYPES.map((t) => t.replace(/\./g, "\\.")).join("|")})$`),
  /** A single-Region KMS key id (a UUID), as DescribeKey returns KeyId. */
  kmsKeyId: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  /** Comma-separated AZ names, one per HSM (`eu-west-1a,eu-west-1b`; ensure-hsms --hsm-azs). */
  azList: new RegExp(`^${AZ}(?:,${AZ})*$`),
  /** The rulebook's {@link CLOUDHSM.SCALE_CLOCK_TIME} (`19:00`). */
  clockTime: CLOUDHSM.SCALE_CLOCK_TIME.regex,
  /** Comma-separated day names of {@link CLOUDHSM.SCALE_WEEKDAYS} (`MON,TUE`). */
  weekdays: new RegExp(`^${DAY}(?:,${DAY})*$`),
  /** The rulebook's {@link CLOUDHSM.SCALE_TIMEZONE} (`Europe/Berlin`). */
  timezone: CLOUDHSM.SCALE_TIMEZONE.regex,
  /** The rulebook's {@link CLOUDHSM.BACKUP_ID}. */
  backupId: CLOUDHSM.BACKUP_ID.regex,
  /** A VPC subnet id. */
  subnetId: /^subnet-[0-9a-f]{8,17}$/,
  /** Subnet ids separated by commas (restore-key-store --subnet-ids); each item starts with a literal comma, so linear. */
  subnetIds: /^subnet-[0-9a-f]{8,17}(?:,subnet-[0-9a-f]{8,17})*$/,
  /** One of the rulebook's {@link CLOUDHSM.CLUSTER_MODES}. */
  clusterMode: new RegExp(`^(?:${CLOUDHSM.CLUSTER_MODES.join("|")})$`),
  /**
   * A UTC time in ISO 8601 (`2026-12-01T10:00:00Z`), as CloudTrail shows eventTime; checkIds (and
   * {@link isIsoTime}) also refuse a day the month does not have (`2026-02-30`).
   */
  isoTime: /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,3})?)?Z$/,
} as const;

/**
 * Whether `value` is an {@link ID_PATTERNS.isoTime} time of a real calendar day: `new Date` moves
 * 2026-02-30 to March 2 instead of refusing it.
 */
export function isIsoTime(value: string): boolean {
  if (!ID_PATTERNS.isoTime.test(value)) return false;
  const at = new Date(value);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === value.slice(0, 10);
}

export type IdKind = keyof typeof ID_PATTERNS;

/** Control and invisible characters written as \uXXXX: a value in a message never moves the cursor or recolours a terminal. */
const visible = (s: string): string =>
  s.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/** Text written to a terminal (commander's own errors name the unknown option or step as typed): every control character but the line break escaped. */
export const visibleText = (s: string): string => s.split("\n").map(visible).join("\n");

/**
 * A received value as a problem line shows it (every argument kind: ids, integers, flags): control
 * and invisible characters escaped, cut after 80 characters with its length.
 */
export function shownValue(value: unknown): string {
  // A Lambda event may carry a list or an object where a value belongs: shown as JSON, not [object Object].
  const s = typeof value === "object" && value !== null ? (JSON.stringify(value) ?? "") : String(value);
  return visible(s.length > 80 ? `${s.slice(0, 80)}... (${s.length} characters)` : s);
}

/** Problems with the given ids, one message per bad value (empty when all are valid). */
export function checkIds(values: Partial<Record<IdKind, string | undefined>>): string[] {
  const problems: string[] = [];
  for (const [kind, value] of Object.entries(values) as [IdKind, string | undefined][]) {
    if (value === undefined) continue;
    if (kind === "isoTime" && ID_PATTERNS.isoTime.test(value) && !isIsoTime(value))
      problems.push(
        `'isoTime' value must be a time of a real calendar day (the month has no such day). Received: ${shownValue(value)}`,
      );
    else if (!ID_PATTERNS[kind].test(value))
      problems.push(`'${kind}' value must match ${ID_PATTERNS[kind].source}. Received: ${shownValue(value)}`);
  }
  return problems;
}
