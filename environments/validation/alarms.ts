/** CloudWatch alarms and their SNS topic (docs/alarms.md). */
import type { ConstraintTable, FieldContext } from "./engine";
import { CLOUDWATCH, inRange, XKS, type Range } from "@cmk-stacks/aws-limits";
import { canonical, isString, oneOf, partitionOfRegion } from "./checks";

const SRC_SUB = "SNS Subscribe Endpoint (https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html)";
const SRC_XKS_ALARMS =
  "KMS external key store alarms (https://docs.aws.amazon.com/kms/latest/developerguide/xks-alarms.html)";

const share = CLOUDWATCH.isShare;
/** A number in the range (whole where the range says so). */
const within = (range: Range) => (v: unknown) => typeof v === "number" && inRange(range, v);

/** An ARN of `service` in the environment's partition, account and Region. */
const localArn =
  (service: string, kind: RegExp) =>
  (v: unknown, c: FieldContext): boolean => {
    if (!isString(v) || !isString(c.env.region)) return false;
    const prefix = `arn:${partitionOfRegion(c.env.region)}:${service}:${c.env.region}:${String(c.env.account)}:`;
    return v.startsWith(prefix) && kind.test(v.slice(prefix.length));
  };

const ENDPOINT_RULES: Record<string, { rule: string; check: (v: unknown, c: FieldContext) => boolean }> = {
  email: {
    rule: "an email address (name@domain)",
    check: (v) => isString(v) && v.length <= 254 && /^[^\s@]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(v),
  },
  https: {
    rule: "an https:// URL",
    check: (v) => isString(v) && v.length <= 2048 && /^https:\/\/[a-z0-9.-]+(:\d+)?(\/\S*)?$/i.test(v),
  },
  sqs: {
    rule: "an SQS queue ARN in the environment's account and Region",
    check: localArn("sqs", /^[\w-]{1,80}(\.fifo)?$/),
  },
  lambda: {
    rule: "a Lambda function ARN in the environment's account and Region",
    check: localArn("lambda", /^function:[\w-]{1,64}(:[\w$-]+)?$/),
  },
};

export const alarmsTable: ConstraintTable = {
  domain: "alarms",
  fields: [
    {
      field: "alarms.subscriptions",
      rule: "at least one subscription (an alarm nobody receives warns nobody)",
      source: SRC_SUB,
      required: true,
      check: (v) => Array.isArray(v) && v.length >= 1,
    },
    {
      field: "alarms.subscriptions.*",
      rule: "a subscription not listed before (SNS keeps one subscription per protocol and endpoint)",
      source: SRC_SUB,
      check: (v, c) => {
        const list = (c.env.alarms?.subscriptions ?? []) as unknown[];
        // Compared by value: the same protocol and endpoint written with the fields in another order is the same subscription.
        return list.findIndex((s) => canonical(s) === canonical(v)) === Number(c.segments[c.segments.length - 1]);
      },
    },
    {
      field: "alarms.subscriptions.*.protocol",
      rule: "'email', 'https', 'sqs' or 'lambda'",
      source: SRC_SUB,
      required: true,
      check: oneOf("email", "https", "sqs", "lambda"),
    },
    {
      field: "alarms.subscriptions.*.endpoint",
      rule: (c) => ENDPOINT_RULES[String(c.parent.protocol)]?.rule ?? "an endpoint for the protocol",
      source: SRC_SUB,
      required: true,
      when: (c) => isString(c.parent.protocol) && c.parent.protocol in ENDPOINT_RULES,
      check: (v, c) => ENDPOINT_RULES[String(c.parent.protocol)].check(v, c),
    },
    {
      field: "alarms.requestQuotaShare",
      rule: `a share ${CLOUDWATCH.SHARE_WORDS} (0.8 alarms at 80% of the quota)`,
      source: "KMS request quotas (https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html)",
      check: share,
    },
    {
      field: "alarms.xks.certificateDays",
      rule: `${CLOUDWATCH.XKS_CERTIFICATE_DAYS.min}-${CLOUDWATCH.XKS_CERTIFICATE_DAYS.max} days`,
      source: `${SRC_XKS_ALARMS}: XksProxyCertificateDaysToExpire`,
      check: within(CLOUDWATCH.XKS_CERTIFICATE_DAYS),
    },
    {
      field: "alarms.xks.latencyShare",
      rule: `a share of the ${XKS.PROXY_TIMEOUT_MS.value} ms timeout ${CLOUDWATCH.SHARE_WORDS}`,
      source: `${SRC_XKS_ALARMS}: XksProxyLatency`,
      check: share,
    },
    {
      field: "alarms.xks.credentialRotationDays",
      rule: `${CLOUDWATCH.XKS_CREDENTIAL_ROTATION_DAYS.min}-${CLOUDWATCH.XKS_CREDENTIAL_ROTATION_DAYS.max} days`,
      source:
        "KMS XksProxyCredentialAge (https://docs.aws.amazon.com/kms/latest/developerguide/monitoring-cloudwatch.html)",
      check: within(CLOUDWATCH.XKS_CREDENTIAL_ROTATION_DAYS),
    },
  ],
  cross: [
    {
      description:
        "alarms on a CloudHSM key store need the lambda hook runner (the scheduled health check runs in the hook function)",
      source: "docs/alarms.md: a CloudHSM store's state is polled on a schedule by the hook Lambda function",
      check: (env) =>
        env.alarms !== undefined && env.cloudHsm !== undefined && (env.hooks?.runner ?? "local") !== "lambda"
          ? [
              {
                path: "hooks.runner",
                value: env.hooks?.runner ?? "local",
                rule: "'lambda' with alarms on a CloudHSM key store (its health check runs on a schedule in the hook Lambda function)",
                source: "docs/alarms.md: a CloudHSM store's state is polled on a schedule by the hook Lambda function",
              },
            ]
          : [],
    },
    {
      description: "XKS alarm thresholds only with an external key store",
      source: SRC_XKS_ALARMS,
      check: (env) => {
        const given = (env.alarms as { xks?: unknown } | undefined)?.xks;
        return given !== undefined && env.xks === undefined
          ? [
              {
                path: "alarms.xks",
                value: given,
                rule: "absent: the environment has no external key store (xks)",
                source: SRC_XKS_ALARMS,
              },
            ]
          : [];
      },
    },
  ],
};
