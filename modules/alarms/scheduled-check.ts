import type { Construct } from "constructs";
import { CLOUDWATCH, HOOKS, inRange } from "@cmk-stacks/aws-limits";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { KEY_STORE_HEALTH_METRICS } from "../../hooks/contract";
import { shown } from "../core/errors";
import type { HookRuntime } from "../hooks/hook-runtime";
import type { IKeyStore } from "../keystores/key-store";
import type { AlarmSpec } from "./topic-alarm";

/** The hook step the scheduled health checks run. */
export const HEALTH_CHECK_STEP = "check-key-store-health";

/** The problem with a check's `intervalMinutes`, if any (an EventBridge rate expression's range). */
export function intervalProblem(at: string, interval: number): string | undefined {
  const every = CLOUDWATCH.HEALTH_CHECK_INTERVAL_MINUTES;
  if (inRange(every, interval)) return undefined;
  return `${at}.intervalMinutes: ${shown(interval)} is not allowed (${every.min} to ${every.max} ${every.unit}, EventBridge rate expression)`;
}

export interface ScheduledHealthCheckProps {
  readonly runtime: HookRuntime;
  readonly keyStore: IKeyStore;
  /** The step's arguments the function's role is granted for. */
  readonly args: Record<string, string>;
  /** The schedule rule's name. */
  readonly ruleName: string;
  readonly description: string;
  readonly intervalMinutes: number;
  /** The Lambda permission's statement id. */
  readonly statementId: string;
  /** Step input after `step` and `keyStoreId`. */
  readonly input: Record<string, unknown>;
  /** Step input after `timeoutMinutes`. */
  readonly trailingInput?: Record<string, unknown>;
}

/**
 * The schedule that runs {@link HEALTH_CHECK_STEP} in the stack's hook Lambda function: the step's
 * grant, an EventBridge rule (created once the key store is connected, so a first deploy does not
 * page anyone while KMS is still connecting it), its target and the permission to invoke the
 * function. The constructs are created in `scope` itself. Returns the function and the dependencies
 * the alarms on the check's metrics take.
 */
export function scheduleHealthCheck(scope: Construct, props: ScheduledHealthCheckProps) {
  const { runtime, keyStore, intervalMinutes: interval } = props;
  runtime.grantStep(HEALTH_CHECK_STEP, props.args);
  const fn = runtime.lambda();
  const afterConnect = [...keyStore.readyWhen];
  const rule = new CloudwatchEventRule(scope, "schedule", {
    dependsOn: afterConnect,
    name: props.ruleName,
    description: props.description,
    scheduleExpression: interval === 1 ? "rate(1 minute)" : `rate(${interval} minutes)`,
  });
  new CloudwatchEventTarget(scope, "target", {
    rule: rule.name,
    arn: fn.arn,
    // A check that cannot answer in time fails (no metric: the alarms fire) instead of running for
    // the function's 15 minutes and piling up behind the next ones (HOOKS.HEALTH_CHECK_TIMEOUT_MINUTES).
    input: JSON.stringify({
      step: HEALTH_CHECK_STEP,
      keyStoreId: keyStore.keyStoreId,
      ...props.input,
      timeoutMinutes: HOOKS.HEALTH_CHECK_TIMEOUT_MINUTES.value,
      ...props.trailingInput,
    }),
  });
  new LambdaPermission(scope, "invoke", {
    statementId: props.statementId,
    action: "lambda:InvokeFunction",
    functionName: fn.functionName,
    principal: "events.amazonaws.com",
    sourceArn: rule.arn,
  });
  return { fn, afterConnect };
}

/**
 * What the alarms on a check's metric share: the key store's dimension, the minimum over
 * {@link CLOUDWATCH.HEALTH_CHECKS_PER_ALARM_PERIOD} checks (one late or failed run does not alarm,
 * all of them do), below the threshold, and missing data as a breach (a check that cannot run alarms).
 */
export function healthAlarmCommon(keyStore: IKeyStore, interval: number, afterConnect: AlarmSpec["dependsOn"]) {
  return {
    namespace: KEY_STORE_HEALTH_METRICS.namespace,
    dimensions: { CustomKeyStoreId: keyStore.keyStoreId },
    statistic: "Minimum",
    period: interval * 60 * CLOUDWATCH.HEALTH_CHECKS_PER_ALARM_PERIOD.value,
    evaluationPeriods: 1,
    comparisonOperator: "LessThanThreshold",
    treatMissingData: "breaching",
    dependsOn: afterConnect,
  };
}
