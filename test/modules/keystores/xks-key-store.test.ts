import { App, TerraformOutput, TerraformStack } from "cdktf";
import { resolve } from "../../../modules/cdktf/internals";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { VpcEndpointService } from "@cdktf/provider-aws/lib/vpc-endpoint-service";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { environments } from "../../../environments";
import type { EnvironmentConfig } from "../../../environments/types";
import { checkCompliance } from "../../../modules/compliance";
import { EnvironmentStack } from "../../../modules/core/environment-stack";
import { XksKeyStore, type XksKeyStoreProps } from "../../../modules/keystores/xks-key-store";
import { CustomerKey } from "../../../modules/keys/customer-key";
import { EncryptedBucket } from "../../../modules/consumers/encrypted-bucket";
import { configErrorLines, only, resources, synthEnvs, variant } from "../../helpers/synth";
import { stackGraph } from "../../helpers/stack-graph";
import { NETWORK, synthesized, synthesizedWithPaths, testStack } from "../network/fixtures";

/** Minimal props: every optional one left to its default. */
const baseProps: XksKeyStoreProps = {
  keyStoreName: "t-xks",
  privateDnsName: "xks.example.com",
  publicZone: { id: "Z0123456789ABCDEFGHIJ", domain: "example.com" },
  uriPath: "/t/kms/xks/v1",
  proxyTargets: ["192.168.10.10", "192.168.10.11"],
  credential: { source: "variable" },
  network: NETWORK,
};

const stack = testStack;
const at = "test/xks";

