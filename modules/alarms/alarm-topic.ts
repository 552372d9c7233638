import { Construct } from "constructs";
import { Lazy } from "cdktf";
import { createHash } from "node:crypto";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { EnvironmentStack, type IEnvironment } from "../core/environment-stack";
import { shown, throwIfProblems } from "../core/errors";
import { ADMIN_ACTIONS } from "../keys/key-policy";
import { CLOUDWATCH, KMS } from "@cmk-stacks/aws-limits";
import { deletionWindowProblem } from "../keys/key-props";

/** One receiver of the alarms. */
export interface AlarmSubscription {
  /** SNS protocol. email and https stay pending until the recipient confirms. */
  readonly protocol: "email" | "https" | "sqs" | "lambda";
  /** Address, URL or ARN, as the protocol expects. */
  readonly endpoint: string;
}

/** Where alarms send their notifications. */
export interface IAlarmTopic {
  readonly topicArn: string;
  /** Every alarm name starts with this; the topic and key policies admit only alarms named so. */
  readonly alarmNamePrefix: string;
  /**
   * Registers an alarm (its full name) that notifies the topic. An {@link AlarmTopic} admits exactly
   * the alarms registered so (their ARNs), not every alarm named with the prefix.
   * @default - a topic without it admits what its own policy admits
   */
  admitAlarm?(alarmName: string): void;
}

export interface AlarmTopicProps {
  /** Who receives the notifications. At least one. */
  readonly subscriptions: readonly AlarmSubscription[];
  /** Topic name and prefix of every alarm name. @default `<name prefix>-kms-alarms` (topic), `<name prefix>-kms-` (alarms) */
  readonly topicName?: string;
  /** Waiting period before the topic key is deleted, {@link KMS.DELETION_WINDOW_DAYS}. @default - KMS.DEFAULT_DELETION_WINDOW_DAYS.value ({@link KMS.DEFAULT_DELETION_WINDOW_DAYS}) */
  readonly keyDeletionWindowDays?: number;
}

type Doc = { Version: "2012-10-17"; Statement: Record<string, unknown>[] };

/** `arn:<partition>:cloudwatch:<region>:<account>:alarm:<prefix>*`: the alarms allowed to use the topic and key. */
export function alarmArnPattern(env: IEnvironment, alarmNamePrefix: string): string {
  return `arn:${env.partition}:cloudwatch:${env.region}:${env.account}:alarm:${alarmNamePrefix}*`;
}

/** The ARN of one alarm of the environment's account and Region. */
export function alarmArn(env: IEnvironment, alarmName: string): string {
  return `arn:${env.partition}:cloudwatch:${env.region}:${env.account}:alarm:${alarmName}`;
}

/**
 * Confused-deputy conditions (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html):
 * this account's alarms, either exactly those named in `alarmNames` (ArnEquals on their ARNs) or,
 * when `alarmNames` is left out, every alarm named with the prefix (ArnLike: anyone in the account
 * who may create an alarm so named could use the topic).
 */
const fromOwnAlarms = (env: IEnvironment, alarmNamePrefix: string, alarmNames?: readonly string[]) => ({
  StringEquals: { "aws:SourceAccount": env.account },
  ...(alarmNames
    ? { ArnEquals: { "aws:SourceArn": alarmNames.map((n) => alarmArn(env, n)) } }
    : { ArnLike: { "aws:SourceArn": alarmArnPattern(env, alarmNamePrefix) } }),
});

/**
 * The topic key's policy. The account manages the key (no cryptographic use through IAM, so no
 * administrator reads alarm messages); CloudWatch alarms of this account may encrypt and decrypt
 * with it and nothing more: the statement AWS documents for CloudWatch publishing to an encrypted
 * topic (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services),
 * with aws:SourceAccount and aws:SourceArn conditions: the alarms listed in `alarmNames` (none: no
 * statement), else every alarm named with the prefix.
 */
export function alarmKeyPolicy(env: IEnvironment, alarmNamePrefix: string, alarmNames?: readonly string[]): Doc {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountManagesKey",
        Effect: "Allow",
        Principal: { AWS: `arn:${env.partition}:iam::${env.account}:root` },
        Action: [...ADMIN_ACTIONS],
        Resource: "*",
      },
      ...(alarmNames?.length === 0
        ? []
        : [
            {
              Sid: "CloudWatchAlarmsUseKey",
              Effect: "Allow",
              Principal: { Service: "cloudwatch.amazonaws.com" },
              Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
              Resource: "*",
              Condition: fromOwnAlarms(env, alarmNamePrefix, alarmNames),
            },
          ]),
    ],
  };
}

/**
 * The topic policy: CloudWatch alarms of this account (those listed, else those named with the prefix) publish; no IAM
 * principal publishes, whatever its IAM policy says (a forged "key store healthy" is as bad as a
 * lost alarm). Topic management stays with the account's IAM policies.
 */
export function alarmTopicPolicy(
  env: IEnvironment,
  alarmNamePrefix: string,
  topicArn: string,
  alarmNames?: readonly string[],
): Doc {
  return {
    Version: "2012-10-17",
    Statement: [
      ...(alarmNames?.length === 0
        ? []
        : [
            {
              Sid: "CloudWatchAlarmsPublish",
              Effect: "Allow",
              Principal: { Service: "cloudwatch.amazonaws.com" },
              Action: "sns:Publish",
              Resource: topicArn,
              Condition: fromOwnAlarms(env, alarmNamePrefix, alarmNames),
            },
          ]),
      {
        Sid: "OnlyAwsServicesPublish",
        Effect: "Deny",
        Principal: "*",
        Action: "sns:Publish",
        Resource: topicArn,
        Condition: { Bool: { "aws:PrincipalIsAWSService": "false" } },
      },
    ],
  };
}

