import { Construct } from "constructs";
import { CLOUDWATCH, inRange, XKS } from "@cmk-stacks/aws-limits";
import { KEY_STORE_HEALTH_METRICS } from "../../hooks/contract";
import { shown, throwIfProblems } from "../core/errors";
import { HookRuntime } from "../hooks/hook-runtime";
import type { IKeyStore } from "../keystores/key-store";
import type { IAlarmTopic } from "./alarm-topic";
import { topicAlarm } from "./topic-alarm";
import { HEALTH_CHECK_STEP, healthAlarmCommon, intervalProblem, scheduleHealthCheck } from "./scheduled-check";

const STEP = HEALTH_CHECK_STEP;

export interface XksCertificateCheckProps {
  readonly topic: IAlarmTopic;
  /** The external key store (kind `xks`). */
  readonly keyStore: IKeyStore;
  /**
   * `<host>:<port>` the hook function dials to read the proxy's certificate: the internal load
   * balancer in front of the proxies (`XksProxyEndpoint.address`), in the function's own VPC. The
   * private DNS name resolves only through KMS's interface endpoint, and the certificate is still
   * checked against it (SNI and the name match).
   */
  readonly proxyAddress: string;
  /** Alarm when the certificate expires in fewer days, within {@link CLOUDWATCH.XKS_CERTIFICATE_DAYS}. @default - the rulebook's {@link CLOUDWATCH.XKS_CERTIFICATE_DAYS_DEFAULT} */
  readonly certificateDays?: number;
  /** Minutes between checks, within {@link CLOUDWATCH.HEALTH_CHECK_INTERVAL_MINUTES}. @default - the rulebook's {@link XKS.CERTIFICATE_CHECK_INTERVAL_MINUTES_DEFAULT} */
  readonly intervalMinutes?: number;
}

/**
 * The XKS proxy's certificate expiry, watched by this stack itself: KMS's
 * `XksProxyCertificateDaysToExpire` shows no value when the certificate's subject CN holds a wildcard
 * (https://docs.aws.amazon.com/kms/latest/developerguide/xks-monitoring.html), so the alarm on that
 * metric (KeyStoreAlarms) never fires for such a certificate. The stack's hook function runs
 * `check-key-store-health` on an EventBridge schedule; the step reads the certificate on a TLS
 * handshake through the load balancer (the function's security group allows HTTPS to the VPC, where
 * the internal load balancer listens; its own security group admits the VPC), publishes the days to
 * expiry, and one alarm watches them with the same threshold as the KMS metric's alarm. Missing data
 * is a breach: a check that cannot read the certificate (proxy or load balancer down, permissions, a
 * deleted function) alarms too.
 */
export class XksCertificateCheck extends Construct {
  constructor(scope: Construct, id: string, props: XksCertificateCheckProps) {
    super(scope, id);
    const certificateDays = props.certificateDays ?? CLOUDWATCH.XKS_CERTIFICATE_DAYS_DEFAULT.value;
    const interval = props.intervalMinutes ?? XKS.CERTIFICATE_CHECK_INTERVAL_MINUTES_DEFAULT.value;
    const days = CLOUDWATCH.XKS_CERTIFICATE_DAYS;
    const runtime = HookRuntime.of(this);
    const at = this.node.path;
    const problems: string[] = [];
    if (props.keyStore.kind !== "xks")
      problems.push(`${at}.keyStore: ${shown(props.keyStore.kind)} is not allowed (an external key store)`);
    if (!inRange(days, certificateDays))
      problems.push(
        `${at}.certificateDays: ${shown(certificateDays)} is not allowed (${days.min} to ${days.max} ${days.unit})`,
      );
    const badInterval = intervalProblem(at, interval);
    if (badInterval) problems.push(badInterval);
    if (runtime.runner !== "lambda" || !runtime.network)
      problems.push(
        `${at}: the stack's HookRuntime runner ${shown(runtime.runner)} is not allowed (the check runs on a schedule in the hook Lambda function, in the VPC that reaches the load balancer: the lambda runner, with its network)`,
      );
    throwIfProblems(problems);

    // As for the CloudHSM check: nothing runs (and nothing alarms) before the store is connected.
    const { afterConnect } = scheduleHealthCheck(this, {
      runtime,
      keyStore: props.keyStore,
      args: { "key-store-id": props.keyStore.keyStoreId, "connect-to": props.proxyAddress },
      ruleName: `${props.topic.alarmNamePrefix}xks-certificate`,
      description: `Runs ${STEP} for ${props.keyStore.keyStoreId} every ${interval} minutes (the XKS proxy's certificate)`,
      intervalMinutes: interval,
      statementId: "xks-certificate-schedule",
      input: { connectTo: props.proxyAddress },
    });
    topicAlarm(
      this,
      "xks-certificate-checked",
      props.topic,
      `The XKS proxy's TLS certificate (or a CA certificate of its chain) expires in fewer than ${certificateDays} days, or the scheduled ${STEP} could not read it: once expired, every key in the external key store is unusable. This alarm also covers wildcard certificates, for which KMS publishes no XksProxyCertificateDaysToExpire. See the ${STEP} lines in the hook function's log`,
      {
        ...healthAlarmCommon(props.keyStore, interval, afterConnect),
        metricName: KEY_STORE_HEALTH_METRICS.xksCertificateDays,
        threshold: certificateDays,
      },
    );
  }
}