describe("XksKeyStore with minimal props", () => {
  const s = testStack();
  const store = new XksKeyStore(s, "xks", baseProps);
  const json = synthesized(s);

  test("an external key store over the endpoint service, its credential from sensitive variables given only to create it, kept from destruction", () => {
    const ks = only(json, "aws_kms_custom_key_store");
    const service = Object.keys(resources(json, "aws_vpc_endpoint_service"))[0];
    expect(ks).toMatchObject({
      custom_key_store_name: "t-xks",
      custom_key_store_type: "EXTERNAL_KEY_STORE",
      xks_proxy_connectivity: "VPC_ENDPOINT_SERVICE",
      xks_proxy_uri_endpoint: "https://xks.example.com",
      xks_proxy_uri_path: "/t/kms/xks/v1",
      xks_proxy_vpc_endpoint_service_name: `\${aws_vpc_endpoint_service.${service}.service_name}`,
      dynamic: {
        xks_proxy_authentication_credential: {
          for_each: "${nonsensitive(var.xks_access_key_id != null || var.xks_secret_access_key != null) ? [1] : []}",
          content: { access_key_id: "${var.xks_access_key_id}", raw_secret_access_key: "${var.xks_secret_access_key}" },
        },
      },
      lifecycle: { prevent_destroy: true, ignore_changes: ["xks_proxy_authentication_credential"] },
    });
    expect(ks.xks_proxy_authentication_credential).toBeUndefined();
    expect(Object.keys(json.variable ?? {}).sort()).toEqual(["xks_access_key_id", "xks_secret_access_key"]);
    expect(json.variable?.xks_secret_access_key).toMatchObject({ sensitive: true, nullable: true, default: null });
  });

  test("the store waits for the allowed principal, the verification, the listener and the targets", () => {
    const graph = stackGraph(synthesizedWithPaths(s));
    const storeAddress = graph.addressOf("test/xks/store");
    for (const path of [
      "test/xks/endpoint/kms-principal",
      "test/xks/endpoint/verification",
      "test/xks/endpoint/listener",
      "test/xks/endpoint/target-192-168-10-10",
    ]) {
      expect(graph.dependsOn(storeAddress, graph.addressOf(path))).toBe(true);
    }
  });

  test("the stack's Region and name prefix: KMS's principal, the load balancer and target group names", () => {
    expect(only(json, "aws_vpc_endpoint_service_allowed_principal").principal_arn).toBe(
      "cks.kms.eu-west-1.amazonaws.com",
    );
    expect(only(json, "aws_lb")).toMatchObject({
      name: "t-xks",
      internal: true,
      subnet_mapping: [{ subnet_id: "subnet-0123456789abcdef0" }, { subnet_id: "subnet-0123456789abcdef1" }],
    });
    expect(only(json, "aws_lb_target_group")).toMatchObject({ name: "t-xks-proxies", vpc_id: NETWORK.vpcId });
  });

  test("default health check: TCP on the traffic port every 10 s, 3 checks either way", () => {
    expect(only(json, "aws_lb_target_group").health_check).toEqual({
      enabled: true,
      protocol: "TCP",
      port: "traffic-port",
      interval: 10,
      healthy_threshold: 3,
      unhealthy_threshold: 3,
    });
  });

  test("egress to the network's on-premises ranges only; ingress from the VPC", () => {
    expect(Object.values(resources(json, "aws_vpc_security_group_egress_rule")).map((r) => r.cidr_ipv4)).toEqual([
      "192.168.0.0/16",
    ]);
    expect(only(json, "aws_vpc_security_group_ingress_rule").cidr_ipv4).toBe("10.20.0.0/16");
  });

  test("the connect step: 45 minutes by default, in the stack's Region, after the store", () => {
    const hook = Object.values(resources(json, "terraform_data"))[0];
    const command = (hook.provisioner as { "local-exec": { command: string } }[])[0]["local-exec"].command;
    expect(command).toContain(
      "connect-key-store --region 'eu-west-1' --timeout-minutes 45 --key-store-id '${aws_kms_custom_key_store.",
    );
    expect(store.keyStore.readyWhen).toEqual([store.connect.resource]);
  });

  test("a Secrets Manager credential: the secret's current version, read only when xks_read_credential_secret is true", () => {
    const t = testStack();
    new XksKeyStore(t, "xks", {
      ...baseProps,
      credential: {
        source: "secretsManager",
        secretArn: "arn:aws:secretsmanager:eu-west-1:111111111111:secret:xks-AbCdEf",
      },
    });
    const out = synthesized(t);
    expect(Object.values(out.data?.aws_secretsmanager_secret_version ?? {})).toEqual([
      {
        secret_id: "arn:aws:secretsmanager:eu-west-1:111111111111:secret:xks-AbCdEf",
        count: "${var.xks_read_credential_secret == true ? 1 : 0}",
      },
    ]);
    expect(out.variable).toEqual({
      xks_read_credential_secret: expect.objectContaining({
        type: "bool",
        nullable: true,
        default: null,
        sensitive: false,
      }),
    });
  });
});

