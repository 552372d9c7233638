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

function synth(props: AlarmTopicProps = { subscriptions: [{ protocol: "email", endpoint: "oncall@example.com" }] }) {
  const stack = new EnvironmentStack(Testing.app(), "test", { name: "test", account: ACCOUNT, region: REGION });
  new AlarmTopic(stack, "alarms", props);
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

test("a topic name sets the alarm name prefix the policies admit", () => {
  const named = synth({ subscriptions: [{ protocol: "email", endpoint: "a@example.com" }], topicName: "kms-oncall" });
  const policy = JSON.parse(only(named, "aws_sns_topic_policy").policy as string) as {
    Statement: { Condition?: { ArnLike?: Record<string, string> } }[];
  };
  expect(policy.Statement[0].Condition?.ArnLike).toEqual({
    "aws:SourceArn": `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:kms-oncall-*`,
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
