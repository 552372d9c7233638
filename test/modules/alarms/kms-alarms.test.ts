import { Testing } from "cdktf";
import { TerraformData } from "../../../modules/hooks/terraform-data";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { HookRuntime } from "../../../modules/hooks/hook-runtime";
import type { IKeyStore } from "../../../modules/keystores/key-store";
import { AlarmTopic } from "../../../modules/alarms/alarm-topic";
import { RequestQuotaAlarm } from "../../../modules/alarms/request-quota-alarm";
import { KeyStoreAlarms, type KeyStoreAlarmsProps } from "../../../modules/alarms/key-store-alarms";
import { CloudHsmHealthCheck, type CloudHsmHealthCheckProps } from "../../../modules/alarms/cloudhsm-health-check";
import { propsErrorLines } from "../../helpers/synth";

type Json = { resource: Record<string, Record<string, Record<string, unknown>>> };
const ACCOUNT = "123456789012";
const xks: IKeyStore = { kind: "xks", keyStoreId: "cks-xks000000000000", readyWhen: [] };
const hsm: IKeyStore = { kind: "cloudhsm", keyStoreId: "cks-hsm000000000000", readyWhen: [] };

function build(add: (stack: EnvironmentStack, topic: AlarmTopic) => void, withLambdaRuntime = false): Json {
  const stack = new EnvironmentStack(Testing.app(), "test", { name: "test", account: ACCOUNT, region: "eu-west-1" });
  if (withLambdaRuntime)
    new HookRuntime(stack, HookRuntime.ID, {
      runner: "lambda",
      network: {
        vpcId: "vpc-1",
        cidr: "10.0.0.0/16",
        subnetIdByAz: { "eu-west-1a": "subnet-1" },
        subnetIds: ["subnet-1"],
        routeTableIds: [],
        onPremisesReady: [],
      },
    });
  const topic = new AlarmTopic(stack, "topic", {
    subscriptions: [{ protocol: "email", endpoint: "oncall@example.com" }],
  });
  add(stack, topic);
  return JSON.parse(Testing.synth(stack)) as Json;
}
const alarms = (json: Json) =>
  Object.fromEntries(Object.values(json.resource.aws_cloudwatch_metric_alarm).map((a) => [a.alarm_name as string, a]));

test("account quota: CallCount (KMS, API, CryptographicOperationsSymmetric, None) summed per minute, divided by the period in seconds, against SERVICE_QUOTA", () => {
  const a = alarms(build((s, topic) => new RequestQuotaAlarm(s, "quota", { topic })))["test-kms-request-quota"];
  expect(a).toMatchObject({
    comparison_operator: "GreaterThanOrEqualToThreshold",
    threshold: 0.8,
    evaluation_periods: 5,
    datapoints_to_alarm: 3,
    treat_missing_data: "notBreaching",
  });
  expect(a.alarm_actions).toEqual([expect.stringMatching(/aws_sns_topic\.topic_.*\.arn/)]);
  expect(a.ok_actions).toEqual(a.alarm_actions);
  expect(a.metric_query).toEqual([
    {
      id: "m1",
      return_data: false,
      metric: {
        namespace: "AWS/Usage",
        metric_name: "CallCount",
        dimensions: { Service: "KMS", Type: "API", Resource: "CryptographicOperationsSymmetric", Class: "None" },
        period: 60,
        stat: "Sum",
      },
    },
    {
      id: "share",
      expression: "(m1 / PERIOD(m1)) / SERVICE_QUOTA(m1)",
      label: "share of the per-second request quota",
      return_data: true,
    },
  ]);
});

test("account quota: a configured share is the threshold", () => {
  expect(
    alarms(build((s, topic) => new RequestQuotaAlarm(s, "quota", { topic, share: 0.5 })))["test-kms-request-quota"]
      .threshold,
  ).toBe(0.5);
});

