/**
 * CloudWatch alarms and their schedule: the thresholds a user may set and their defaults. The schema,
 * the validation table (`environments/validation/alarms.ts`) and the alarm constructs
 * (`modules/alarms/`) read them from here.
 */
import type { Default, Limit, Pattern, Range } from "./rule";

/** What a share allows, in words. */
export const SHARE_WORDS = "greater than 0 and at most 1";

/** A share of a limit: a number greater than 0 and at most 1. */
export function isShare(v: unknown): boolean {
  return typeof v === "number" && Number.isFinite(v) && v > 0 && v <= 1;
}

/**
 * Share of the account's KMS request quota at which the quota alarm fires: 0.8. The alarm compares
 * a minute's average with the per-second quota, so a minute below the share can still hold
 * throttled seconds; 1 would alarm too late.
 */
export const REQUEST_QUOTA_SHARE_DEFAULT: Default<number> = {
  value: 0.8,
  why: "a minute's average below the quota can still hold throttled seconds",
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html",
};

/** Days before the XKS proxy's TLS certificate expires at which to alarm: 1-365 (project rule; AWS suggests at least 10). */
export const XKS_CERTIFICATE_DAYS: Range = {
  min: 1,
  max: 365,
  integer: true,
  unit: "days",
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/xks-alarms.html",
};

/** 30 days: a certificate renewal through change control takes longer than AWS's suggested 10. */
export const XKS_CERTIFICATE_DAYS_DEFAULT: Default<number> = {
  value: 30,
  why: "a renewal through change control takes longer than the 10 days AWS suggests",
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/xks-alarms.html",
};

/** Share of KMS's XKS proxy timeout above which the average latency alarms: 0.8 (AWS's suggested 200 ms of 250). */
export const XKS_LATENCY_SHARE_DEFAULT: Default<number> = {
  value: 0.8,
  why: "AWS suggests alarming at 200 ms of the 250 ms timeout",
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/xks-alarms.html",
};

/** Age of the XKS proxy credential (XksProxyCredentialAge) above which to alarm: 1-730 days (project rule). */
export const XKS_CREDENTIAL_ROTATION_DAYS: Range = {
  min: 1,
  max: 730,
  integer: true,
  unit: "days",
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html",
};

/** A 90-day rotation policy for the XKS proxy credential. */
export const XKS_CREDENTIAL_ROTATION_DAYS_DEFAULT: Default<number> = {
  value: 90,
  why: "a common rotation policy for access keys",
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html",
};

/** Minutes between two scheduled CloudHSM key store health checks: 1-60 (an EventBridge rate expression; project rule above an hour). */
export const HEALTH_CHECK_INTERVAL_MINUTES: Range = {
  min: 1,
  max: 60,
  integer: true,
  unit: "minutes",
  doc: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html",
};

/** A health check every 5 minutes. */
export const HEALTH_CHECK_INTERVAL_MINUTES_DEFAULT: Default<number> = {
  value: 5,
  why: "a store's outage is noticed within 15 minutes (3 missed checks) at a small cost",
  doc: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html",
};

/**
 * Period of the external key store alarms AWS recommends on certificate expiry (Minimum) and proxy
 * latency (Average): 5 minutes; the throttling alarm of every custom key store uses it too.
 */
export const XKS_ALARM_PERIOD_SECONDS: Limit = {
  value: 300,
  unit: "seconds",
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/xks-alarms.html",
};

/** XKS proxy errors (each ErrorType) in one minute above which AWS recommends alarming: 5. */
export const XKS_PROXY_ERRORS_PER_MINUTE: Limit = {
  value: 5,
  unit: "errors",
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/xks-alarms.html",
};

/**
 * Largest SNS topic policy: 30 KB (SetTopicAttributes Policy; IAM Access Analyzer's SnsTopicConfiguration
 * gives 30,720 characters). The alarm topic lists its alarms' ARNs while they fit.
 */
export const SNS_TOPIC_POLICY_MAX_BYTES: Limit = {
  value: 30720,
  unit: "bytes",
  doc: "https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html#sns-policy-quotas",
};

/** Period of XksProxyCredentialAge (published about hourly): one hour. */
export const XKS_CREDENTIAL_AGE_PERIOD_SECONDS: Limit = {
  value: 3600,
  unit: "seconds",
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html",
};

/**
 * The account request quota alarm: 1-minute sums of AWS/Usage CallCount, alarming when 3 of 5
 * minutes reach the share (project rule: one busy minute does not page anyone).
 */
export const REQUEST_QUOTA_ALARM = {
  periodSeconds: 60,
  evaluationPeriods: 5,
  datapointsToAlarm: 3,
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html",
} as const;

/** Health checks in one alarm period: one late or failed run does not alarm, three in a row do (project rule). */
export const HEALTH_CHECKS_PER_ALARM_PERIOD: Limit = {
  value: 3,
  unit: "checks",
  doc: "project rule: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html",
};

/** Days the hook function's log group keeps its logs (one of the values PutRetentionPolicy takes): a year, for audit. */
export const HOOK_LOG_RETENTION_DAYS_DEFAULT: Default<number> = {
  value: 365,
  why: "a year of bootstrap and health check logs, for audit",
  doc: "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html",
};

/**
 * A CloudWatch Logs log group name: 1-512 characters of letters, digits and `_ - . / #` (CreateLogGroup
 * `logGroupName`, pattern `[\.\-_/#A-Za-z0-9]+`).
 */
export const LOG_GROUP_NAME: Pattern = {
  regex: /^[\w./#-]{1,512}$/,
  allowed: "1-512 letters, digits and _ - . / #",
  doc: "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
};