/**
 * One SNS topic for an environment's alarms, encrypted with a dedicated AWS-KMS-origin key: never
 * a key in a custom key store, whose failure is what the alarms report. The key carries the same
 * guards as every key here (prevent_destroy, rotation, 30-day window).
 */
export class AlarmTopic extends Construct implements IAlarmTopic {
  readonly topicArn: string;
  readonly alarmNamePrefix: string;
  readonly key: KmsKey;
  readonly topic: SnsTopic;
  /** The alarms that notify the topic ({@link admitAlarm}); the policies list exactly these. */
  private readonly alarmNames = new Set<string>();

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const env = EnvironmentStack.of(this);
    const window = props.keyDeletionWindowDays ?? KMS.DEFAULT_DELETION_WINDOW_DAYS.value;
    const problems: string[] = [];
    if (props.subscriptions.length === 0)
      problems.push(
        `${this.node.path}.subscriptions: [] is not allowed (at least one subscription: an alarm nobody receives warns nobody, SNS Subscribe)`,
      );
    const windowProblem = deletionWindowProblem(this.node.path, "keyDeletionWindowDays", window);
    if (windowProblem) problems.push(windowProblem);
    const seen = new Set<string>();
    props.subscriptions.forEach((s, i) => {
      const k = `${s.protocol} ${s.endpoint}`;
      if (seen.has(k))
        problems.push(
          `${this.node.path}.subscriptions.${i}: ${shown(k)} is not allowed (listed twice; SNS keeps one subscription per protocol and endpoint)`,
        );
      seen.add(k);
    });
    throwIfProblems(problems);

    const topicName = props.topicName ?? `${env.name}-kms-alarms`;
    // The ARN is known before apply (partition, Region, account, name): the policy is plain JSON.
    const arn = `arn:${env.partition}:sns:${env.region}:${env.account}:${topicName}`;
    this.alarmNamePrefix = props.topicName ? `${props.topicName}-` : `${env.name}-kms-`;
    this.key = new KmsKey(this, "key", {
      description: `Encrypts the alarm topic ${topicName} (AWS-KMS origin, never a custom key store the alarms watch)`,
      keyUsage: KMS.KEY_USAGE.encryptDecrypt,
      customerMasterKeySpec: KMS.SYMMETRIC_KEY_SPEC,
      multiRegion: false,
      enableKeyRotation: true,
      deletionWindowInDays: window,
      bypassPolicyLockoutSafetyCheck: false,
      policy: Lazy.stringValue({ produce: () => this.policies(env, arn).key }),
      lifecycle: { preventDestroy: true },
    });
    new KmsAlias(this, "alias", { name: `alias/${topicName}`, targetKeyId: this.key.keyId });
    this.topic = new SnsTopic(this, "topic", { name: topicName, kmsMasterKeyId: this.key.arn });
    this.topicArn = this.topic.arn;
    new SnsTopicPolicy(this, "policy", {
      arn: this.topic.arn,
      policy: Lazy.stringValue({ produce: () => this.policies(env, arn).topic }),
    });
    for (const s of props.subscriptions) {
      // Ids from the subscription itself, so reordering the list replaces nothing.
      const hash = createHash("sha256").update(`${s.protocol} ${s.endpoint}`).digest("hex").slice(0, 12);
      new SnsTopicSubscription(this, `subscription-${s.protocol}-${hash}`, {
        topicArn: this.topic.arn,
        protocol: s.protocol,
        endpoint: s.endpoint,
      });
    }
  }

  /** Registers an alarm that notifies the topic: the topic and key policies admit it by its exact ARN. */
  admitAlarm(alarmName: string): void {
    this.alarmNames.add(alarmName);
  }

  /**
   * Both policies (read at synth time, once every alarm is registered): the registered alarms'
   * exact ARNs; only if that list would make a policy larger than AWS accepts (hundreds of alarms:
   * an SNS topic policy {@link CLOUDWATCH.SNS_TOPIC_POLICY_MAX_BYTES}, a key policy
   * {@link KMS.KEY_POLICY_MAX_BYTES}) every alarm named with the prefix, as before.
   */
  private policies(env: IEnvironment, topicArn: string): { key: string; topic: string } {
    const names = [...this.alarmNames].sort();
    const exact = {
      key: JSON.stringify(alarmKeyPolicy(env, this.alarmNamePrefix, names)),
      topic: JSON.stringify(alarmTopicPolicy(env, this.alarmNamePrefix, topicArn, names)),
    };
    const fits =
      Buffer.byteLength(exact.key) <= KMS.KEY_POLICY_MAX_BYTES.value &&
      Buffer.byteLength(exact.topic) <= CLOUDWATCH.SNS_TOPIC_POLICY_MAX_BYTES.value;
    if (fits) return exact;
    return {
      key: JSON.stringify(alarmKeyPolicy(env, this.alarmNamePrefix)),
      topic: JSON.stringify(alarmTopicPolicy(env, this.alarmNamePrefix, topicArn)),
    };
  }
}
