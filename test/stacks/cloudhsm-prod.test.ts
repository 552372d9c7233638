/**
 * prod's CloudHSM key store as synthesized through composeApp (the same path as main.ts): the
 * resources, their properties and the order Terraform will create them in.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { only, resources, synthEnvs } from "../helpers/synth";
import { buildGraph, dependsOn, at, under } from "../modules/cloudhsm/graph";
import { byPath, prodCloudHsmOnly, ref } from "../modules/cloudhsm/fixtures";
import { REPO_ROOT } from "../../stacks/cloudhsm-trust-files";
import { HSM_PORTS } from "../../modules/cloudhsm/hsm-cluster";
import { AL2023_AMI_PARAMETER, CLOUDHSM_CLI_RPM_URL } from "../../modules/cloudhsm/admin-host";

const { stacks } = synthEnvs({ prod: prodCloudHsmOnly() });
/** Where shipped prod's admin host gets the CloudHSM CLI (environments/prod.ts). */
const SHIPPED_MIRROR = "s3://northwind-prod-software-333333333333/cloudhsm/cloudhsm-cli-latest.amzn2023.x86_64.rpm";
const keys = stacks["prod-keys"];
const data = stacks["prod-data"];
const P = "prod-keys/cloudhsm";
const body = (path: string) => byPath(keys, path)[path].body;

describe("cluster and HSMs", () => {
  test("one hsm2m.medium FIPS cluster in the subnets of the 3 HSM AZs, prevent_destroy", () => {
    const cluster = only(keys, "aws_cloudhsm_v2_cluster");
    expect(cluster).toMatchObject({ hsm_type: "hsm2m.medium", mode: "FIPS", lifecycle: { prevent_destroy: true } });
    expect(cluster.subnet_ids).toEqual(
      ["eu-west-1a-10-30-0-0-24", "eu-west-1b-10-30-1-0-24", "eu-west-1c-10-30-2-0-24"].map((s) =>
        ref(keys, `prod-keys/network/subnet-${s}`, "id"),
      ),
    );
    expect(cluster.backup_retention_policy).toBeUndefined();
  });

  test("exactly one HSM (eu-west-1a) before initialisation; the other two after activation, in parallel; all prevent_destroy", () => {
    const hsms = byPath(keys, `${P}/hsm/hsm-`);
    expect(Object.keys(hsms).sort()).toEqual([
      `${P}/hsm/hsm-eu-west-1a-1`,
      `${P}/hsm/hsm-eu-west-1b-1`,
      `${P}/hsm/hsm-eu-west-1c-1`,
    ]);
    const first = hsms[`${P}/hsm/hsm-eu-west-1a-1`].body;
    expect(first.depends_on).toBeUndefined();
    expect(first.subnet_id).toBe(ref(keys, "prod-keys/network/subnet-eu-west-1a-10-30-0-0-24", "id"));
    const g = buildGraph(keys);
    const activateDone = under(g, `${P}/activate-cluster/`);
    for (const az of ["eu-west-1b", "eu-west-1c"]) {
      const h = hsms[`${P}/hsm/hsm-${az}-1`].body;
      expect(h.depends_on).toEqual([activateDone[activateDone.length - 1]]);
      expect(h.subnet_id).toBe(
        ref(keys, `prod-keys/network/subnet-${az}-10-30-${az === "eu-west-1b" ? 1 : 2}-0-24`, "id"),
      );
    }
    const [b, c] = ["eu-west-1b", "eu-west-1c"].map((az) => at(g, `${P}/hsm/hsm-${az}-1`));
    expect(dependsOn(g, b, c) || dependsOn(g, c, b)).toBe(false);
    for (const h of Object.values(hsms)) expect(h.body.lifecycle).toEqual({ prevent_destroy: true });
  });

  test("the cluster security group admits TCP 2223-2225 from the admin host's group only", () => {
    const rules = Object.values(resources(keys, "aws_vpc_security_group_ingress_rule")).filter(
      (r) => r.security_group_id === ref(keys, `${P}/hsm/cluster`, "security_group_id"),
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      ip_protocol: "tcp",
      from_port: HSM_PORTS.from,
      to_port: HSM_PORTS.to,
      referenced_security_group_id: ref(keys, `${P}/admin-host/sg`, "id"),
    });
    expect(rules[0].cidr_ipv4).toBeUndefined();
    expect([HSM_PORTS.from, HSM_PORTS.to]).toEqual([2223, 2225]);
  });
});

