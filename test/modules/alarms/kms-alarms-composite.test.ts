import { Testing } from "cdktf";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { HookRuntime } from "../../../modules/hooks/hook-runtime";
import { KmsAlarms, type KmsAlarmsProps } from "../../../modules/alarms/kms-alarms";

type Json = { resource: Record<string, Record<string, Record<string, unknown>>> };

function alarmNames(props: Omit<KmsAlarmsProps, "subscriptions">): string[] {
  const stack = new EnvironmentStack(Testing.app(), "test", {
    name: "test",
    account: "123456789012",
    region: "eu-west-1",
  });
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
  new KmsAlarms(stack, "alarms", { subscriptions: [{ protocol: "email", endpoint: "oncall@example.com" }], ...props });
  const json = JSON.parse(Testing.synth(stack)) as Json;
  return Object.values(json.resource.aws_cloudwatch_metric_alarm)
    .map((a) => a.alarm_name as string)
    .sort();
}

test("minimal props: the topic and the account request quota alarm only", () => {
  expect(alarmNames({})).toEqual(["test-kms-request-quota"]);
});

test("with both key stores: each store's alarms and the CloudHSM health check", () => {
  expect(
    alarmNames({
      cloudHsm: {
        keyStore: { kind: "cloudhsm", keyStoreId: "cks-hsm", readyWhen: [] },
        clusterId: "cluster-abcdefghijk",
      },
      xks: { keyStore: { kind: "xks", keyStoreId: "cks-xks", readyWhen: [] }, certificateDays: 14 },
    }),
  ).toEqual([
    "test-kms-cloudhsm-active-hsms",
    "test-kms-cloudhsm-store-not-connected",
    "test-kms-cloudhsm-throttled",
    "test-kms-request-quota",
    "test-kms-xks-certificate-expiry",
    "test-kms-xks-credential-age",
    "test-kms-xks-key-manager-degraded",
    "test-kms-xks-key-manager-unavailable",
    "test-kms-xks-latency",
    "test-kms-xks-non-retryable-errors",
    "test-kms-xks-retryable-errors",
    "test-kms-xks-throttled",
  ]);
});
