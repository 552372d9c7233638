/**
 * The alarm on use of a key pending deletion, as AWS documents it ("Create an alarm that detects
 * use of a KMS key pending deletion",
 * https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys-creating-cloudwatch-alarm.html):
 * a metric filter on the CloudWatch Logs group that receives the account's CloudTrail trail,
 * matching KMS's "<key ARN> is pending deletion." error, and an alarm on that metric.
 *
 * The alarm also remembers which keys the teardown scheduled (one tag per key), so a later run
 * can confirm their deletion after Terraform has forgotten them; it is removed when all are gone.
 */
import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
  PutMetricAlarmCommand,
  TagResourceCommand,
} from "@aws-sdk/client-cloudwatch";
import { DeleteMetricFilterCommand, PutMetricFilterCommand } from "@aws-sdk/client-cloudwatch-logs";
import { awsErrorCode } from "../../../hooks/lib/errors";
import { day, type TeardownDeps } from "./model";

/** AWS's filter pattern, metric namespace and name, verbatim from the page above. */
export const PENDING_DELETION_FILTER = '{ $.eventSource = kms* && $.errorMessage = "* is pending deletion."}';
export const PENDING_DELETION_NAMESPACE = "CloudTrailLogMetrics";
export const PENDING_DELETION_METRIC = "KMSKeyPendingDeletionErrorCount";

/** Tag key prefix naming a key the teardown scheduled for deletion (value: its deletion day). */
export const PENDING_KEY_TAG = "cmk-stacks:pending-key:";

/** The alarm's and the metric filter's names for an environment. */
export function alarmNames(env: string): { alarm: string; filter: string } {
  return {
    alarm: `cmk-stacks-${env}-kms-key-pending-deletion-use`,
    filter: `cmk-stacks-${env}-kms-key-pending-deletion`,
  };
}

/** The alarm as it stands: its ARN, log group (from its description) and the keys it remembers. */
export interface PendingAlarm {
  readonly arn: string;
  readonly keys: ReadonlyMap<string, string>;
  readonly logGroup?: string;
}

const LOG_GROUP_MARK = "CloudTrail log group: ";

/** The environment's pending-deletion alarm, if there is one. */
export async function readAlarm(deps: TeardownDeps, env: string): Promise<PendingAlarm | undefined> {
  const { alarm } = alarmNames(env);
  const res = (await deps.clients.cloudwatch.send(
    new DescribeAlarmsCommand({ AlarmNames: [alarm], AlarmTypes: ["MetricAlarm"] }),
  )) as { MetricAlarms?: { AlarmArn?: string; AlarmDescription?: string }[] };
  const found = res.MetricAlarms?.[0];
  if (!found?.AlarmArn) return undefined;
  const tags = (await deps.clients.cloudwatch.send(
    new ListTagsForResourceCommand({ ResourceARN: found.AlarmArn }),
  )) as { Tags?: { Key?: string; Value?: string }[] };
  const keys = new Map<string, string>();
  for (const t of tags.Tags ?? [])
    if (t.Key?.startsWith(PENDING_KEY_TAG)) keys.set(t.Key.slice(PENDING_KEY_TAG.length), t.Value ?? "");
  const desc = found.AlarmDescription ?? "";
  const at = desc.indexOf(LOG_GROUP_MARK);
  return {
    arn: found.AlarmArn,
    keys,
    ...(at >= 0 ? { logGroup: desc.slice(at + LOG_GROUP_MARK.length).split(" ")[0] } : {}),
  };
}

/**
 * Creates (or updates) the metric filter and the alarm, and tags the alarm with the keys about to
 * be scheduled. Done before ScheduleKeyDeletion, so no use in the window goes unnoticed.
 */
export async function ensureAlarm(
  deps: TeardownDeps,
  env: string,
  logGroup: string,
  topicArn: string | undefined,
  keys: ReadonlyMap<string, Date>,
): Promise<string> {
  const names = alarmNames(env);
  await deps.clients.logs.send(
    new PutMetricFilterCommand({
      logGroupName: logGroup,
      filterName: names.filter,
      filterPattern: PENDING_DELETION_FILTER,
      metricTransformations: [
        {
          metricName: PENDING_DELETION_METRIC,
          metricNamespace: PENDING_DELETION_NAMESPACE,
          metricValue: "1",
          defaultValue: 0,
        },
      ],
    }),
  );
  await deps.clients.cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: names.alarm,
      AlarmDescription: `Someone used a KMS key of environment ${env} that is pending deletion: find the call in CloudTrail and consider CancelKeyDeletion (cmk-stacks teardown). ${LOG_GROUP_MARK}${logGroup} `,
      Namespace: PENDING_DELETION_NAMESPACE,
      MetricName: PENDING_DELETION_METRIC,
      Statistic: "Sum",
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      TreatMissingData: "notBreaching",
      ...(topicArn ? { AlarmActions: [topicArn] } : {}),
    }),
  );
  const current = await readAlarm(deps, env);
  if (!current) throw new Error(`the alarm ${names.alarm} was created but cannot be read back`);
  if (keys.size > 0) {
    await deps.clients.cloudwatch.send(
      new TagResourceCommand({
        ResourceARN: current.arn,
        Tags: [...keys].map(([id, date]) => ({ Key: `${PENDING_KEY_TAG}${id}`, Value: day(date) })),
      }),
    );
  }
  return current.arn;
}

/** Removes the alarm and its metric filter (once every key it watched is deleted). */
export async function removeAlarm(deps: TeardownDeps, env: string, logGroup: string | undefined): Promise<void> {
  const names = alarmNames(env);
  await deps.clients.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [names.alarm] }));
  if (!logGroup) return;
  try {
    await deps.clients.logs.send(new DeleteMetricFilterCommand({ logGroupName: logGroup, filterName: names.filter }));
  } catch (err) {
    if (awsErrorCode(err) !== "ResourceNotFoundException") throw err;
  }
}
