import { App, TerraformOutput, TerraformStack } from "cdktf";
import { resolve } from "../../../modules/cdktf/internals";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { VpcEndpointService } from "@cdktf/provider-aws/lib/vpc-endpoint-service";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { environments } from "../../../environments";
import { resolveEnvironment, type ResolvedXks } from "../../../environments/resolve";
import type { EnvironmentConfig } from "../../../environments/types";
import { checkCompliance } from "../../../modules/compliance";
import { XksKeyStore, type XksKeyStoreProps } from "../../../modules/keystores/xks-key-store";
import { CustomerKey } from "../../../modules/keys/customer-key";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { EncryptedBucket } from "../../../modules/consumers/encrypted-bucket";
import { configErrorLines, only, resources, synthEnvs, variant } from "../../helpers/synth";
import { stackGraph } from "./graph";

const stagingXks = resolveEnvironment(environments.staging).xks as ResolvedXks;
const baseProps: XksKeyStoreProps = {
  config: stagingXks,
  region: "eu-west-1",
  network: { vpcId: "vpc-0123456789abcdef0", cidr: "10.20.0.0/16", subnetIdByAz: { "eu-west-1a": "subnet-a", "eu-west-1b": "subnet-b" } },
  onPremisesCidrs: ["192.168.0.0/16"],
  namePrefix: "t",
  connectTimeoutMinutes: 20,
};

function stack(): TerraformStack {
  return new EnvironmentStack(new App(), "s", { name: "t", account: "111111111111", region: "eu-west-1" });
}

describe("XksKeyStore refuses what the load balancer cannot do", () => {
  test.each([
    [
      "fails when the subnets cover a single AZ",
      { network: { ...baseProps.network, subnetIdByAz: { "eu-west-1a": "subnet-a" } } },
      ['network.subnets: ["eu-west-1a"] is not allowed (the XKS load balancer needs subnets in at least 2 distinct AZs)'],
    ],
    [
      "fails when no on-premises range is declared",
      { onPremisesCidrs: [] },
      ["network.onPremisesCidrs: [] is not allowed (the XKS load balancer's only egress is to the data centre ranges holding the proxies)"],
    ],
    [
      "fails when an HTTPS health check targets the signed XKS health API",
      { config: { ...stagingXks, healthCheck: { ...stagingXks.healthCheck, protocol: "HTTPS" as const, path: "/northwind/kms/xks/v1/health" } } },
      ['xks.healthCheck.path: "/northwind/kms/xks/v1/health" is not allowed (a path outside the XKS proxy API, whose signed POST a health check cannot send: use protocol TCP)'],
    ],
  ])("%s", (_name, change, lines) => {
    expect(configErrorLines(() => new XksKeyStore(stack(), "xks", { ...baseProps, ...change }))).toEqual(lines);
  });
});

describe("XksKeyStore as a construct", () => {
  test("exposes an xks IKeyStore whose keys wait for the connect step", () => {
    const s = stack();
    const store = new XksKeyStore(s, "xks", baseProps);
    expect(store.keyStore.kind).toBe("xks");
    expect(resolve(s, store.keyStore.keyStoreId)).toMatch(/^\$\{aws_kms_custom_key_store\.xks_store_\w+\.id\}$/);
    expect(store.keyStore.readyWhen).toEqual([store.connect.resource]);
  });

  test("one subnet mapping per AZ, in AZ order, whatever order the map has", () => {
    const s = stack();
    new XksKeyStore(s, "xks", { ...baseProps, network: { ...baseProps.network, subnetIdByAz: { "eu-west-1c": "subnet-c", "eu-west-1a": "subnet-a" } } });
    const json = JSON.parse(JSON.stringify((s as unknown as { toTerraform(): unknown }).toTerraform())) as { resource: Record<string, Record<string, Record<string, unknown>>> };
    expect(Object.values(json.resource.aws_lb)[0].subnet_mapping).toEqual([{ subnet_id: "subnet-a" }, { subnet_id: "subnet-c" }]);
  });
});

describe("configurable health check and runner (synthesized through the stacks)", () => {
  const https = variant<EnvironmentConfig>(environments.staging, {
    // The proxy's own unauthenticated status page (the XKS health API is a signed POST: refused).
    "xks.healthCheck": { protocol: "HTTPS", path: "/status", intervalSeconds: 30, healthyThreshold: 2, unhealthyThreshold: 5 },
    "hooks.runner": "lambda",
    "hooks.timeoutMinutes": 30,
  });
  const { stacks } = synthEnvs({ staging: https });
  const keys = stacks["staging-keys"];

  test("an HTTPS health check on the proxies' own status path with the given interval and thresholds", () => {
    expect(only(keys, "aws_lb_target_group").health_check).toEqual({
      enabled: true,
      protocol: "HTTPS",
      port: "traffic-port",
      path: "/status",
      interval: 30,
      healthy_threshold: 2,
      unhealthy_threshold: 5,
    });
  });

  test("lambda runner: the connect step is a chain of invocations after the store; the key waits for the last", () => {
    const graph = stackGraph(keys);
    const invocations = Object.keys(resources(keys, "aws_lambda_invocation")).filter((n) => n.startsWith("xks_connect"));
    expect(invocations).toHaveLength(3);
    const last = graph.addressOf("staging-keys/xks/connect/invoke-3");
    const key = graph.addressOf("staging-keys/key-records/key");
    expect([...graph.dependenciesOf(key)]).toContain(last);
    expect(graph.dependsOn(graph.addressOf("staging-keys/xks/connect/invoke-1"), graph.addressOf("staging-keys/xks/store"))).toBe(true);
    const input = JSON.parse(resources(keys, "aws_lambda_invocation")[invocations[0]].input as string) as Record<string, unknown>;
    expect(input).toMatchObject({ step: "connect-key-store", region: "eu-west-1", timeoutMinutes: 30, keyStoreId: expect.stringMatching(/^\$\{aws_kms_custom_key_store\.[\w-]+\.id\}$/) });
  });
});