describe("admin host", () => {
  const instance = () => body(`${P}/admin-host/instance`);

  test("IMDSv2 only with hop limit 1, encrypted root volume, no key pair, no public address, private subnet in the first HSM's AZ", () => {
    expect(instance()).toMatchObject({
      metadata_options: { http_tokens: "required", http_put_response_hop_limit: 1, http_endpoint: "enabled" },
      root_block_device: { encrypted: true },
      associate_public_ip_address: false,
      subnet_id: ref(keys, "prod-keys/network/subnet-eu-west-1a-10-30-0-0-24", "id"),
      vpc_security_group_ids: [ref(keys, `${P}/admin-host/sg`, "id")],
      lifecycle: { ignore_changes: ["ami"] },
    });
    expect(instance().key_name).toBeUndefined();
  });

  test("latest Amazon Linux 2023 from the public SSM parameter; as shipped, the CLI comes from the s3:// mirror in the Region, never from the internet", () => {
    const ami = keys.data?.aws_ssm_parameter ?? {};
    const [name, param] = Object.entries(ami).find(([, p]) => p.name === AL2023_AMI_PARAMETER) ?? [];
    expect(param).toBeDefined();
    expect(instance().ami).toBe(`\${data.aws_ssm_parameter.${name}.insecure_value}`);
    expect(instance().user_data).toContain(`aws s3 cp '${SHIPPED_MIRROR}' /tmp/cloudhsm-cli.rpm --region 'eu-west-1'`);
    // Shipped prod has no NAT: the CloudHSM download site (us-east-1 S3) is unreachable from it.
    expect(instance().user_data).not.toContain("https://");
    expect(CLOUDHSM_CLI_RPM_URL).toBe(
      "https://s3.amazonaws.com/cloudhsmv2-software/CloudHsmClient/Amzn2023/cloudhsm-cli-latest.amzn2023.x86_64.rpm",
    );
  });

  test("cliPackage s3://: the host installs from that object and its role may read that object only", () => {
    const mirrored = synthEnvs({
      prod: prodCloudHsmOnly((e) => {
        (e.cloudHsm as { adminHost?: object }).adminHost = {
          cliPackage: "s3://northwind-prod-mirror/cloudhsm/cloudhsm-cli.rpm",
        };
      }),
    }).stacks["prod-keys"];
    const host = byPath(mirrored, `${P}/admin-host/instance`)[`${P}/admin-host/instance`].body;
    expect(host.user_data).toContain(
      "aws s3 cp 's3://northwind-prod-mirror/cloudhsm/cloudhsm-cli.rpm' /tmp/cloudhsm-cli.rpm --region 'eu-west-1'",
    );
    const policy = JSON.parse(
      byPath(mirrored, `${P}/admin-host/own-secrets`)[`${P}/admin-host/own-secrets`].body.policy as string,
    ) as { Statement: { Sid: string }[] };
    expect(policy.Statement.find((st) => st.Sid === "ReadCliPackage")).toEqual({
      Sid: "ReadCliPackage",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: "arn:aws:s3:::northwind-prod-mirror/cloudhsm/cloudhsm-cli.rpm",
    });
  });

  test("an AMI with the CLI (cliPreinstalled): no boot script, and the role reads no S3 object", () => {
    const baked = synthEnvs({
      prod: prodCloudHsmOnly((e) => {
        (e.cloudHsm as { adminHost?: object }).adminHost = { amiId: "ami-0123456789abcdef0", cliPreinstalled: true };
      }),
    }).stacks["prod-keys"];
    const host = byPath(baked, `${P}/admin-host/instance`)[`${P}/admin-host/instance`].body;
    expect(host.ami).toBe("ami-0123456789abcdef0");
    expect(host.user_data).toBeUndefined();
    const policy = JSON.parse(
      byPath(baked, `${P}/admin-host/own-secrets`)[`${P}/admin-host/own-secrets`].body.policy as string,
    ) as { Statement: { Sid: string }[] };
    expect(policy.Statement.map((st) => st.Sid)).toEqual(["ReadOwnSecrets", "ReadTrustParameters"]);
  });

  test("a custom AMI without cliPreinstalled still installs the CLI from the package at boot", () => {
    const custom = synthEnvs({
      prod: prodCloudHsmOnly((e) => {
        (e.cloudHsm as { adminHost?: object }).adminHost = {
          amiId: "ami-0123456789abcdef0",
          cliPackage: "s3://northwind-prod-mirror/cloudhsm/cloudhsm-cli.rpm",
        };
      }),
    }).stacks["prod-keys"];
    const host = byPath(custom, `${P}/admin-host/instance`)[`${P}/admin-host/instance`].body;
    expect(host.ami).toBe("ami-0123456789abcdef0");
    expect(host.user_data).toContain(
      "aws s3 cp 's3://northwind-prod-mirror/cloudhsm/cloudhsm-cli.rpm' /tmp/cloudhsm-cli.rpm --region 'eu-west-1'",
    );
  });

  test("its security group has no inbound rule and egress only to the HSMs (2223-2225), the endpoints and S3 (443)", () => {
    const sg = body(`${P}/admin-host/sg`);
    expect(sg.ingress).toBeUndefined();
    const sgRef = ref(keys, `${P}/admin-host/sg`, "id");
    expect(
      Object.values(resources(keys, "aws_vpc_security_group_ingress_rule")).filter(
        (r) => r.security_group_id === sgRef,
      ),
    ).toEqual([]);
    const egress = Object.values(resources(keys, "aws_vpc_security_group_egress_rule"))
      .filter((r) => r.security_group_id === sgRef)
      .map((r) => [
        r.ip_protocol,
        r.from_port,
        r.to_port,
        r.referenced_security_group_id ?? r.prefix_list_id ?? r.cidr_ipv4,
      ]);
    expect(egress).toEqual(
      expect.arrayContaining([
        ["tcp", 2223, 2225, ref(keys, `${P}/hsm/cluster`, "security_group_id")],
        ["tcp", 443, 443, ref(keys, `${P}/endpoints/sg`, "id")],
        ["tcp", 443, 443, ref(keys, `${P}/endpoints/endpoint-s3`, "prefix_list_id")],
      ]),
    );
    expect(egress).toHaveLength(3);
  });

  test("its role: AmazonSSMManagedInstanceCore plus reading only its own two secrets and two parameters", () => {
    expect(body(`${P}/admin-host/ssm-core`).policy_arn).toBe("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore");
    const policy = JSON.parse(body(`${P}/admin-host/own-secrets`).policy as string) as {
      Statement: { Action: string[]; Resource: string[] }[];
    };
    expect(policy.Statement.map((s) => [s.Action, s.Resource])).toEqual([
      [
        ["secretsmanager:GetSecretValue"],
        [ref(keys, `${P}/credentials/admin`, "arn"), ref(keys, `${P}/credentials/kmsuser`, "arn")],
      ],
      [["ssm:GetParameter"], [ref(keys, `${P}/trust/certificate`, "arn"), ref(keys, `${P}/trust/trust-anchor`, "arn")]],
      // and the CLI package mirrored in the Region, that one object only
      [["s3:GetObject"], `arn:aws:s3:::${SHIPPED_MIRROR.slice("s3://".length)}`],
    ]);
    expect(body(`${P}/admin-host/profile`).role).toBe(ref(keys, `${P}/admin-host/role`, "name"));
  });
});

