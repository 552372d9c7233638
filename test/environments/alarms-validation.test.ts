import { environments } from "../../environments";
import type { EnvironmentConfig } from "../../environments/types";
import { validationMessages } from "../../environments/validation";
import { asConfigInput, resolveEnvironment } from "../../environments/resolve";
import { variant } from "../helpers/synth";

const { dev, staging } = environments;
const messagesFor = (name: string, env: EnvironmentConfig) => validationMessages({ [name]: env });
const SUB = "SNS Subscribe Endpoint (https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html)";
const XKS = "KMS external key store alarms (https://docs.aws.amazon.com/kms/latest/developerguide/xks-alarms.html)";
const withAlarms = (env: EnvironmentConfig, alarms: Record<string, unknown>) => variant(env, { alarms });
const email = { protocol: "email", endpoint: "oncall@example.com" };

test("defaults: share 0.8, XKS certificate 30 days, latency share 0.8, credential 90 days; absent section: no alarms", () => {
  expect(resolveEnvironment(withAlarms(staging, { subscriptions: [email] })).alarms).toEqual({
    subscriptions: [email],
    requestQuotaShare: 0.8,
    xks: { certificateDays: 30, latencyShare: 0.8, credentialRotationDays: 90 },
  });
  expect(resolveEnvironment(dev).alarms).toBeUndefined();
  // Without an external key store the resolved (and printed) form has no XKS thresholds, so it validates again.
  const devAlarms = resolveEnvironment(withAlarms(dev, { subscriptions: [email] }));
  expect(devAlarms.alarms).toEqual({ subscriptions: [email], requestQuotaShare: 0.8 });
  expect(messagesFor("dev", asConfigInput(devAlarms) as unknown as EnvironmentConfig)).toEqual([]);
});

test("valid subscriptions of every protocol pass", () => {
  const subscriptions = [
    email,
    { protocol: "https", endpoint: "https://events.pagerduty.example/integration/abc" },
    { protocol: "sqs", endpoint: "arn:aws:sqs:eu-west-1:111111111111:kms-alarms" },
    { protocol: "lambda", endpoint: "arn:aws:lambda:eu-west-1:111111111111:function:page-oncall" },
  ];
  expect(messagesFor("dev", withAlarms(dev, { subscriptions }))).toEqual([]);
});