describe("compliance rules for XKS", () => {
  const findings = (build: (s: TerraformStack) => void) => {
    const s = stack();
    build(s);
    return checkCompliance([s]).findings.filter((f) => f.ruleId === "CKV_AWS_123" || f.ruleId === "CMK_3").map((f) => `${f.ruleId} ${f.path}: ${f.message}${f.suppressedBecause ? " [suppressed]" : ""}`);
  };
  // The rules register when the XKS module loads (imported above, as main.ts does through the keys stack).

  test("CKV_AWS_123: a service that requires acceptance is compliant", () => {
    expect(findings((s) => new VpcEndpointService(s, "svc", { acceptanceRequired: true, networkLoadBalancerArns: ["arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/net/x/1"] }))).toEqual([]);
  });
  test("CKV_AWS_123 fails when a service does not require acceptance", () => {
    expect(findings((s) => new VpcEndpointService(s, "svc", { acceptanceRequired: false, networkLoadBalancerArns: ["arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/net/x/1"] }))).toEqual([
      "CKV_AWS_123 s/svc: acceptance_required is not true",
    ]);
  });
  test("CKV_AWS_123 is suppressed (with its reason) on the XKS endpoint service only", () => {
    expect(findings((s) => new XksKeyStore(s, "xks", baseProps))).toEqual(["CKV_AWS_123 s/xks/endpoint/service: acceptance_required is not true [suppressed]"]);
  });

  const storeKey = (s: TerraformStack, store: XksKeyStore) =>
    new CustomerKey(s, "key", {
      name: "records",
      alias: "alias/t/records",
      xksKeyId: "k-1",
      administrators: ["arn:aws:iam::111111111111:role/A"],
      users: ["arn:aws:iam::111111111111:role/U"],
      keyStore: store.keyStore,
    });
  test("CMK_3: a bucket under an XKS key with the bucket key on is compliant (EncryptedBucket)", () => {
    expect(findings((s) => new EncryptedBucket(s, "bucket", { bucketName: "t-records", key: storeKey(s, new XksKeyStore(s, "xks", baseProps)) }))).toEqual([
      "CKV_AWS_123 s/xks/endpoint/service: acceptance_required is not true [suppressed]",
    ]);
  });
  test("CMK_3 fails when a bucket under an XKS key has no bucket key", () => {
    expect(
      findings((s) => {
        const key = storeKey(s, new XksKeyStore(s, "xks", baseProps));
        new S3BucketServerSideEncryptionConfigurationA(s, "sse", { bucket: "b", rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.keyArn }, bucketKeyEnabled: false }] });
      }).filter((f) => f.startsWith("CMK_3")),
    ).toEqual(["CMK_3 s/sse: bucket_key_enabled is not true for a bucket encrypted under a custom-key-store key"]);
  });
  test("CMK_3 leaves buckets under AWS-KMS keys to CKV_AWS_145", () => {
    expect(
      findings((s) => {
        const key = new KmsKey(s, "k", { enableKeyRotation: true });
        new S3BucketServerSideEncryptionConfigurationA(s, "sse", { bucket: "b", rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn }, bucketKeyEnabled: false }] });
      }),
    ).toEqual([]);
  });
  test("CMK_3 fails across stacks: a consumer stack's bucket under the keys stack's XKS key without bucket key", () => {
    const app = new App();
    const keysStack = new EnvironmentStack(app, "keys", { name: "t", account: "111111111111", region: "eu-west-1" });
    const key = storeKey(keysStack, new XksKeyStore(keysStack, "xks", baseProps));
    const dataStack = new TerraformStack(app, "data");
    new AwsProvider(dataStack, "aws", { region: "eu-west-1" });
    new S3BucketServerSideEncryptionConfigurationA(dataStack, "sse", { bucket: "b", rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.keyArn }, bucketKeyEnabled: false }] });
    const cmk3 = checkCompliance([keysStack, dataStack]).findings.filter((f) => f.ruleId === "CMK_3").map((f) => f.path);
    expect(cmk3).toEqual(["data/sse"]);
    // checking compared tokens without resolving them in the wrong stack (no cross-stack output added)
    expect(keysStack.node.findAll().filter((c) => c instanceof TerraformOutput)).toEqual([]);
  });
});
