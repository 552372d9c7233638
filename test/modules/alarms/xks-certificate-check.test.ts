/**
 * The XKS certificate check: an hourly schedule runs check-key-store-health in the hook function
 * through the load balancer, and one alarm watches the days to expiry it publishes (wildcard
 * certificates included, which KMS's own metric leaves blank). In a construct test and in the
 * shipped environments (prod: lambda runner; staging: local runner, KMS's metric only).
 */
import { Testing } from "cdktf";
import { CLOUDWATCH, XKS } from "@cmk-stacks/aws-limits";
import { environments } from "../../../environments";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { HookRuntime } from "../../../modules/hooks/hook-runtime";
import { TerraformData } from "../../../modules/hooks/terraform-data";
import type { IKeyStore } from "../../../modules/keystores/key-store";
import { AlarmTopic } from "../../../modules/alarms/alarm-topic";
import { XksCertificateCheck, type XksCertificateCheckProps } from "../../../modules/alarms/xks-certificate-check";
import { parseStepInput } from "../../../hooks/contract";
import { propsErrorLines, resources, synthEnvs } from "../../helpers/synth";

type Json = { resource: Record<string, Record<string, Record<string, unknown>>> };
const xks: IKeyStore = { kind: "xks", keyStoreId: "cks-1234567890abcdef0", readyWhen: [] };
const ADDRESS = "internal-test-xks-0123456789.elb.eu-west-1.amazonaws.com:443";

