import { Testing } from "cdktf";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { AlarmTopic, type AlarmTopicProps } from "../../../modules/alarms/alarm-topic";
import { ADMINISTRATOR_ACCESS, allowing, decide, type PolicyDocument } from "../../helpers/policy-eval";
import { propsErrorLines } from "../../helpers/synth";

const ACCOUNT = "123456789012";
const OTHER = "999999999999";
const REGION = "eu-west-1";
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:test-kms-alarms`;
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const OWN_ALARM = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:test-kms-request-quota`;

function synth(
  props: AlarmTopicProps = { subscriptions: [{ protocol: "email", endpoint: "oncall@example.com" }] },
  alarms: readonly string[] = ["request-quota"],
) {
  const stack = new EnvironmentStack(Testing.app(), "test", { name: "test", account: ACCOUNT, region: REGION });
  const topic = new AlarmTopic(stack, "alarms", props);
  // The alarms that notify the topic (topicAlarm registers each so); registered after the topic, as in a stack.
  for (const name of alarms) topic.admitAlarm(`${topic.alarmNamePrefix}${name}`);
  return JSON.parse(Testing.synth(stack)) as { resource: Record<string, Record<string, Record<string, unknown>>> };
}
const only = (json: ReturnType<typeof synth>, type: string) => Object.values(json.resource[type])[0];

const json = synth();
const keyPolicy = JSON.parse(only(json, "aws_kms_key").policy as string) as PolicyDocument;
const topicPolicy = JSON.parse(only(json, "aws_sns_topic_policy").policy as string) as PolicyDocument;

/** CloudWatch (the service principal) acting for an alarm. */
const cloudWatch = (
  action: string,
  resource: string,
  policy: PolicyDocument,
  alarmArn = OWN_ALARM,
  account = ACCOUNT,
) =>
  decide({
    principal: "cloudwatch.amazonaws.com",
    action,
    resource,
    resourceAccount: ACCOUNT,
    resourcePolicy: policy,
    context: { "aws:SourceAccount": account, "aws:SourceArn": alarmArn, "aws:PrincipalIsAWSService": "true" },
  });
const role = (
  action: string,
  resource: string,
  policy: PolicyDocument,
  identity: PolicyDocument[],
  account = ACCOUNT,
) =>
  decide({
    principal: `arn:aws:iam::${account}:role/Ops`,
    action,
    resource,
    resourceAccount: ACCOUNT,
    resourcePolicy: policy,
    identityPolicies: identity,
    context: { "aws:PrincipalIsAWSService": "false" },
  });

test("a dedicated AWS-KMS-origin key (rotation, 30-day window, prevent_destroy) encrypts the topic; one subscription per entry", () => {
  expect(only(json, "aws_kms_key")).toMatchObject({
    key_usage: "ENCRYPT_DECRYPT",
    customer_master_key_spec: "SYMMETRIC_DEFAULT",
    enable_key_rotation: true,
    deletion_window_in_days: 30,
    lifecycle: { prevent_destroy: true },
  });
  expect(only(json, "aws_kms_key").custom_key_store_id).toBeUndefined();
  expect(only(json, "aws_sns_topic")).toMatchObject({
    name: "test-kms-alarms",
    kms_master_key_id: expect.stringMatching(/^\$\{aws_kms_key\.alarms_key_.*\.arn\}$/),
  });
  expect(only(json, "aws_kms_alias")).toMatchObject({ name: "alias/test-kms-alarms" });
  expect(Object.values(json.resource.aws_sns_topic_subscription)).toEqual([
    expect.objectContaining({ protocol: "email", endpoint: "oncall@example.com" }),
  ]);
});