describe("VPC endpoints", () => {
  test("interface endpoints with private DNS in one subnet per AZ, HTTPS from the VPC CIDR, and an S3 gateway on the main route table", () => {
    const endpoints = Object.values(byPath(keys, `${P}/endpoints/endpoint-`)).map((e) => e.body);
    const interfaces = endpoints.filter((e) => e.vpc_endpoint_type === "Interface");
    // prod runs its hooks in a Lambda function: KMS and CloudHSM are needed inside the VPC too.
    expect(interfaces.map((e) => e.service_name).sort()).toEqual(
      ["cloudhsmv2", "ec2messages", "kms", "secretsmanager", "ssm", "ssmmessages"].map(
        (s) => `com.amazonaws.eu-west-1.${s}`,
      ),
    );
    for (const e of interfaces) {
      expect(e).toMatchObject({
        private_dns_enabled: true,
        security_group_ids: [ref(keys, `${P}/endpoints/sg`, "id")],
      });
      expect(e.subnet_ids).toHaveLength(3);
    }
    const s3 = endpoints.find((e) => e.vpc_endpoint_type === "Gateway");
    expect(s3).toMatchObject({
      service_name: "com.amazonaws.eu-west-1.s3",
      route_table_ids: [ref(keys, "prod-keys/network/vpc", "main_route_table_id")],
    });
    expect(body(`${P}/endpoints/https-from-vpc`)).toMatchObject({
      ip_protocol: "tcp",
      from_port: 443,
      to_port: 443,
      cidr_ipv4: "10.30.0.0/16",
    });
  });
});

