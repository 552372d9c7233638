import { Construct } from "constructs";
import { CLOUDHSM, CLOUDWATCH, inRange } from "@cmk-stacks/aws-limits";
import { KEY_STORE_HEALTH_METRICS } from "../../hooks/contract";
import { shown, throwIfProblems } from "../core/errors";
import { HookRuntime } from "../hooks/hook-runtime";
import type { IKeyStore } from "../keystores/key-store";
import type { IAlarmTopic } from "./alarm-topic";
import { topicAlarm } from "./topic-alarm";
import { HEALTH_CHECK_STEP, healthAlarmCommon, intervalProblem, scheduleHealthCheck } from "./scheduled-check";
import type { ScaleWindow } from "../../hooks/lib/scale-window";

const STEP = HEALTH_CHECK_STEP;

export interface CloudHsmHealthCheckProps {
  readonly topic: IAlarmTopic;
  /** The CloudHSM key store (kind `cloudhsm`). */
  readonly keyStore: IKeyStore;
  /** Its cluster. */
  readonly clusterId: string;
  /**
   * Alarm when fewer HSMs are ACTIVE, within {@link CLOUDHSM.HSMS_PER_CLUSTER}.
   * @default - the rulebook's {@link CLOUDHSM.KEY_STORE_MIN_HSMS} (KMS needs 2 ACTIVE HSMs to connect the store and create keys)
   */
  readonly minActiveHsms?: number;
  /** Minutes between checks, within {@link CLOUDWATCH.HEALTH_CHECK_INTERVAL_MINUTES}. @default - the rulebook's {@link CLOUDWATCH.HEALTH_CHECK_INTERVAL_MINUTES_DEFAULT} */
  readonly intervalMinutes?: number;
  /**
   * The cluster's scale-to-zero window (`CloudHsm.scaleWindow`): the check publishes whether the
   * cluster is down on schedule, and both alarms ignore a DISCONNECTED store and missing HSMs while
   * it is; outside the window they fire as always. @default - none (the HSMs run around the clock)
   */
  readonly scaleWindow?: ScaleWindow;
}

/**
 * A CloudHSM key store that leaves CONNECTED, and a cluster with too few ACTIVE HSMs. Neither
 * raises an event (KMS emits EventBridge events only for key rotation, expiry and deletion:
 * https://docs.aws.amazon.com/kms/latest/developerguide/kms-events.html; CloudHSM publishes no HSM
 * count metric: https://docs.aws.amazon.com/cloudhsm/latest/userguide/hsm-metrics-cw.html), and a
 * rule on CloudTrail API calls would miss the failures nobody called an API for. So the stack's hook
 * function runs the `check-key-store-health` step on an EventBridge schedule; the step publishes
 * both values as metrics and two alarms watch them. Missing data is a breach: a check that cannot
 * run (permissions, network, a deleted function) alarms as well.
 */