describe("XksKeyStore refuses what KMS or the load balancer cannot do", () => {
  const hc = (healthCheck: XksKeyStoreProps["healthCheck"]) => ({ healthCheck });
  test.each<[string, Partial<XksKeyStoreProps>, string[]]>([
    [
      "fails when the subnets cover a single AZ",
      { network: { ...NETWORK, subnetIdByAz: { "eu-west-1a": "subnet-a" } } },
      [
        `${at}/endpoint.network.subnetIdByAz: ["eu-west-1a"] is not allowed (subnets in at least 2 distinct AZs for the XKS load balancer, https://docs.aws.amazon.com/kms/latest/developerguide/vpc-connectivity.html)`,
      ],
    ],
    [
      "fails when the network declares no on-premises range",
      { network: { ...NETWORK, onPremisesCidrs: undefined } },
      [
        `${at}/endpoint.network.onPremisesCidrs: [] is not allowed (the data centre ranges holding the proxies: the XKS load balancer's only egress)`,
      ],
    ],
    [
      "fails when an HTTPS health check targets the signed XKS health API",
      hc({ protocol: "HTTPS", path: "/northwind/kms/xks/v1/health" }),
      [
        `${at}/endpoint.healthCheck.path: "/northwind/kms/xks/v1/health" is not allowed (a path outside the XKS proxy API, whose signed POST a health check cannot send: use protocol TCP)`,
      ],
    ],
    [
      "fails when a TCP health check has a path",
      hc({ path: "/status" }),
      [
        `${at}/endpoint.healthCheck.path: "/status" is not allowed (a path with protocol HTTPS only: a TCP health check opens a connection and sends nothing)`,
      ],
    ],
    [
      "fails when the health check settings are out of the ELB bounds",
      hc({ protocol: "HTTPS", path: "status", intervalSeconds: 4, healthyThreshold: 11, unhealthyThreshold: 2.5 }),
      [
        `${at}/endpoint.healthCheck.path: "status" is not allowed (a path starting with '/', at most 1024 characters, ELB CreateTargetGroup HealthCheckPath)`,
        `${at}/endpoint.healthCheck.intervalSeconds: 4 is not allowed (5 to 300, ELB CreateTargetGroup HealthCheckIntervalSeconds)`,
        `${at}/endpoint.healthCheck.healthyThreshold: 11 is not allowed (2 to 10, ELB CreateTargetGroup HealthyThresholdCount)`,
        `${at}/endpoint.healthCheck.unhealthyThreshold: 2.5 is not allowed (2 to 10, ELB CreateTargetGroup UnhealthyThresholdCount)`,
      ],
    ],
    [
      "fails when the private DNS name is not a lowercase name",
      { privateDnsName: "XKS.example.com" },
      [
        `${at}/endpoint.privateDnsName: "XKS.example.com" is not allowed (a lowercase DNS name such as xks.example.com, VPC endpoint service PrivateDnsName)`,
      ],
    ],
    [
      "fails when the private DNS name is outside the public zone and the zone id is malformed",
      { privateDnsName: "xks.example.org", publicZone: { id: "zone-1", domain: "example.com" } },
      [
        `${at}/endpoint.privateDnsName: "xks.example.org" is not allowed (a subdomain of publicZone.domain example.com, where its ownership is verified with a TXT record)`,
        `${at}/endpoint.publicZone.id: "zone-1" is not allowed (a Route 53 hosted zone id: Z followed by uppercase letters and digits)`,
      ],
    ],
    [
      "fails when the URI endpoint would be longer than 128 characters",
      { privateDnsName: `${"a".repeat(60)}.${"b".repeat(50)}.example.com` },
      [
        `${at}/endpoint.privateDnsName: "${"a".repeat(60)}.${"b".repeat(50)}.example.com" is not allowed (a name whose URI endpoint https://<name> is 10-128 characters, KMS CreateCustomKeyStore XksProxyUriEndpoint)`,
      ],
    ],
    [
      "fails when a proxy is not an IPv4 address, listed twice or outside the on-premises ranges",
      { proxyTargets: ["192.168.10.10", "proxy.example.com", "192.168.10.10", "10.20.0.5"] },
      [
        `${at}/endpoint.proxyTargets.1: "proxy.example.com" is not allowed (an IPv4 address, ELB RegisterTargets Id of an ip target)`,
        `${at}/endpoint.proxyTargets.2: "192.168.10.10" is not allowed (listed twice: each proxy is one target)`,
        `${at}/endpoint.proxyTargets.3: "10.20.0.5" is not allowed (an address inside network.onPremisesCidrs (192.168.0.0/16), the load balancer's only egress)`,
      ],
    ],
    [
      "fails when there is no proxy",
      { proxyTargets: [] },
      [`${at}/endpoint.proxyTargets: [] is not allowed (at least one proxy address, the target group's IP targets)`],
    ],
    [
      "fails when the store name is empty and the URI path is not an XKS path",
      { keyStoreName: "", uriPath: "/t/xks/v1" },
      [
        `${at}.keyStoreName: "" is not allowed (1-256 characters, KMS CreateCustomKeyStore CustomKeyStoreName)`,
        `${at}.uriPath: "/t/xks/v1" is not allowed (10-128 chars matching /<prefix>/kms/xks/v<1-2 digits> or /kms/xks/v<1-2 digits> (version 1: ends /kms/xks/v1), KMS CreateCustomKeyStore XksProxyUriPath)`,
      ],
    ],
    [
      "fails when the secret is not a Secrets Manager ARN",
      { credential: { source: "secretsManager", secretArn: "xks-credential" } },
      [
        `${at}/credential.source.secretArn: "xks-credential" is not allowed (a Secrets Manager secret ARN, arn:<partition>:secretsmanager:<region>:<account>:secret:<name>)`,
      ],
    ],
    [
      "fails when the connect step's wait is out of bounds",
      { connectTimeoutMinutes: 600 },
      [
        `${at}/connect.timeoutMinutes: 600 is not allowed (whole minutes from 5 to 120: one apply, at most 9 Lambda invocations of 15 minutes)`,
      ],
    ],
  ])("%s", (_name, change, lines) => {
    expect(configErrorLines(() => new XksKeyStore(stack(), "xks", { ...baseProps, ...change }))).toEqual(lines);
  });

  test("fails when the stack's name prefix makes the target group name longer than 32 characters", () => {
    expect(configErrorLines(() => new XksKeyStore(testStack("a-very-long-environment"), "xks", baseProps))).toEqual([
      `${at}/endpoint.targetGroupName: "a-very-long-environment-xks-proxies" is not allowed (at most 32 characters, ELB CreateTargetGroup Name: use a shorter EnvironmentStack name)`,
    ]);
  });

  test("fails when the stack is not an EnvironmentStack", () => {
    expect(configErrorLines(() => new XksKeyStore(new TerraformStack(new App(), "plain"), "xks", baseProps))).toEqual([
      'plain/xks/endpoint: is in the stack "plain", which is not an EnvironmentStack (its constructs read the account, Region, partition and name prefix from an EnvironmentStack: new EnvironmentStack(app, id, { name, account, region }))',
    ]);
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
    new XksKeyStore(s, "xks", {
      ...baseProps,
      network: { ...NETWORK, subnetIdByAz: { "eu-west-1c": "subnet-c", "eu-west-1a": "subnet-a" } },
    });
    expect(only(synthesized(s), "aws_lb").subnet_mapping).toEqual([
      { subnet_id: "subnet-a" },
      { subnet_id: "subnet-c" },
    ]);
  });

  test("the key store waits for what the network's route to the data centre needs", () => {
    const s = stack();
    const route = new KmsKey(s, "stand-in-for-a-route", {});
    new XksKeyStore(s, "xks", { ...baseProps, network: { ...NETWORK, onPremisesReady: [route] } });
    const graph = stackGraph(synthesizedWithPaths(s));
    expect(graph.dependsOn(graph.addressOf("test/xks/store"), graph.addressOf("test/stand-in-for-a-route"))).toBe(true);
  });
});