// Each row: the base environment, the alarms section, the exact lines the user must see.
const cases: [string, EnvironmentConfig, Record<string, unknown>, string[]][] = [
  [
    "fails when there is no subscription",
    dev,
    { subscriptions: [] },
    [
      `environments.dev.alarms.subscriptions: [] is not allowed (at least one subscription (an alarm nobody receives warns nobody), ${SUB})`,
    ],
  ],
  [
    "fails when the subscriptions are missing",
    dev,
    {},
    [
      `environments.dev.alarms.subscriptions: (missing) is not allowed (at least one subscription (an alarm nobody receives warns nobody), ${SUB})`,
    ],
  ],
  [
    "fails when a subscription repeats",
    dev,
    { subscriptions: [email, email] },
    [
      `environments.dev.alarms.subscriptions.1: {"protocol":"email","endpoint":"oncall@example.com"} is not allowed (a subscription not listed before (SNS keeps one subscription per protocol and endpoint), ${SUB})`,
    ],
  ],
  [
    "fails when an email endpoint is not an address",
    dev,
    { subscriptions: [{ protocol: "email", endpoint: "oncall" }] },
    [
      `environments.dev.alarms.subscriptions.0.endpoint: "oncall" is not allowed (an email address (name@domain), ${SUB})`,
    ],
  ],
  [
    "fails when an https endpoint is plain http",
    dev,
    { subscriptions: [{ protocol: "https", endpoint: "http://hooks.example.com/x" }] },
    [
      `environments.dev.alarms.subscriptions.0.endpoint: "http://hooks.example.com/x" is not allowed (an https:// URL, ${SUB})`,
    ],
  ],
  [
    "fails when a queue is in another account",
    dev,
    { subscriptions: [{ protocol: "sqs", endpoint: "arn:aws:sqs:eu-west-1:999999999999:kms-alarms" }] },
    [
      `environments.dev.alarms.subscriptions.0.endpoint: "arn:aws:sqs:eu-west-1:999999999999:kms-alarms" is not allowed (an SQS queue ARN in the environment's account and Region, ${SUB})`,
    ],
  ],
  [
    "fails when a function is in another Region",
    dev,
    { subscriptions: [{ protocol: "lambda", endpoint: "arn:aws:lambda:us-east-1:111111111111:function:page" }] },
    [
      `environments.dev.alarms.subscriptions.0.endpoint: "arn:aws:lambda:us-east-1:111111111111:function:page" is not allowed (a Lambda function ARN in the environment's account and Region, ${SUB})`,
    ],
  ],
  [
    "fails when the quota share is above 1",
    dev,
    { subscriptions: [email], requestQuotaShare: 80 },
    [
      "environments.dev.alarms.requestQuotaShare: 80 is not allowed (a share greater than 0 and at most 1 (0.8 alarms at 80% of the quota), KMS request quotas (https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html))",
    ],
  ],
  [
    "fails when the quota share is 0",
    dev,
    { subscriptions: [email], requestQuotaShare: 0 },
    [
      "environments.dev.alarms.requestQuotaShare: 0 is not allowed (a share greater than 0 and at most 1 (0.8 alarms at 80% of the quota), KMS request quotas (https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html))",
    ],
  ],
  [
    "fails when the certificate threshold is 0 days",
    staging,
    { subscriptions: [email], xks: { certificateDays: 0 } },
    [
      `environments.staging.alarms.xks.certificateDays: 0 is not allowed (1-365 days, ${XKS}: XksProxyCertificateDaysToExpire)`,
    ],
  ],
  [
    "fails when the latency share exceeds the 250 ms budget",
    staging,
    { subscriptions: [email], xks: { latencyShare: 1.2 } },
    [
      `environments.staging.alarms.xks.latencyShare: 1.2 is not allowed (a share of the 250 ms timeout greater than 0 and at most 1, ${XKS}: XksProxyLatency)`,
    ],
  ],
  [
    "fails when the credential rotation is not whole days",
    staging,
    { subscriptions: [email], xks: { credentialRotationDays: 90.5 } },
    [
      "environments.staging.alarms.xks.credentialRotationDays: 90.5 is not allowed (1-730 days, KMS XksProxyCredentialAge (https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html))",
    ],
  ],
  [
    "fails when XKS thresholds are given without an external key store",
    dev,
    { subscriptions: [email], xks: { certificateDays: 20 } },
    [
      `environments.dev.alarms.xks: {"certificateDays":20} is not allowed (absent: the environment has no external key store (xks), ${XKS})`,
    ],
  ],
];

test.each(cases)("%s", (_name, base, alarms, lines) => {
  expect(messagesFor(base.name, withAlarms(base, alarms))).toEqual(lines);
});

test("fails when alarms watch a CloudHSM key store and the hooks run locally", () => {
  const prodLocal = variant(environments.prod, { "hooks.runner": "local" });
  expect(messagesFor("prod", prodLocal)).toEqual([
    "environments.prod.hooks.runner: \"local\" is not allowed ('lambda' with alarms on a CloudHSM key store (its health check runs on a schedule in the hook Lambda function), docs/alarms.md: a CloudHSM store's state is polled on a schedule by the hook Lambda function)",
  ]);
  expect(messagesFor("prod", variant(prodLocal, { alarms: undefined }))).toEqual([]);
});

test("fails with every problem at once, one line each", () => {
  const lines = messagesFor(
    "staging",
    withAlarms(staging, {
      subscriptions: [{ protocol: "email", endpoint: "x" }],
      requestQuotaShare: 2,
      xks: { certificateDays: 0 },
    }),
  );
  expect(lines).toHaveLength(3);
});

test("fails on an unknown protocol and an unknown field (schema)", () => {
  const lines = messagesFor(
    "dev",
    withAlarms(dev, { subscriptions: [{ protocol: "sms", endpoint: "+15550100" }], quotaShare: 0.5 }),
  );
  expect(lines.some((l) => l.startsWith("environments.dev.alarms.subscriptions.0.protocol:"))).toBe(true);
  expect(lines.some((l) => l.startsWith("environments.dev.alarms.quotaShare:"))).toBe(true);
});