test("XKS: throttling, certificate, latency, errors by type, key manager states and credential age, each filtered on the store", () => {
  const a = alarms(build((s, topic) => new KeyStoreAlarms(s, "xks", { topic, keyStore: xks })));
  expect(Object.keys(a).sort()).toEqual([
    "test-kms-xks-certificate-expiry",
    "test-kms-xks-credential-age",
    "test-kms-xks-key-manager-degraded",
    "test-kms-xks-key-manager-unavailable",
    "test-kms-xks-latency",
    "test-kms-xks-non-retryable-errors",
    "test-kms-xks-retryable-errors",
    "test-kms-xks-throttled",
  ]);
  const query = (name: string) => (a[name].metric_query as { expression: string }[])[0].expression;
  const where = `WHERE CustomKeyStoreId = '${xks.keyStoreId}'`;
  expect(query("test-kms-xks-throttled")).toBe(`SELECT SUM(ExternalKeyStoreThrottle) FROM "AWS/KMS" ${where}`);
  expect(query("test-kms-xks-certificate-expiry")).toBe(
    `SELECT MIN(XksProxyCertificateDaysToExpire) FROM "AWS/KMS" ${where}`,
  );
  expect(a["test-kms-xks-certificate-expiry"]).toMatchObject({
    comparison_operator: "LessThanThreshold",
    threshold: 30,
  });
  expect(query("test-kms-xks-latency")).toBe(`SELECT AVG(XksProxyLatency) FROM "AWS/KMS" ${where}`);
  expect(a["test-kms-xks-latency"]).toMatchObject({
    comparison_operator: "GreaterThanThreshold",
    threshold: 200,
    evaluation_periods: 1,
  });
  expect((a["test-kms-xks-latency"].metric_query as { period: number }[])[0].period).toBe(300);
  for (const name of ["test-kms-xks-retryable-errors", "test-kms-xks-non-retryable-errors"]) {
    expect(a[name]).toMatchObject({ comparison_operator: "GreaterThanThreshold", threshold: 5, evaluation_periods: 1 });
    expect((a[name].metric_query as { period: number }[])[0].period).toBe(60);
  }
  expect(query("test-kms-xks-retryable-errors")).toBe(
    `SELECT SUM(XksProxyErrors) FROM "AWS/KMS" ${where} AND ErrorType = 'Retryable'`,
  );
  expect(query("test-kms-xks-non-retryable-errors")).toBe(
    `SELECT SUM(XksProxyErrors) FROM "AWS/KMS" ${where} AND ErrorType = 'Non-retryable'`,
  );
  expect(query("test-kms-xks-key-manager-degraded")).toBe(
    `SELECT MAX(XksExternalKeyManagerStates) FROM "AWS/KMS" ${where} AND XksExternalKeyManagerState = 'Degraded'`,
  );
  expect(query("test-kms-xks-key-manager-unavailable")).toBe(
    `SELECT MAX(XksExternalKeyManagerStates) FROM "AWS/KMS" ${where} AND XksExternalKeyManagerState = 'Unavailable'`,
  );
  expect(a["test-kms-xks-credential-age"]).toMatchObject({
    namespace: "AWS/KMS",
    metric_name: "XksProxyCredentialAge",
    dimensions: { CustomKeyStoreId: xks.keyStoreId },
    statistic: "Maximum",
    comparison_operator: "GreaterThanThreshold",
    threshold: 90,
  });
});

test("XKS thresholds: certificate days, latency share of 250 ms and rotation days as given", () => {
  const a = alarms(
    build(
      (s, topic) =>
        new KeyStoreAlarms(s, "xks", {
          topic,
          keyStore: xks,
          certificateDays: 45,
          latencyShare: 0.5,
          credentialRotationDays: 30,
        }),
    ),
  );
  expect([
    a["test-kms-xks-certificate-expiry"].threshold,
    a["test-kms-xks-latency"].threshold,
    a["test-kms-xks-credential-age"].threshold,
  ]).toEqual([45, 125, 30]);
});

test("CloudHSM store: only the throttle alarm (CloudHSMKeyStoreThrottle)", () => {
  const a = alarms(build((s, topic) => new KeyStoreAlarms(s, "hsm", { topic, keyStore: hsm })));
  expect(Object.keys(a)).toEqual(["test-kms-cloudhsm-throttled"]);
  expect((a["test-kms-cloudhsm-throttled"].metric_query as { expression: string }[])[0].expression).toBe(
    `SELECT SUM(CloudHSMKeyStoreThrottle) FROM "AWS/KMS" WHERE CustomKeyStoreId = '${hsm.keyStoreId}'`,
  );
});

const keyStoreCases: [string, Omit<KeyStoreAlarmsProps, "topic">, string[]][] = [
  [
    "fails when XKS thresholds are given for a CloudHSM store",
    { keyStore: hsm, certificateDays: 10 },
    ["test/a.certificateDays: 10 is not allowed (external key stores only; this store is cloudhsm)"],
  ],
  [
    "fails when thresholds are out of range, all at once",
    { keyStore: xks, certificateDays: 0, latencyShare: 1.5, credentialRotationDays: 1000 },
    [
      "test/a.certificateDays: 0 is not allowed (1 to 365 days, XksProxyCertificateDaysToExpire)",
      "test/a.latencyShare: 1.5 is not allowed (a share greater than 0 and at most 1 of the 250 ms XKS timeout)",
      "test/a.credentialRotationDays: 1000 is not allowed (1 to 730 days, XksProxyCredentialAge)",
    ],
  ],
];
test.each(keyStoreCases)("%s", (_n, props, lines) => {
  expect(propsErrorLines(() => build((s, topic) => new KeyStoreAlarms(s, "a", { topic, ...props })))).toEqual(lines);
});

