import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { environments } from "../../environments";
import type { EnvironmentConfig } from "../../environments/types";
import { XKS_ACCEPTANCE_REASON } from "../../modules/keystores/xks-proxy-endpoint";
import { only, resources, synthEnvs, variant, type StackJson } from "../helpers/synth";
import { stackGraph } from "../helpers/stack-graph";

/** Prod's XKS half: the CloudHSM parts are another module's concern and are left out here. */
const prodXks = variant<EnvironmentConfig>(environments.prod, {
  cloudHsm: undefined,
  "keys.fileShares": undefined,
  "data.fsx": undefined,
});

// A canary in the environment Terraform would read: the app must never copy it into cdktf.out.
const CANARY_ID = "CANARYACCESSKEYID234567";
const CANARY_SECRET = "canarySecretAccessKey0123456789abcdefghijklmnop+/=";
process.env.TF_VAR_xks_access_key_id = CANARY_ID;
process.env.TF_VAR_xks_secret_access_key = CANARY_SECRET;
const { stacks, composed, outdir } = synthEnvs({ staging: environments.staging, prod: prodXks });
delete process.env.TF_VAR_xks_access_key_id;
delete process.env.TF_VAR_xks_secret_access_key;

const keys = stacks["staging-keys"];
const graph = stackGraph(keys);
const at = (path: string) => graph.addressOf(`staging-keys/${path}`);
const body = (stack: StackJson, address: string) => {
  const [type, name] = address.split(".");
  return stack.resource?.[type]?.[name] as Record<string, unknown>;
};
const ref = (path: string, attr: string) => `\${${at(path)}.${attr}}`;

describe("staging-keys: the PrivateLink path to the proxies", () => {
  test("target group: IP targets on TCP 443 with the default TCP health check", () => {
    expect(only(keys, "aws_lb_target_group")).toMatchObject({
      target_type: "ip",
      protocol: "TCP",
      port: 443,
      ip_address_type: "ipv4",
      vpc_id: ref("network/vpc", "id"),
      health_check: {
        enabled: true,
        protocol: "TCP",
        port: "traffic-port",
        interval: 10,
        healthy_threshold: 3,
        unhealthy_threshold: 3,
      },
    });
    expect((only(keys, "aws_lb_target_group").health_check as Record<string, unknown>).path).toBeUndefined();
  });

  test("each proxy is a target on 443 in availability zone all (outside the VPC)", () => {
    const targets = Object.values(resources(keys, "aws_lb_target_group_attachment"));
    expect(targets.map((t) => [t.target_id, t.port, t.availability_zone, t.target_group_arn])).toEqual([
      ["192.168.10.11", 443, "all", ref("xks/endpoint/targets", "arn")],
      ["192.168.20.11", 443, "all", ref("xks/endpoint/targets", "arn")],
    ]);
  });

  test("load balancer: internal IPv4 NLB, one mapping per AZ subnet, cross-zone on, its own security group, guarded", () => {
    const nlb = only(keys, "aws_lb");
    expect(nlb).toMatchObject({
      load_balancer_type: "network",
      internal: true,
      ip_address_type: "ipv4",
      enable_cross_zone_load_balancing: true,
      enable_deletion_protection: true,
      enforce_security_group_inbound_rules_on_private_link_traffic: "off",
      security_groups: [ref("xks/endpoint/sg", "id")],
      lifecycle: { prevent_destroy: true },
    });
    const subnets = Object.keys(resources(keys, "aws_subnet")).map((n) => `\${aws_subnet.${n}.id}`);
    expect(nlb.subnet_mapping).toEqual(subnets.map((subnet_id) => ({ subnet_id })));
    expect(subnets).toHaveLength(3);
  });

  test("listener: TCP 443 forwarding to the proxies' target group", () => {
    expect(only(keys, "aws_lb_listener")).toMatchObject({
      load_balancer_arn: ref("xks/endpoint/nlb", "arn"),
      protocol: "TCP",
      port: 443,
      default_action: [{ type: "forward", target_group_arn: ref("xks/endpoint/targets", "arn") }],
    });
  });

  test("security group: 443 in from the VPC CIDR only, 443 out to the on-premises ranges only", () => {
    const sg = body(keys, at("xks/endpoint/sg"));
    expect(sg.ingress).toBeUndefined();
    expect(sg.egress).toBeUndefined();
    const rule = (r: Record<string, unknown>) => [
      r.security_group_id,
      r.ip_protocol,
      r.from_port,
      r.to_port,
      r.cidr_ipv4,
    ];
    const sgId = ref("xks/endpoint/sg", "id");
    expect(Object.values(resources(keys, "aws_vpc_security_group_ingress_rule")).map(rule)).toEqual([
      [sgId, "tcp", 443, 443, "10.20.0.0/16"],
    ]);
    expect(Object.values(resources(keys, "aws_vpc_security_group_egress_rule")).map(rule)).toEqual([
      [sgId, "tcp", 443, 443, "192.168.0.0/16"],
    ]);
  });

  test("endpoint service: no acceptance, private DNS name, IPv4, on the NLB, guarded; principals only through the separate resource", () => {
    const service = only(keys, "aws_vpc_endpoint_service");
    expect(service).toMatchObject({
      acceptance_required: false,
      private_dns_name: "xks.staging.northwind-health.example",
      supported_ip_address_types: ["ipv4"],
      network_load_balancer_arns: [ref("xks/endpoint/nlb", "arn")],
      lifecycle: { prevent_destroy: true },
    });
    expect(service.allowed_principals).toBeUndefined();
    expect(only(keys, "aws_vpc_endpoint_service_allowed_principal")).toMatchObject({
      vpc_endpoint_service_id: ref("xks/endpoint/service", "id"),
      principal_arn: "cks.kms.eu-west-1.amazonaws.com",
    });
  });

  test("domain verification: TXT record in the public zone from private_dns_name_configuration, then a waiting verification", () => {
    expect(only(keys, "aws_route53_record")).toMatchObject({
      zone_id: "Z0STAGINGNORTHWIND1",
      type: "TXT",
      ttl: 1800,
      name: `${ref("xks/endpoint/service", "private_dns_name_configuration[0].name")}.staging.northwind-health.example`,
      records: [ref("xks/endpoint/service", "private_dns_name_configuration[0].value")],
    });
    const verification = only(keys, "aws_vpc_endpoint_service_private_dns_verification");
    expect(verification).toMatchObject({
      service_id: ref("xks/endpoint/service", "id"),
      wait_for_verification: true,
      depends_on: [at("xks/endpoint/verification-txt")],
    });
    expect(verification.region).toBeUndefined();
  });
});