export class CloudHsmHealthCheck extends Construct {
  constructor(scope: Construct, id: string, props: CloudHsmHealthCheckProps) {
    super(scope, id);
    const minHsms = props.minActiveHsms ?? CLOUDHSM.KEY_STORE_MIN_HSMS.value;
    const interval = props.intervalMinutes ?? CLOUDWATCH.HEALTH_CHECK_INTERVAL_MINUTES_DEFAULT.value;
    const hsms = CLOUDHSM.HSMS_PER_CLUSTER;
    const runtime = HookRuntime.of(this);
    const at = this.node.path;
    const problems: string[] = [];
    if (props.keyStore.kind !== "cloudhsm")
      problems.push(
        `${at}.keyStore: ${shown(props.keyStore.kind)} is not allowed (a CloudHSM key store; external key stores have KMS metrics of their own)`,
      );
    if (!inRange(hsms, minHsms))
      problems.push(
        `${at}.minActiveHsms: ${shown(minHsms)} is not allowed (${hsms.min} to ${hsms.max}, HSMs per CloudHSM cluster)`,
      );
    const badInterval = intervalProblem(at, interval);
    if (badInterval) problems.push(badInterval);
    if (runtime.runner !== "lambda" || !runtime.network) {
      problems.push(
        `${at}: the stack's HookRuntime runner ${shown(runtime.runner)} is not allowed (the check runs on a schedule in the hook Lambda function: the lambda runner, with its network)`,
      );
    }
    throwIfProblems(problems);

    const args = { "key-store-id": props.keyStore.keyStoreId, "cluster-id": props.clusterId };
    const w = props.scaleWindow;
    const windowInput = w
      ? { downAt: w.downAt, upAt: w.upAt, weekdays: w.weekdays.join(","), timezone: w.timezone, upMinutes: w.upMinutes }
      : {};
    // Checks (and the alarms, which count a missing check as a breach) start once the store is
    // connected, so a first deploy does not page anyone while KMS is still connecting it.
    const { fn, afterConnect } = scheduleHealthCheck(this, {
      runtime,
      keyStore: props.keyStore,
      args,
      ruleName: `${props.topic.alarmNamePrefix}cloudhsm-health`,
      description: `Runs ${STEP} for ${props.keyStore.keyStoreId} every ${interval} minutes`,
      intervalMinutes: interval,
      statementId: "cloudhsm-health-schedule",
      input: { clusterId: props.clusterId, minHsms },
      trailingInput: windowInput,
    });

    // Three checks per period: one late or failed run does not alarm, three do.
    const common = healthAlarmCommon(props.keyStore, interval, afterConnect);
    const connectedWhy = `The CloudHSM key store ${props.keyStore.keyStoreId} is not CONNECTED (or its health check did not run): its keys are unusable. See the ${STEP} lines in the hook function's log`;
    const hsmsWhy = `Fewer than ${minHsms} ACTIVE HSMs in ${props.clusterId} (or the health check did not run): one more failure and the key store's keys are unusable. Add an HSM`;
    if (!w) {
      topicAlarm(this, "cloudhsm-store-not-connected", props.topic, connectedWhy, {
        ...common,
        metricName: KEY_STORE_HEALTH_METRICS.connected,
        threshold: 1,
      });
      topicAlarm(this, "cloudhsm-active-hsms", props.topic, hsmsWhy, {
        ...common,
        metricName: KEY_STORE_HEALTH_METRICS.activeHsms,
        threshold: minHsms,
      });
      return;
    }
    // A scale run that fails (no READY backup, a refused DeleteHsm/CreateHsm, a last invocation still
    // waiting) leaves HSMs billing at night or the store down in the morning: the hook function's
    // errors alarm (any failed invocation of it; its log says which step).
    topicAlarm(
      this,
      "cloudhsm-scale-run-failed",
      props.topic,
      `The hook function ${fn.functionName} failed (a scale-down or scale-up of ${props.clusterId}, or another step it ran): the HSMs may still be billing or the key store still down. See its log`,
      {
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: fn.functionName },
        statistic: "Sum",
        period: interval * 60,
        evaluationPeriods: 1,
        comparisonOperator: "GreaterThanThreshold",
        threshold: 0,
        treatMissingData: "notBreaching",
        dependsOn: afterConnect,
      },
    );
    // Scale to zero: while the check reports the cluster down on schedule (ScaledDownOnSchedule 1)
    // the expressions read as healthy; a missing check still leaves no data, which breaches.
    const { namespace, dimensions, statistic, period, ...rest } = common;
    const metric = (id: string, metricName: string) => ({
      id,
      returnData: false,
      metric: { namespace, metricName, dimensions, stat: statistic, period },
    });
    const scaled = metric("scaled", KEY_STORE_HEALTH_METRICS.scaledDown);
    const outside = `outside the scale-to-zero window (${w.downAt}-${w.upAt} ${w.timezone}, ${w.weekdays.join(",")})`;
    topicAlarm(this, "cloudhsm-store-not-connected", props.topic, `${connectedWhy}; ${outside}`, {
      ...rest,
      threshold: 1,
      metricQuery: [
        metric("connected", KEY_STORE_HEALTH_METRICS.connected),
        scaled,
        { id: "e1", expression: "MAX([connected, scaled])", label: "connected or down on schedule", returnData: true },
      ],
    });
    topicAlarm(this, "cloudhsm-active-hsms", props.topic, `${hsmsWhy}; ${outside}`, {
      ...rest,
      threshold: minHsms,
      metricQuery: [
        metric("hsms", KEY_STORE_HEALTH_METRICS.activeHsms),
        scaled,
        {
          id: "e1",
          expression: `IF(scaled >= 1, ${minHsms}, hsms)`,
          label: "ACTIVE HSMs (the minimum while down on schedule)",
          returnData: true,
        },
      ],
    });
  }
}