function build(props: Partial<XksCertificateCheckProps> = {}, runner: "lambda" | "local" = "lambda"): Json {
  const stack = new EnvironmentStack(Testing.app(), "test", {
    name: "test",
    account: "123456789012",
    region: "eu-west-1",
  });
  new HookRuntime(stack, HookRuntime.ID, {
    runner,
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
  const connect = new TerraformData(stack, "connect", {});
  new XksCertificateCheck(stack, "cert", {
    topic,
    keyStore: { ...xks, readyWhen: [connect] },
    proxyAddress: ADDRESS,
    ...props,
  });
  return JSON.parse(Testing.synth(stack)) as Json;
}

describe("XksCertificateCheck", () => {
  const json = build();

  test("an hourly EventBridge schedule runs check-key-store-health for the store through the load balancer, after connect", () => {
    expect(Object.values(json.resource.aws_cloudwatch_event_rule)).toEqual([
      expect.objectContaining({
        name: "test-kms-xks-certificate",
        schedule_expression: `rate(${XKS.CERTIFICATE_CHECK_INTERVAL_MINUTES_DEFAULT.value} minutes)`,
        depends_on: ["terraform_data.connect"],
      }),
    ]);
    const target = Object.values(json.resource.aws_cloudwatch_event_target)[0];
    expect(target.arn).toMatch(/aws_lambda_function\.hook-runtime_function_.*\.arn/);
    const event = JSON.parse(target.input as string) as Record<string, unknown>;
    expect(event).toEqual({
      step: "check-key-store-health",
      keyStoreId: xks.keyStoreId,
      connectTo: ADDRESS,
      timeoutMinutes: 2,
    });
    expect(Object.values(json.resource.aws_lambda_permission)[0]).toMatchObject({
      statement_id: "xks-certificate-schedule",
      principal: "events.amazonaws.com",
      action: "lambda:InvokeFunction",
      source_arn: expect.stringMatching(/aws_cloudwatch_event_rule\..*\.arn/),
    });
  });

  test("the schedule's event passes the step contract's argument checks (the Lambda runner would refuse it otherwise)", () => {
    const event = JSON.parse(Object.values(json.resource.aws_cloudwatch_event_target)[0].input as string) as Record<
      string,
      unknown
    >;
    const { step, ...args } = event;
    // The Lambda runner sets the region from the function's environment.
    expect(parseStepInput(step, { ...args, region: "eu-west-1" })).toEqual({
      ok: true,
      step: "check-key-store-health",
      args: {
        region: "eu-west-1",
        keyStoreId: xks.keyStoreId,
        connectTo: ADDRESS,
        minHsms: 2,
        timeoutMinutes: 2,
        // the scale-to-zero window's scale-up budget (unused without a window) takes its default
        upMinutes: 45,
      },
    });
  });

  test("one alarm on the published days: Minimum below the rulebook's certificate days, three checks per period, missing data breaching", () => {
    const alarms = Object.values(json.resource.aws_cloudwatch_metric_alarm);
    expect(alarms).toEqual([
      expect.objectContaining({
        alarm_name: "test-kms-xks-certificate-checked",
        namespace: "cmk-stacks/KeyStoreHealth",
        metric_name: "XksCertificateDaysToExpire",
        dimensions: { CustomKeyStoreId: xks.keyStoreId },
        statistic: "Minimum",
        period: XKS.CERTIFICATE_CHECK_INTERVAL_MINUTES_DEFAULT.value * 60 * 3,
        evaluation_periods: 1,
        comparison_operator: "LessThanThreshold",
        threshold: CLOUDWATCH.XKS_CERTIFICATE_DAYS_DEFAULT.value,
        treat_missing_data: "breaching",
        depends_on: ["terraform_data.connect"],
      }),
    ]);
    expect(alarms[0].alarm_description).toBe(
      "The XKS proxy's TLS certificate (or a CA certificate of its chain) expires in fewer than 30 days, or the scheduled check-key-store-health could not read it: once expired, every key in the external key store is unusable. This alarm also covers wildcard certificates, for which KMS publishes no XksProxyCertificateDaysToExpire. See the check-key-store-health lines in the hook function's log",
    );
  });

  test("the hook role gets nothing new: it only describes the store (the handshake needs no AWS permission)", () => {
    const policy = JSON.parse(Object.values(json.resource.aws_iam_role_policy)[0].policy as string) as {
      Statement: { Action: string[] }[];
    };
    expect(policy.Statement.flatMap((s) => s.Action).sort()).toEqual([
      "cloudhsm:DescribeClusters",
      "kms:DescribeCustomKeyStores",
    ]);
  });

  test("a configured threshold and interval are used", () => {
    const a = Object.values(
      build({ certificateDays: 45, intervalMinutes: 30 }).resource.aws_cloudwatch_metric_alarm,
    )[0];
    expect(a).toMatchObject({ threshold: 45, period: 30 * 60 * 3 });
  });

  test("fails when given a CloudHSM store, thresholds out of range, or the local runner: every problem at once", () => {
    expect(
      propsErrorLines(() =>
        build({ keyStore: { ...xks, kind: "cloudhsm" }, certificateDays: 0, intervalMinutes: 61 }, "local"),
      ),
    ).toEqual([
      'test/cert.keyStore: "cloudhsm" is not allowed (an external key store)',
      "test/cert.certificateDays: 0 is not allowed (1 to 365 days)",
      "test/cert.intervalMinutes: 61 is not allowed (1 to 60 minutes, EventBridge rate expression)",
      'test/cert: the stack\'s HookRuntime runner "local" is not allowed (the check runs on a schedule in the hook Lambda function, in the VPC that reaches the load balancer: the lambda runner, with its network)',
    ]);
  });
});

describe("shipped environments", () => {
  const { stacks } = synthEnvs({ staging: environments.staging, prod: environments.prod });

  test("prod (lambda runner): the check dials the XKS load balancer on 443 and alarms at the rulebook's 30 days", () => {
    const prod = stacks["prod-keys"];
    const target = Object.values(resources(prod, "aws_cloudwatch_event_target")).find((t) =>
      String(t.input).includes('"connectTo"'),
    );
    expect(JSON.parse(String(target?.input))).toMatchObject({
      step: "check-key-store-health",
      connectTo: expect.stringMatching(/^\$\{aws_lb\.xks_endpoint_nlb_[A-Z0-9]+\.dns_name\}:443$/),
    });
    const alarm = Object.values(resources(prod, "aws_cloudwatch_metric_alarm")).find(
      (x) => x.alarm_name === "prod-kms-xks-certificate-checked",
    );
    expect(alarm).toMatchObject({ metric_name: "XksCertificateDaysToExpire", threshold: 30 });
  });

  test("staging (local runner): no schedule can run, so only KMS's own certificate metric is watched (docs/xks.md)", () => {
    const names = Object.values(resources(stacks["staging-keys"], "aws_cloudwatch_metric_alarm")).map(
      (a) => a.alarm_name,
    );
    expect(names).toContain("staging-kms-xks-certificate-expiry");
    expect(names).not.toContain("staging-kms-xks-certificate-checked");
    expect(resources(stacks["staging-keys"], "aws_cloudwatch_event_rule")).toEqual({});
  });
});