describe("configurable health check and runner (synthesized through the stacks)", () => {
  const https = variant<EnvironmentConfig>(environments.staging, {
    // The proxy's own unauthenticated status page (the XKS health API is a signed POST: refused).
    "xks.healthCheck": {
      protocol: "HTTPS",
      path: "/status",
      intervalSeconds: 30,
      healthyThreshold: 2,
      unhealthyThreshold: 5,
    },
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
    const invocations = Object.keys(resources(keys, "aws_lambda_invocation")).filter((n) =>
      n.startsWith("xks_connect"),
    );
    expect(invocations).toHaveLength(3);
    const last = graph.addressOf("staging-keys/xks/connect/invoke-3");
    const key = graph.addressOf("staging-keys/key-records/key");
    expect([...graph.dependenciesOf(key)]).toContain(last);
    expect(
      graph.dependsOn(graph.addressOf("staging-keys/xks/connect/invoke-1"), graph.addressOf("staging-keys/xks/store")),
    ).toBe(true);
    const input = JSON.parse(resources(keys, "aws_lambda_invocation")[invocations[0]].input as string) as Record<
      string,
      unknown
    >;
    expect(input).toMatchObject({
      step: "connect-key-store",
      region: "eu-west-1",
      timeoutMinutes: 30,
      keyStoreId: expect.stringMatching(/^\$\{aws_kms_custom_key_store\.[\w-]+\.id\}$/),
    });
  });
});