describe("key policy, evaluated", () => {
  test.each(["kms:GenerateDataKey", "kms:Decrypt"])("CloudWatch alarms of this account may %s", async (action) => {
    expect(await cloudWatch(action, KEY_ARN, keyPolicy)).toBe("Allowed");
  });
  test("CloudWatch may do nothing more (no Encrypt, no ReEncrypt, no grant, no management)", async () => {
    for (const action of [
      "kms:Encrypt",
      "kms:ReEncryptFrom",
      "kms:CreateGrant",
      "kms:PutKeyPolicy",
      "kms:ScheduleKeyDeletion",
    ])
      expect(await cloudWatch(action, KEY_ARN, keyPolicy)).toBe("ImplicitlyDenied");
  });
  test("CloudWatch acting for another account's alarm, or an alarm not named with the prefix, may not use the key", async () => {
    expect(
      await cloudWatch(
        "kms:GenerateDataKey",
        KEY_ARN,
        keyPolicy,
        `arn:aws:cloudwatch:${REGION}:${OTHER}:alarm:test-kms-x`,
        OTHER,
      ),
    ).toBe("ImplicitlyDenied");
    expect(
      await cloudWatch(
        "kms:GenerateDataKey",
        KEY_ARN,
        keyPolicy,
        `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:someone-else`,
      ),
    ).toBe("ImplicitlyDenied");
  });
  test("an administrator of the account manages the key but cannot decrypt with it", async () => {
    expect(await role("kms:PutKeyPolicy", KEY_ARN, keyPolicy, [ADMINISTRATOR_ACCESS])).toBe("Allowed");
    expect(await role("kms:ScheduleKeyDeletion", KEY_ARN, keyPolicy, [ADMINISTRATOR_ACCESS])).toBe("Allowed");
    expect(await role("kms:Decrypt", KEY_ARN, keyPolicy, [ADMINISTRATOR_ACCESS])).toBe("ImplicitlyDenied");
    expect(await role("kms:GenerateDataKey", KEY_ARN, keyPolicy, [allowing("kms:*")])).toBe("ImplicitlyDenied");
  });
  test("another account gets nothing", async () => {
    expect(await role("kms:DescribeKey", KEY_ARN, keyPolicy, [ADMINISTRATOR_ACCESS], OTHER)).toBe("ImplicitlyDenied");
  });
});

describe("topic policy, evaluated", () => {
  test("CloudWatch alarms of this account publish", async () => {
    expect(await cloudWatch("sns:Publish", TOPIC_ARN, topicPolicy)).toBe("Allowed");
  });
  test("CloudWatch for another account's alarm, or an alarm without the prefix, does not", async () => {
    expect(
      await cloudWatch(
        "sns:Publish",
        TOPIC_ARN,
        topicPolicy,
        `arn:aws:cloudwatch:${REGION}:${OTHER}:alarm:test-kms-x`,
        OTHER,
      ),
    ).toBe("ImplicitlyDenied");
    expect(
      await cloudWatch("sns:Publish", TOPIC_ARN, topicPolicy, `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:other`),
    ).toBe("ImplicitlyDenied");
  });
  test("no IAM principal publishes, not even an administrator of the account", async () => {
    expect(await role("sns:Publish", TOPIC_ARN, topicPolicy, [ADMINISTRATOR_ACCESS])).toBe("ExplicitlyDenied");
    expect(await role("sns:Publish", TOPIC_ARN, topicPolicy, [ADMINISTRATOR_ACCESS], OTHER)).toBe("ExplicitlyDenied");
  });
  test("the account still manages the topic through IAM", async () => {
    expect(await role("sns:GetTopicAttributes", TOPIC_ARN, topicPolicy, [ADMINISTRATOR_ACCESS])).toBe("Allowed");
    expect(await role("sns:Subscribe", TOPIC_ARN, topicPolicy, [allowing("sns:Subscribe")])).toBe("Allowed");
  });
});