describe("credentials, trust and key store", () => {
  test("two empty secrets (no value in Terraform), 30-day recovery, prevent_destroy, tagged as key-store credentials", () => {
    for (const name of ["admin", "kmsuser"]) {
      expect(body(`${P}/credentials/${name}`)).toMatchObject({
        name: `prod/cloudhsm/${name}-password`,
        recovery_window_in_days: 30,
        lifecycle: { prevent_destroy: true },
        tags: { "cmk:holds": "key-store-credential" },
      });
    }
    expect(resources(keys, "aws_secretsmanager_secret_version")).toEqual({});
  });

  test("the kmsuser secret ignores exactly the tag create-kmsuser writes (no diff on every plan); the admin secret ignores nothing", () => {
    expect(body(`${P}/credentials/kmsuser`).lifecycle).toEqual({
      prevent_destroy: true,
      ignore_changes: ['tags["cmk-hooks:kmsuser-verified"]'],
    });
    expect(body(`${P}/credentials/kmsuser`).tags).not.toHaveProperty("cmk-hooks:kmsuser-verified");
    expect(body(`${P}/credentials/admin`).lifecycle).toEqual({ prevent_destroy: true });
  });

  test("reset-kmsuser-password is not in the graph: an output gives the operator its invocation (lambda runner), and the role may run it", () => {
    expect(Object.keys(byPath(keys, `${P}/reset-kmsuser-password`))).toEqual([]);
    const value = String((keys.output as Record<string, { value: string }>).cloudhsm_kmsuser_recovery_command.value);
    const payload = JSON.parse(/--payload '([^']+)'/.exec(value)?.[1] ?? "{}") as Record<string, string>;
    expect(value).toMatch(
      /^aws lambda invoke --region 'eu-west-1' --function-name '\$\{aws_lambda_function\.[^}]+\.function_name\}' --cli-read-timeout 0 /,
    );
    expect(payload).toEqual({
      step: "reset-kmsuser-password",
      region: "eu-west-1",
      keyStoreId: ref(keys, `${P}/key-store/store`, "id"),
      instanceId: ref(keys, `${P}/admin-host/instance`, "id"),
      adminSecretArn: ref(keys, `${P}/credentials/admin`, "arn"),
      kmsuserSecretArn: ref(keys, `${P}/credentials/kmsuser`, "arn"),
      trustAnchorParameter: ref(keys, `${P}/trust/trust-anchor`, "name"),
    });
    const policy = JSON.parse(
      String(Object.values(resources(keys, "aws_iam_role_policy")).find((p) => p.name === "hook-steps")?.policy),
    ) as { Statement: { Action: string[]; Resource: unknown }[] };
    expect(policy.Statement.find((st) => st.Action.includes("kms:UpdateCustomKeyStore"))?.Resource).toBe("*");
    expect(
      policy.Statement.find((st) => st.Action.length === 1 && st.Action[0] === "secretsmanager:PutSecretValue")
        ?.Resource,
    ).toBe(ref(keys, `${P}/credentials/kmsuser`, "arn"));
  });

  test("with the local runner the output is the npm command, and no role is granted anything", () => {
    // Without alarms: their CloudHSM health check needs the lambda runner (test/environments/alarms-validation.test.ts).
    const local = synthEnvs({
      prod: prodCloudHsmOnly((e) => {
        (e as { hooks: unknown }).hooks = { runner: "local", timeoutMinutes: 45 };
        delete (e as { alarms?: unknown }).alarms;
      }),
    }).stacks["prod-keys"];
    const value = String((local.output as Record<string, { value: string }>).cloudhsm_kmsuser_recovery_command.value);
    expect(value).toBe(
      `npm run hook -- reset-kmsuser-password --region 'eu-west-1' --key-store-id '${ref(local, `${P}/key-store/store`, "id")}' --instance-id '${ref(local, `${P}/admin-host/instance`, "id")}' --admin-secret-arn '${ref(local, `${P}/credentials/admin`, "arn")}' --kmsuser-secret-arn '${ref(local, `${P}/credentials/kmsuser`, "arn")}' --trust-anchor-parameter '${ref(local, `${P}/trust/trust-anchor`, "name")}'`,
    );
    expect(resources(local, "aws_lambda_function")).toEqual({});
  });

  test("the provided PEM files go to two String parameters whose names the hooks receive", () => {
    const read = (f: string) => readFileSync(join(REPO_ROOT, "environments/certs/prod", f), "utf8");
    expect(body(`${P}/trust/certificate`)).toMatchObject({
      name: "/prod/cloudhsm/cluster-certificate",
      type: "String",
      value: read("cluster.crt"),
    });
    expect(body(`${P}/trust/trust-anchor`)).toMatchObject({
      name: "/prod/cloudhsm/trust-anchor",
      type: "String",
      value: read("customerCA.crt"),
    });
    expect(resources(keys, "tls_private_key")).toEqual({});
  });

  test("key store: the cluster, the kmsuser password read after create-kmsuser, the trust anchor; prevent_destroy", () => {
    const store = only(keys, "aws_kms_custom_key_store");
    const [pwName, pw] = Object.entries(keys.data?.aws_secretsmanager_secret_version ?? {})[0];
    expect(store).toMatchObject({
      custom_key_store_name: "prod-cloudhsm",
      cloud_hsm_cluster_id: ref(keys, `${P}/hsm/cluster`, "cluster_id"),
      key_store_password: `\${data.aws_secretsmanager_secret_version.${pwName}.secret_string}`,
      trust_anchor_certificate: readFileSync(join(REPO_ROOT, "environments/certs/prod/customerCA.crt"), "utf8"),
      // The password is used at creation only: KMS rotates it, reset-kmsuser-password replaces it.
      lifecycle: {
        prevent_destroy: true,
        ignore_changes: ["trust_anchor_certificate", "key_store_password", "cloud_hsm_cluster_id"],
      },
    });
    const kmsuser = under(buildGraph(keys), `${P}/create-kmsuser/`);
    expect(pw).toMatchObject({
      secret_id: ref(keys, `${P}/credentials/kmsuser`, "arn"),
      depends_on: [kmsuser[kmsuser.length - 1]],
    });
  });

  test("the cloudhsm key is in the store, created after the store is connected, without rotation", () => {
    const key = body("prod-keys/key-fileShares/key");
    const g = buildGraph(keys);
    const connect = under(g, `${P}/key-store/connect/`);
    expect(key).toMatchObject({
      custom_key_store_id: ref(keys, `${P}/key-store/store`, "id"),
      enable_key_rotation: false,
      depends_on: [connect[connect.length - 1]],
    });
  });
});