test("fails when the quota share is above 1", () => {
  expect(propsErrorLines(() => build((s, topic) => new RequestQuotaAlarm(s, "q", { topic, share: 80 })))).toEqual([
    "test/q.share: 80 is not allowed (a share greater than 0 and at most 1, of the KMS request quota)",
  ]);
});

describe("CloudHSM health check", () => {
  const json = build(
    (s, topic) => new CloudHsmHealthCheck(s, "health", { topic, keyStore: hsm, clusterId: "cluster-abcdefghijk" }),
    true,
  );
  const a = alarms(json);

  test("an EventBridge schedule runs check-key-store-health in the hook function, which events.amazonaws.com may invoke from that rule only", () => {
    const rule = Object.values(json.resource.aws_cloudwatch_event_rule)[0];
    expect(rule).toMatchObject({ name: "test-kms-cloudhsm-health", schedule_expression: "rate(5 minutes)" });
    const target = Object.values(json.resource.aws_cloudwatch_event_target)[0];
    expect(target.arn).toMatch(/aws_lambda_function\.hook-runtime_function_.*\.arn/);
    expect(JSON.parse(target.input as string)).toEqual({
      step: "check-key-store-health",
      keyStoreId: hsm.keyStoreId,
      clusterId: "cluster-abcdefghijk",
      minHsms: 2,
      timeoutMinutes: 2,
    });
    expect(Object.values(json.resource.aws_lambda_permission)[0]).toMatchObject({
      principal: "events.amazonaws.com",
      action: "lambda:InvokeFunction",
      source_arn: expect.stringMatching(/aws_cloudwatch_event_rule\..*\.arn/),
    });
  });

  test("the hook role may describe the store and the cluster", () => {
    const policy = JSON.parse(Object.values(json.resource.aws_iam_role_policy)[0].policy as string) as {
      Statement: { Action: string[] }[];
    };
    expect(policy.Statement.flatMap((s) => s.Action).sort()).toEqual([
      "cloudhsm:DescribeClusters",
      "kms:DescribeCustomKeyStores",
    ]);
  });

  test("the schedule and the alarms wait for the store to be connected", () => {
    const connected = build((s, topic) => {
      const connect = new TerraformData(s, "connect", {});
      new CloudHsmHealthCheck(s, "health", {
        topic,
        keyStore: { ...hsm, readyWhen: [connect] },
        clusterId: "cluster-abcdefghijk",
      });
    }, true);
    expect(Object.values(connected.resource.aws_cloudwatch_event_rule)[0].depends_on).toEqual([
      "terraform_data.connect",
    ]);
    for (const alarm of Object.values(connected.resource.aws_cloudwatch_metric_alarm).filter((x) =>
      String(x.alarm_name).startsWith("test-kms-cloudhsm-"),
    )) {
      expect(alarm.depends_on).toEqual(["terraform_data.connect"]);
    }
  });

  test("two alarms on the published metrics; missing data (the check did not run) is a breach", () => {
    expect(a["test-kms-cloudhsm-store-not-connected"]).toMatchObject({
      namespace: "cmk-stacks/KeyStoreHealth",
      metric_name: "KeyStoreConnected",
      dimensions: { CustomKeyStoreId: hsm.keyStoreId },
      statistic: "Minimum",
      comparison_operator: "LessThanThreshold",
      threshold: 1,
      period: 900,
      treat_missing_data: "breaching",
    });
    expect(a["test-kms-cloudhsm-active-hsms"]).toMatchObject({
      metric_name: "ActiveHsms",
      comparison_operator: "LessThanThreshold",
      threshold: 2,
      treat_missing_data: "breaching",
    });
  });

  const cases: [string, Partial<CloudHsmHealthCheckProps>, boolean, string[]][] = [
    [
      "fails when the store is an external key store",
      { keyStore: xks },
      true,
      [
        'test/h.keyStore: "xks" is not allowed (a CloudHSM key store; external key stores have KMS metrics of their own)',
      ],
    ],
    [
      "fails when the HSM minimum and the interval are out of range",
      { minActiveHsms: 0, intervalMinutes: 90 },
      true,
      [
        "test/h.minActiveHsms: 0 is not allowed (1 to 28, HSMs per CloudHSM cluster)",
        "test/h.intervalMinutes: 90 is not allowed (1 to 60 minutes, EventBridge rate expression)",
      ],
    ],
    [
      "fails when the stack's hooks run locally",
      {},
      false,
      [
        'test/h: the stack\'s HookRuntime runner "local" is not allowed (the check runs on a schedule in the hook Lambda function: the lambda runner, with its network)',
      ],
    ],
  ];
  test.each(cases)("%s", (_n, props, withVpc, lines) => {
    expect(
      propsErrorLines(() =>
        build(
          (s, topic) =>
            new CloudHsmHealthCheck(s, "h", { topic, keyStore: hsm, clusterId: "cluster-abcdefghijk", ...props }),
          withVpc,
        ),
      ),
    ).toEqual(lines);
  });
});
