import { Construct } from "constructs";
import { CLOUDWATCH, inRange, XKS } from "@cmk-stacks/aws-limits";
import { shown, throwIfProblems } from "../core/errors";
import type { IKeyStore } from "../keystores/key-store";
import type { IAlarmTopic } from "./alarm-topic";
import { insightsQuery, topicAlarm } from "./topic-alarm";

/** The KMS timeout for an XKS proxy answer: the rulebook's {@link XKS.PROXY_TIMEOUT_MS}. */
export const XKS_TIMEOUT_MS = XKS.PROXY_TIMEOUT_MS.value;

export interface KeyStoreAlarmsProps {
  readonly topic: IAlarmTopic;
  readonly keyStore: IKeyStore;
  /** XKS only: alarm when the proxy's TLS certificate expires in fewer days, within {@link CLOUDWATCH.XKS_CERTIFICATE_DAYS}. @default - the rulebook's {@link CLOUDWATCH.XKS_CERTIFICATE_DAYS_DEFAULT} */
  readonly certificateDays?: number;
  /** XKS only: alarm when the average proxy latency exceeds this share of {@link XKS.PROXY_TIMEOUT_MS} ({@link CLOUDWATCH.isShare}). @default - the rulebook's {@link CLOUDWATCH.XKS_LATENCY_SHARE_DEFAULT} */
  readonly latencyShare?: number;
  /** XKS only: alarm when the proxy credential is older (XksProxyCredentialAge), within {@link CLOUDWATCH.XKS_CREDENTIAL_ROTATION_DAYS}. @default - the rulebook's {@link CLOUDWATCH.XKS_CREDENTIAL_ROTATION_DAYS_DEFAULT} */
  readonly credentialRotationDays?: number;
}

/**
 * Alarms on one custom key store, from the metrics KMS publishes in `AWS/KMS`
 * (https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html), as AWS
 * recommends for external key stores (https://docs.aws.amazon.com/kms/latest/developerguide/xks-alarms.html):
 * - every store: throttling against the custom key store request quota (1,800/s, not in Service
 *   Quotas, so no SERVICE_QUOTA alarm is possible): `CloudHSMKeyStoreThrottle` or `ExternalKeyStoreThrottle`;
 * - external key stores: `XksProxyCertificateDaysToExpire`, `XksProxyLatency`, `XksProxyErrors`
 *   by ErrorType (Retryable, Non-retryable), `XksExternalKeyManagerStates` (Degraded, Unavailable)
 *   and `XksProxyCredentialAge`.
 * Most of these metrics carry more dimensions than the store id (KmsOperation, XksOperation,
 * KeySpec, ExceptionName, CertificateName), so one alarm per store aggregates them with a Metrics
 * Insights query filtered on CustomKeyStoreId. No data (a store without traffic) is not a breach.
 */