describe("order of operations (depends_on and references, as Terraform builds the graph)", () => {
  const g = buildGraph(keys);
  const last = (prefix: string) => {
    const all = under(g, prefix);
    expect(all.length).toBeGreaterThan(0);
    return all.find((a) => !all.some((b) => b !== a && dependsOn(g, b, a))) as string;
  };
  const first = (prefix: string) => {
    const all = under(g, prefix);
    return all.find((a) => !all.some((b) => b !== a && dependsOn(g, a, b))) as string;
  };
  const chain = [
    ["HSM 1", `${P}/hsm/hsm-eu-west-1a-1`],
    ["initialize-cluster", `${P}/initialize-cluster/`],
    ["activate-cluster", `${P}/activate-cluster/`],
    ["HSM eu-west-1b", `${P}/hsm/hsm-eu-west-1b-1`],
    ["wait-hsms-active", `${P}/wait-hsms-active/`],
    ["create-kmsuser", `${P}/create-kmsuser/`],
    ["key store", `${P}/key-store/store`],
    ["connect-key-store", `${P}/key-store/connect/`],
    ["key fileShares", "prod-keys/key-fileShares/key"],
  ];

  test.each(chain.slice(1).map((c, i) => [chain[i][0], c[0], chain[i][1], c[1]]))(
    "%s comes before %s",
    (_a, _b, before, after) => {
      expect(dependsOn(g, first(after), last(before))).toBe(true);
      expect(dependsOn(g, last(before), first(after))).toBe(false);
    },
  );

  test("HSM eu-west-1c also waits for activation, and create-kmsuser for both new HSMs", () => {
    const c = at(g, `${P}/hsm/hsm-eu-west-1c-1`);
    expect(dependsOn(g, c, last(`${P}/activate-cluster/`))).toBe(true);
    expect(dependsOn(g, first(`${P}/create-kmsuser/`), c)).toBe(true);
  });

  test("activation waits for the admin host, its egress, the HSM access rule and the VPC endpoints", () => {
    const activate = first(`${P}/activate-cluster/`);
    for (const path of [
      `${P}/admin-host/instance`,
      `${P}/admin-host/to-hsms`,
      `${P}/hsm/access-from-admin-host`,
      `${P}/endpoints/endpoint-ssm`,
      `${P}/endpoints/endpoint-ssmmessages`,
    ]) {
      expect(dependsOn(g, activate, at(g, path))).toBe(true);
    }
  });

  test("backup retention (no provider argument) is applied by a hook once the cluster exists: one invocation, ModifyCluster on that cluster only", () => {
    const invocations = Object.values(byPath(keys, `${P}/set-backup-retention/`));
    expect(invocations).toHaveLength(1);
    const input = JSON.parse(invocations[0].body.input as string) as Record<string, unknown>;
    expect(input).toMatchObject({
      step: "set-backup-retention",
      clusterId: ref(keys, `${P}/hsm/cluster`, "cluster_id"),
      days: "90",
      timeoutMinutes: 5,
      finalAttempt: true,
    });
    expect(
      dependsOn(g, at(g, Object.keys(byPath(keys, `${P}/set-backup-retention/`))[0]), at(g, `${P}/hsm/cluster`)),
    ).toBe(true);
    const policy = Object.values(resources(keys, "aws_iam_role_policy"))
      .map((p) => JSON.parse(p.policy as string) as { Statement: { Action: string[]; Resource: unknown }[] })
      .find((p) => JSON.stringify(p).includes("ModifyCluster"));
    expect(policy?.Statement.filter((s) => s.Action.includes("cloudhsm:ModifyCluster"))).toEqual([
      {
        Effect: "Allow",
        Action: ["cloudhsm:ModifyCluster"],
        Resource: `arn:aws:cloudhsm:eu-west-1:333333333333:cluster/${ref(keys, `${P}/hsm/cluster`, "cluster_id")}`,
      },
    ]);
  });

  test("the hooks get ids and names only: cluster id, instance id, secret ARNs, parameter names", () => {
    const init = JSON.stringify(byPath(keys, `${P}/initialize-cluster/`));
    expect(init).toContain(ref(keys, `${P}/trust/certificate`, "name"));
    expect(init).toContain(ref(keys, `${P}/trust/trust-anchor`, "name"));
    const kmsuser = JSON.stringify(byPath(keys, `${P}/create-kmsuser/`));
    for (const r of [
      ref(keys, `${P}/hsm/cluster`, "cluster_id"),
      ref(keys, `${P}/admin-host/instance`, "id"),
      ref(keys, `${P}/credentials/admin`, "arn"),
      ref(keys, `${P}/credentials/kmsuser`, "arn"),
    ]) {
      expect(kmsuser).toContain(r);
    }
    expect(kmsuser).not.toContain("secret_string");
  });
});