describe("staging-keys: the external key store", () => {
  const store = () => only(keys, "aws_kms_custom_key_store");

  test("EXTERNAL_KEY_STORE over the endpoint service, URI from the private DNS name and path, service name by reference", () => {
    expect(store()).toMatchObject({
      custom_key_store_name: "staging-xks",
      custom_key_store_type: "EXTERNAL_KEY_STORE",
      xks_proxy_connectivity: "VPC_ENDPOINT_SERVICE",
      xks_proxy_uri_endpoint: "https://xks.staging.northwind-health.example",
      xks_proxy_uri_path: "/northwind/kms/xks/v1",
      xks_proxy_vpc_endpoint_service_name: ref("xks/endpoint/service", "service_name"),
    });
    expect(store().cloud_hsm_cluster_id).toBeUndefined();
  });

  test("credential from two sensitive string variables (default null), given only to create the store, format-checked by preconditions that never print it", () => {
    expect(store().xks_proxy_authentication_credential).toBeUndefined();
    expect(
      (store().dynamic as Record<string, { content: unknown }>).xks_proxy_authentication_credential.content,
    ).toEqual({ access_key_id: "${var.xks_access_key_id}", raw_secret_access_key: "${var.xks_secret_access_key}" });
    expect(Object.keys(keys.variable ?? {}).sort()).toEqual(["xks_access_key_id", "xks_secret_access_key"]);
    for (const v of Object.values(keys.variable ?? {})) {
      expect(v).toMatchObject({ type: "string", sensitive: true, nullable: true, default: null });
      expect(v.validation).toBeUndefined();
    }
    const lifecycle = store().lifecycle as {
      prevent_destroy: boolean;
      ignore_changes?: unknown;
      precondition: { condition: string; error_message: string }[];
      postcondition: { condition: string; error_message: string }[];
    };
    expect(lifecycle.prevent_destroy).toBe(true);
    expect(lifecycle.ignore_changes).toEqual(["xks_proxy_authentication_credential"]);
    const given = "nonsensitive(var.xks_access_key_id != null || var.xks_secret_access_key != null)";
    expect(lifecycle.precondition.map((p) => p.condition)).toEqual([
      `\${!(${given}) || can(regex("^[A-Z2-7]{20,30}$", var.xks_access_key_id))}`,
      `\${!(${given}) || can(regex("^[a-zA-Z0-9/+=]{43,64}$", var.xks_secret_access_key))}`,
    ]);
    expect(lifecycle.postcondition).toEqual([
      {
        condition: `\${length(self.xks_proxy_authentication_credential) > 0 || ${given}}`,
        error_message:
          "Creating the external key store needs its XKS proxy authentication credential and this plan has none: set the sensitive variables xks_access_key_id and xks_secret_access_key for the plan and apply that create it (TF_VAR_xks_access_key_id / TF_VAR_xks_secret_access_key, or a tfvars file kept out of version control; in CI, the deploy's keys plan and apply steps set them from the GitHub secrets XKS_ACCESS_KEY_ID_STAGING and XKS_SECRET_ACCESS_KEY_STAGING). Once the store exists, plans need no credential and ignore it; change it with the operator step rotate-xks-credential (docs/xks.md).",
      },
    ]);
    for (const p of lifecycle.precondition) expect(p.error_message).not.toMatch(/\$\{/);
  });

  test("the connect hook runs connect-key-store on the store's id after the store exists", () => {
    const connect = body(keys, at("xks/connect/run"));
    expect(connect.triggers_replace).toEqual({ step: "connect-key-store", "key-store-id": ref("xks/store", "id") });
    expect(connect.depends_on).toEqual([at("xks/store")]);
    const command = (connect.provisioner as { "local-exec": { command: string } }[])[0]["local-exec"].command;
    expect(command).toMatch(
      /hooks\.js" connect-key-store --region 'eu-west-1' --timeout-minutes 45 --key-store-id '\$\{aws_kms_custom_key_store\.[\w-]+\.id\}'$/,
    );
  });

  test("the XKS key lives in the store with its external key id, without rotation, once the store is connected", () => {
    const key = body(keys, at("key-records/key"));
    expect(key).toMatchObject({
      custom_key_store_id: ref("xks/store", "id"),
      xks_key_id: "northwind-staging-records-01",
      enable_key_rotation: false,
      depends_on: [at("xks/connect/run")],
      lifecycle: { prevent_destroy: true },
    });
  });

  test("Terraform order: NLB -> service -> principal and TXT -> verification -> store -> connect -> key", () => {
    const order: [string, string][] = [
      ["xks/endpoint/service", "xks/endpoint/nlb"],
      ["xks/endpoint/kms-principal", "xks/endpoint/service"],
      ["xks/endpoint/verification-txt", "xks/endpoint/service"],
      ["xks/endpoint/verification", "xks/endpoint/verification-txt"],
      ["xks/store", "xks/endpoint/kms-principal"],
      ["xks/store", "xks/endpoint/verification"],
      ["xks/store", "xks/endpoint/listener"],
      ["xks/connect/run", "xks/store"],
      ["key-records/key", "xks/connect/run"],
    ];
    for (const [later, earlier] of order)
      expect([later, graph.dependsOn(at(later), at(earlier))]).toEqual([later, true]);
    // and never the other way round
    for (const [later, earlier] of order)
      expect([earlier, graph.dependsOn(at(earlier), at(later))]).toEqual([earlier, false]);
    // the store waits on the principal and the verification directly, not through a lucky reference
    expect([...graph.dependenciesOf(at("xks/store"))]).toEqual(
      expect.arrayContaining([at("xks/endpoint/kms-principal"), at("xks/endpoint/verification")]),
    );
    // the AWS-KMS key does not wait for the external store
    expect(graph.dependsOn(at("key-volumes/key"), at("xks/store"))).toBe(false);
  });

  test("compliance: CKV_AWS_123 suppressed on the XKS endpoint service and CKV_AWS_7 on the XKS key, each with its reason", () => {
    const suppressed = composed.findings
      .filter((f) => f.path.startsWith("staging-keys/"))
      .map((f) => [f.ruleId, f.path, f.suppressedBecause]);
    expect(suppressed).toEqual(
      expect.arrayContaining([
        ["CKV_AWS_123", "staging-keys/xks/endpoint/service", XKS_ACCEPTANCE_REASON],
        ["CKV_AWS_7", "staging-keys/key-records/key", expect.stringContaining("cannot rotate automatically")],
      ]),
    );
    expect(composed.findings.filter((f) => !f.suppressedBecause)).toEqual([]);
    expect(XKS_ACCEPTANCE_REASON).toContain("XksProxyInvalidConfigurationException");
  });
});

describe("staging-data: the bucket under the XKS key", () => {
  test("encrypts with the XKS key (through the keys stack's output) with the bucket key on", () => {
    const data = stacks["staging-data"];
    const sse = only(data, "aws_s3_bucket_server_side_encryption_configuration");
    const [rule] = sse.rule as {
      apply_server_side_encryption_by_default: { kms_master_key_id: string; sse_algorithm: string };
      bucket_key_enabled: boolean;
    }[];
    expect(rule.bucket_key_enabled).toBe(true);
    expect(rule.apply_server_side_encryption_by_default.sse_algorithm).toBe("aws:kms");
    const output = /outputs\.([\w-]+)\}$/.exec(
      rule.apply_server_side_encryption_by_default.kms_master_key_id,
    )?.[1] as string;
    expect(keys.output?.[output]?.value).toBe(ref("key-records/key", "arn"));
  });
});