export class KeyStoreAlarms extends Construct {
  constructor(scope: Construct, id: string, props: KeyStoreAlarmsProps) {
    super(scope, id);
    const { topic, keyStore } = props;
    const certificateDays = props.certificateDays ?? CLOUDWATCH.XKS_CERTIFICATE_DAYS_DEFAULT.value;
    const latencyShare = props.latencyShare ?? CLOUDWATCH.XKS_LATENCY_SHARE_DEFAULT.value;
    const credentialDays = props.credentialRotationDays ?? CLOUDWATCH.XKS_CREDENTIAL_ROTATION_DAYS_DEFAULT.value;
    const { XKS_CERTIFICATE_DAYS: certRange, XKS_CREDENTIAL_ROTATION_DAYS: credRange } = CLOUDWATCH;
    const at = this.node.path;
    const problems: string[] = [];
    if (keyStore.kind !== "xks") {
      for (const prop of ["certificateDays", "latencyShare", "credentialRotationDays"] as const) {
        if (props[prop] !== undefined)
          problems.push(
            `${at}.${prop}: ${shown(props[prop])} is not allowed (external key stores only; this store is ${keyStore.kind})`,
          );
      }
    }
    if (!inRange(certRange, certificateDays))
      problems.push(
        `${at}.certificateDays: ${shown(certificateDays)} is not allowed (${certRange.min} to ${certRange.max} ${certRange.unit}, XksProxyCertificateDaysToExpire)`,
      );
    if (!CLOUDWATCH.isShare(latencyShare))
      problems.push(
        `${at}.latencyShare: ${shown(latencyShare)} is not allowed (a share ${CLOUDWATCH.SHARE_WORDS} of the ${XKS_TIMEOUT_MS} ms XKS timeout)`,
      );
    if (!inRange(credRange, credentialDays))
      problems.push(
        `${at}.credentialRotationDays: ${shown(credentialDays)} is not allowed (${credRange.min} to ${credRange.max} ${credRange.unit}, XksProxyCredentialAge)`,
      );
    throwIfProblems(problems);

    const store = `CustomKeyStoreId = '${keyStore.keyStoreId}'`;
    const q = (stat: string, metric: string, where = "") =>
      `SELECT ${stat}(${metric}) FROM "AWS/KMS" WHERE ${store}${where}`;
    const throttle = keyStore.kind === "xks" ? "ExternalKeyStoreThrottle" : "CloudHSMKeyStoreThrottle";
    topicAlarm(
      this,
      `${keyStore.kind}-throttled`,
      topic,
      `KMS throttled requests to the ${keyStore.kind} key store ${keyStore.keyStoreId} (custom key store request quota, 1,800/s by default): callers see ThrottlingException`,
      {
        comparisonOperator: "GreaterThanThreshold",
        threshold: 0,
        evaluationPeriods: 1,
        treatMissingData: "notBreaching",
        ...insightsQuery(
          q("SUM", throttle),
          CLOUDWATCH.XKS_ALARM_PERIOD_SECONDS.value,
          `${throttle} (sum over operations)`,
        ),
      },
    );
    if (keyStore.kind !== "xks") return;

    // Statistics, periods and thresholds as https://docs.aws.amazon.com/kms/latest/developerguide/xks-alarms.html
    // recommends (certificate: Minimum over 5 minutes; latency: Average over 5 minutes above 200 ms;
    // errors: more than 5 in a minute, with ErrorType = 'Retryable' / 'Non-retryable' as its queries filter).
    const alarm = (
      name: string,
      description: string,
      comparisonOperator: string,
      threshold: number,
      query: string,
      label: string,
      periodSeconds = CLOUDWATCH.XKS_ALARM_PERIOD_SECONDS.value,
    ) =>
      topicAlarm(this, `xks-${name}`, topic, description, {
        comparisonOperator,
        threshold,
        evaluationPeriods: 1,
        treatMissingData: "notBreaching",
        ...insightsQuery(query, periodSeconds, label),
      });
    alarm(
      "certificate-expiry",
      `The XKS proxy's TLS certificate expires in fewer than ${certificateDays} days: once expired, every key in the external key store is unusable until it is renewed`,
      "LessThanThreshold",
      certificateDays,
      q("MIN", "XksProxyCertificateDaysToExpire"),
      "XksProxyCertificateDaysToExpire (minimum)",
    );
    const budget = Math.round(XKS_TIMEOUT_MS * latencyShare);
    const minutes = CLOUDWATCH.XKS_ALARM_PERIOD_SECONDS.value / 60;
    const errors = CLOUDWATCH.XKS_PROXY_ERRORS_PER_MINUTE.value;
    alarm(
      "latency",
      `XKS proxy answers take more than ${budget} ms on average over ${minutes} minutes (KMS gives up at ${XKS_TIMEOUT_MS} ms)`,
      "GreaterThanThreshold",
      budget,
      q("AVG", "XksProxyLatency"),
      "XksProxyLatency (average, ms)",
    );
    alarm(
      "retryable-errors",
      `More than ${errors} retryable XKS proxy errors (timeouts, network) in a minute`,
      "GreaterThanThreshold",
      errors,
      q("SUM", "XksProxyErrors", " AND ErrorType = 'Retryable'"),
      "Retryable errors",
      60,
    );
    alarm(
      "non-retryable-errors",
      `More than ${errors} non-retryable XKS proxy errors in a minute: the key store, the proxy or the external key manager is misconfigured`,
      "GreaterThanThreshold",
      errors,
      q("SUM", "XksProxyErrors", " AND ErrorType = 'Non-retryable'"),
      "Non-retryable errors",
      60,
    );
    alarm(
      "key-manager-degraded",
      "An external key manager instance behind the XKS proxy is Degraded",
      "GreaterThanThreshold",
      0,
      q("MAX", "XksExternalKeyManagerStates", " AND XksExternalKeyManagerState = 'Degraded'"),
      "external key managers Degraded",
    );
    alarm(
      "key-manager-unavailable",
      "An external key manager instance behind the XKS proxy is Unavailable",
      "GreaterThanThreshold",
      0,
      q("MAX", "XksExternalKeyManagerStates", " AND XksExternalKeyManagerState = 'Unavailable'"),
      "external key managers Unavailable",
    );
    topicAlarm(
      this,
      "xks-credential-age",
      topic,
      `The XKS proxy authentication credential is older than the ${credentialDays}-day rotation policy: add a new credential to the proxy, then run the operator step rotate-xks-credential (stack output xks_rotate_credential_command, docs/xks.md)`,
      {
        comparisonOperator: "GreaterThanThreshold",
        threshold: credentialDays,
        evaluationPeriods: 1,
        treatMissingData: "notBreaching",
        namespace: "AWS/KMS",
        metricName: "XksProxyCredentialAge",
        dimensions: { CustomKeyStoreId: keyStore.keyStoreId },
        statistic: "Maximum",
        period: CLOUDWATCH.XKS_CREDENTIAL_AGE_PERIOD_SECONDS.value,
      },
    );
  }
}
