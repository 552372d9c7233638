import type { Construct } from "constructs";
import {
  CloudwatchMetricAlarm,
  type CloudwatchMetricAlarmConfig,
} from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { IAlarmTopic } from "./alarm-topic";

/** What differs between alarms: the metric (or query), threshold and evaluation. */
export type AlarmSpec = Omit<
  CloudwatchMetricAlarmConfig,
  "alarmName" | "alarmActions" | "okActions" | "alarmDescription"
>;

/**
 * A CloudWatch alarm named `<topic prefix><name>`, registered with the topic (whose policies admit
 * exactly the registered alarms), that notifies the topic when it fires and when it recovers.
 */
export function topicAlarm(
  scope: Construct,
  name: string,
  topic: IAlarmTopic,
  description: string,
  spec: AlarmSpec,
): CloudwatchMetricAlarm {
  const alarmName = `${topic.alarmNamePrefix}${name}`;
  // The topic's policies admit this alarm by its exact ARN (modules/alarms/alarm-topic.ts).
  topic.admitAlarm?.(alarmName);
  return new CloudwatchMetricAlarm(scope, name, {
    ...spec,
    alarmName,
    alarmDescription: description,
    alarmActions: [topic.topicArn],
    okActions: [topic.topicArn],
  });
}

/** A Metrics Insights query as an alarm's only series (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-alarms.html). */
export function insightsQuery(
  query: string,
  periodSeconds: number,
  label: string,
): Pick<CloudwatchMetricAlarmConfig, "metricQuery"> {
  return { metricQuery: [{ id: "q1", expression: query, period: periodSeconds, label, returnData: true }] };
}