describe("prod-keys: credential from Secrets Manager", () => {
  const prod = stacks["prod-keys"];
  test("read from the secret by ARN and decoded, only when xks_read_credential_secret is true; the rotation command names the secret", () => {
    const [name, secret] = Object.entries(prod.data?.aws_secretsmanager_secret_version ?? {})[0];
    expect(secret).toMatchObject({
      secret_id: "arn:aws:secretsmanager:eu-west-1:333333333333:secret:prod/xks-proxy-credential-AbCdEf",
      count: "${var.xks_read_credential_secret == true ? 1 : 0}",
    });
    const ks = only(prod, "aws_kms_custom_key_store");
    expect(ks.dynamic).toEqual({
      xks_proxy_authentication_credential: {
        for_each: "${var.xks_read_credential_secret == true ? [1] : []}",
        content: {
          access_key_id: `\${try(jsondecode(data.aws_secretsmanager_secret_version.${name}[0].secret_string).accessKeyId, null)}`,
          raw_secret_access_key: `\${try(jsondecode(data.aws_secretsmanager_secret_version.${name}[0].secret_string).secretAccessKey, null)}`,
        },
      },
    });
    expect((ks.lifecycle as { ignore_changes: string[] }).ignore_changes).toEqual([
      "xks_proxy_authentication_credential",
    ]);
    expect(Object.keys(prod.variable ?? {})).toEqual(["xks_read_credential_secret"]);
    expect(prod.output?.xks_rotate_credential_command.value).toBe(
      `npm run -s hook -- rotate-xks-credential --region 'eu-west-1' --key-store-id '\${aws_kms_custom_key_store.xks_store_D14A6E9B.id}' --key-id '\${aws_kms_key.key-records_key_6E3EDEB1.key_id}' --credential-secret-arn 'arn:aws:secretsmanager:eu-west-1:333333333333:secret:prod/xks-proxy-credential-AbCdEf'`,
    );
  });
  test("the Region-specific KMS principal and prod's own names", () => {
    expect(only(prod, "aws_vpc_endpoint_service_allowed_principal").principal_arn).toBe(
      "cks.kms.eu-west-1.amazonaws.com",
    );
    expect(only(prod, "aws_kms_custom_key_store").xks_proxy_uri_endpoint).toBe(
      "https://xks.prod.northwind-health.example",
    );
    expect(Object.values(resources(prod, "aws_lb_target_group_attachment")).map((t) => t.target_id)).toEqual([
      "192.168.10.21",
      "192.168.20.21",
      "192.168.30.21",
    ]);
  });
});

test("no credential value is ever written to cdktf.out", () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const p = join(dir, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(json|tf)$/.test(p)) files.push(p);
    }
  };
  walk(outdir);
  expect(files.length).toBeGreaterThan(0);
  const text = files.map((f) => readFileSync(f, "utf8")).join("\n");
  expect(text).not.toContain(CANARY_ID);
  expect(text).not.toContain(CANARY_SECRET);
  expect(text).not.toMatch(/"(access_key_id|raw_secret_access_key)": "(?!\$\{)/);
});
