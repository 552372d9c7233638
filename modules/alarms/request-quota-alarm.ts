import { Construct } from "constructs";
import { CLOUDWATCH } from "@cmk-stacks/aws-limits";
import { shown, throwIfProblems } from "../core/errors";
import type { IAlarmTopic } from "./alarm-topic";
import { topicAlarm } from "./topic-alarm";

export interface RequestQuotaAlarmProps {
  readonly topic: IAlarmTopic;
  /** Share of the quota at which the alarm fires ({@link CLOUDWATCH.isShare}). @default - the rulebook's {@link CLOUDWATCH.REQUEST_QUOTA_SHARE_DEFAULT} */
  readonly share?: number;
}

/**
 * The account's KMS request quota for symmetric cryptographic operations (shared by every key of
 * the account and Region, custom key stores included), alarmed at a share of the quota.
 *
 * Normalisation: the quota (Service Quotas, `SERVICE_QUOTA(m1)`) is in requests per second, while
 * `AWS/Usage` `CallCount` is a count summed over the period (1 minute here). The alarm compares
 * `m1 / PERIOD(m1)` (requests per second, averaged over the minute) with the quota; a minute whose
 * average is below the share can still hold throttled seconds, which is why the default is 0.8
 * and not 1. Sources: https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html
 * (CallCount with Service KMS, Type API, Resource CryptographicOperationsSymmetric, Class None),
 * https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html (per-second quotas) and
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Quotas-Visualize-Alarms.html (SERVICE_QUOTA).
 */
export class RequestQuotaAlarm extends Construct {
  constructor(scope: Construct, id: string, props: RequestQuotaAlarmProps) {
    super(scope, id);
    const share = props.share ?? CLOUDWATCH.REQUEST_QUOTA_SHARE_DEFAULT.value;
    throwIfProblems(
      CLOUDWATCH.isShare(share)
        ? []
        : [
            `${this.node.path}.share: ${shown(share)} is not allowed (a share ${CLOUDWATCH.SHARE_WORDS}, of the KMS request quota)`,
          ],
    );
    const { periodSeconds, evaluationPeriods, datapointsToAlarm } = CLOUDWATCH.REQUEST_QUOTA_ALARM;
    const window = `${datapointsToAlarm} of ${evaluationPeriods} ${periodSeconds / 60 === 1 ? "minutes" : `${periodSeconds / 60}-minute periods`}`;
    topicAlarm(
      this,
      "request-quota",
      props.topic,
      `KMS symmetric cryptographic requests above ${Math.round(share * 100)}% of the account's per-second quota (${window}): requests will be throttled`,
      {
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: share,
        evaluationPeriods,
        datapointsToAlarm,
        treatMissingData: "notBreaching",
        metricQuery: [
          {
            id: "m1",
            returnData: false,
            metric: {
              namespace: "AWS/Usage",
              metricName: "CallCount",
              dimensions: { Service: "KMS", Type: "API", Resource: "CryptographicOperationsSymmetric", Class: "None" },
              period: periodSeconds,
              stat: "Sum",
            },
          },
          {
            id: "share",
            expression: "(m1 / PERIOD(m1)) / SERVICE_QUOTA(m1)",
            label: "share of the per-second request quota",
            returnData: true,
          },
        ],
      },
    );
  }
}