describe("compliance rules for XKS", () => {
  const findings = (build: (s: TerraformStack) => void) => {
    const s = stack();
    build(s);
    return checkCompliance([s])
      .findings.filter((f) => f.ruleId === "CKV_AWS_123" || f.ruleId === "CMK_3")
      .map((f) => `${f.ruleId} ${f.path}: ${f.message}${f.suppressedBecause ? " [suppressed]" : ""}`);
  };
  // Both rules are in the fixed pack (modules/compliance/index.ts), whatever else is imported.

  test("CKV_AWS_123: a service that requires acceptance is compliant", () => {
    expect(
      findings(
        (s) =>
          new VpcEndpointService(s, "svc", {
            acceptanceRequired: true,
            networkLoadBalancerArns: ["arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/net/x/1"],
          }),
      ),
    ).toEqual([]);
  });
  test("CKV_AWS_123 fails when a service does not require acceptance", () => {
    expect(
      findings(
        (s) =>
          new VpcEndpointService(s, "svc", {
            acceptanceRequired: false,
            networkLoadBalancerArns: ["arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/net/x/1"],
          }),
      ),
    ).toEqual(["CKV_AWS_123 test/svc: acceptance_required is not true"]);
  });
  test("CKV_AWS_123 is suppressed (with its reason) on the XKS endpoint service only", () => {
    expect(findings((s) => new XksKeyStore(s, "xks", baseProps))).toEqual([
      "CKV_AWS_123 test/xks/endpoint/service: acceptance_required is not true [suppressed]",
    ]);
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
    expect(
      findings(
        (s) =>
          new EncryptedBucket(s, "bucket", {
            bucketName: "t-records",
            key: storeKey(s, new XksKeyStore(s, "xks", baseProps)),
          }),
      ),
    ).toEqual(["CKV_AWS_123 test/xks/endpoint/service: acceptance_required is not true [suppressed]"]);
  });
  test("CMK_3 fails when a bucket under an XKS key has no bucket key", () => {
    expect(
      findings((s) => {
        const key = storeKey(s, new XksKeyStore(s, "xks", baseProps));
        new S3BucketServerSideEncryptionConfigurationA(s, "sse", {
          bucket: "b",
          rule: [
            {
              applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.keyArn },
              bucketKeyEnabled: false,
            },
          ],
        });
      }).filter((f) => f.startsWith("CMK_3")),
    ).toEqual(["CMK_3 test/sse: bucket_key_enabled is not true for a bucket encrypted under a custom-key-store key"]);
  });
  test("CMK_3 leaves buckets under AWS-KMS keys to CKV_AWS_145", () => {
    expect(
      findings((s) => {
        const key = new KmsKey(s, "k", { enableKeyRotation: true });
        new S3BucketServerSideEncryptionConfigurationA(s, "sse", {
          bucket: "b",
          rule: [
            {
              applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn },
              bucketKeyEnabled: false,
            },
          ],
        });
      }),
    ).toEqual([]);
  });
  test("CMK_3 fails across stacks: a consumer stack's bucket under the keys stack's XKS key without bucket key", () => {
    const app = new App();
    const keysStack = new EnvironmentStack(app, "keys", { name: "t", account: "111111111111", region: "eu-west-1" });
    const key = storeKey(keysStack, new XksKeyStore(keysStack, "xks", baseProps));
    const dataStack = new EnvironmentStack(app, "data", { name: "t", account: "111111111111", region: "eu-west-1" });
    new S3BucketServerSideEncryptionConfigurationA(dataStack, "sse", {
      bucket: "b",
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.keyArn },
          bucketKeyEnabled: false,
        },
      ],
    });
    const cmk3 = checkCompliance([keysStack, dataStack])
      .findings.filter((f) => f.ruleId === "CMK_3")
      .map((f) => f.path);
    expect(cmk3).toEqual(["data/sse"]);
    // checking compared tokens without resolving them in the wrong stack (no cross-stack output added)
    expect(keysStack.node.findAll().filter((c) => c instanceof TerraformOutput)).toEqual([]);
  });
});