test("a topic name sets the alarm name prefix of the alarms the policies admit", () => {
  const named = synth({ subscriptions: [{ protocol: "email", endpoint: "a@example.com" }], topicName: "kms-oncall" }, [
    "b",
    "a",
  ]);
  const policy = JSON.parse(only(named, "aws_sns_topic_policy").policy as string) as {
    Statement: { Condition?: { ArnEquals?: Record<string, string[]> } }[];
  };
  expect(policy.Statement[0].Condition?.ArnEquals).toEqual({
    "aws:SourceArn": [
      `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:kms-oncall-a`,
      `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:kms-oncall-b`,
    ],
  });
});

describe("only the alarms registered with the topic, by exact ARN", () => {
  // Anyone in the account allowed cloudwatch:PutMetricAlarm could otherwise name an alarm with the
  // prefix and publish a forged "healthy" (or flood the on-call) through CloudWatch.
  const forged = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:test-kms-forged`;
  test("an alarm of the account named with the prefix but not registered neither publishes nor uses the key", async () => {
    expect(await cloudWatch("sns:Publish", TOPIC_ARN, topicPolicy, forged)).toBe("ImplicitlyDenied");
    expect(await cloudWatch("kms:GenerateDataKey", KEY_ARN, keyPolicy, forged)).toBe("ImplicitlyDenied");
    expect(await cloudWatch("kms:Decrypt", KEY_ARN, keyPolicy, forged)).toBe("ImplicitlyDenied");
  });

  test("no alarm registered: no CloudWatch statement at all (nothing publishes)", async () => {
    const none = synth(undefined, []);
    const topic = JSON.parse(only(none, "aws_sns_topic_policy").policy as string) as PolicyDocument;
    const key = JSON.parse(only(none, "aws_kms_key").policy as string) as PolicyDocument;
    expect(await cloudWatch("sns:Publish", TOPIC_ARN, topic)).toBe("ImplicitlyDenied");
    expect(await cloudWatch("kms:GenerateDataKey", KEY_ARN, key)).toBe("ImplicitlyDenied");
    expect(await role("sns:Publish", TOPIC_ARN, topic, [ADMINISTRATOR_ACCESS])).toBe("ExplicitlyDenied");
  });

  test("a list too long for a topic policy (30 KB) falls back to the prefix, within both size limits", async () => {
    const many = Array.from({ length: 400 }, (_, i) => `key-imported-${i}-material-expiry`);
    const big = synth(undefined, many);
    const topicText = only(big, "aws_sns_topic_policy").policy as string;
    const keyText = only(big, "aws_kms_key").policy as string;
    expect(topicText).not.toContain("ArnEquals");
    expect(Buffer.byteLength(topicText)).toBeLessThanOrEqual(30720);
    expect(Buffer.byteLength(keyText)).toBeLessThanOrEqual(32768);
    const topic = JSON.parse(topicText) as PolicyDocument;
    expect(
      await cloudWatch(
        "sns:Publish",
        TOPIC_ARN,
        topic,
        `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:test-kms-key-imported-7-material-expiry`,
      ),
    ).toBe("Allowed");
    // 100 alarms still fit: exact ARNs.
    const fits = synth(undefined, many.slice(0, 100));
    expect(only(fits, "aws_sns_topic_policy").policy as string).toContain("ArnEquals");
  });
});

test("fails when there is no subscription, the window is out of range and a subscription repeats, all at once", () => {
  const sub = { protocol: "email" as const, endpoint: "a@example.com" };
  expect(propsErrorLines(() => synth({ subscriptions: [], keyDeletionWindowDays: 45 }))).toEqual([
    "test/alarms.subscriptions: [] is not allowed (at least one subscription: an alarm nobody receives warns nobody, SNS Subscribe)",
    "test/alarms.keyDeletionWindowDays: 45 is not allowed (7 to 30 days, KMS ScheduleKeyDeletion PendingWindowInDays)",
  ]);
  expect(propsErrorLines(() => synth({ subscriptions: [sub, sub] }))).toEqual([
    'test/alarms.subscriptions.1: "email a@example.com" is not allowed (listed twice; SNS keeps one subscription per protocol and endpoint)',
  ]);
});