describe("FSx for ONTAP in prod-data", () => {
  const fs = () => only(data, "aws_fsx_ontap_file_system");
  const remote = (output: string) =>
    `\${data.terraform_remote_state.cross-stack-reference-input-prod-keys.outputs.${output}}`;

  test("multi-AZ on the cloudhsm-store key from the keys stack, 2 subnets + preferred, main route table, 120-minute timeouts, backups, prevent_destroy", () => {
    expect(fs()).toMatchObject({
      deployment_type: "MULTI_AZ_1",
      storage_capacity: 2048,
      storage_type: "SSD",
      ha_pairs: 1,
      throughput_capacity_per_ha_pair: 512,
      automatic_backup_retention_days: 30,
      timeouts: { create: "120m", update: "120m", delete: "120m" },
      lifecycle: { prevent_destroy: true, ignore_changes: ["fsx_admin_password"] },
    });
    const out = keys.output ?? {};
    const name = (re: RegExp) => Object.keys(out).find((k) => re.test(k)) as string;
    expect(fs().kms_key_id).toBe(remote(name(/key-fileShares_key_.*arn$/)));
    expect(fs().subnet_ids).toEqual([remote(name(/subnet-eu-west-1a.*id$/)), remote(name(/subnet-eu-west-1b.*id$/))]);
    expect(fs().preferred_subnet_id).toBe(remote(name(/subnet-eu-west-1a.*id$/)));
    expect(fs().route_table_ids).toEqual([remote(name(/main_route_table_id$/))]);
    expect(fs().fsx_admin_password).toMatch(
      /^\$\{data\.aws_secretsmanager_random_password\.[\w-]+\.random_password\}$/,
    );
  });

  test("ONTAP ports open to the client CIDRs only (default: the VPC CIDR)", () => {
    const rules = Object.values(resources(data, "aws_vpc_security_group_ingress_rule"));
    const ports = rules.map((r) => `${r.ip_protocol}/${r.from_port}`).sort();
    expect(ports).toEqual(
      [
        "tcp/111",
        "udp/111",
        "tcp/635",
        "udp/635",
        "tcp/2049",
        "udp/2049",
        "tcp/4045",
        "udp/4045",
        "tcp/4046",
        "udp/4046",
        "tcp/445",
        "tcp/3260",
        "tcp/22",
        "tcp/443",
      ].sort(),
    );
    expect(new Set(rules.map((r) => r.cidr_ipv4))).toEqual(new Set(["10.30.0.0/16"]));
  });

  test("the fsxadmin password: drawn by Secrets Manager's generator, kept in a secret of its own, set at creation, never a literal", () => {
    expect(only(data, "aws_secretsmanager_secret")).toMatchObject({
      name: "prod/fsx-ontap/fsxadmin-password",
      recovery_window_in_days: 30,
      lifecycle: { prevent_destroy: true },
    });
    const [generatorName, generator] = Object.entries(data.data?.aws_secretsmanager_random_password ?? {})[0];
    expect(generator).toMatchObject({
      password_length: 32,
      exclude_punctuation: true,
      require_each_included_type: true,
    });
    const drawn = `\${data.aws_secretsmanager_random_password.${generatorName}.random_password}`;
    const [versionName, version] = Object.entries(resources(data, "aws_secretsmanager_secret_version"))[0];
    expect(version).toMatchObject({ secret_string: drawn, lifecycle: { ignore_changes: ["secret_string"] } });
    expect(version.secret_id).toMatch(/^\$\{aws_secretsmanager_secret\.fsx_fsxadmin_[\w]+\.id\}$/);
    expect(fs().fsx_admin_password).toBe(drawn);
    expect(fs().depends_on).toContain(`aws_secretsmanager_secret_version.${versionName}`);
  });
});
