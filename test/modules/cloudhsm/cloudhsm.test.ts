/** CloudHsm built alone with minimal props: the first-apply phase against ready, the hook chain, the recovery command, its own invariants. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CloudHsm, type CloudHsmProps } from "../../../modules/cloudhsm/cloudhsm";
import { NETWORK, all, errorLines, one, synth, testStack, type Synthesized } from "./stack";

const pem = (f: string) => readFileSync(join(__dirname, "../../hooks/fixtures", f), "utf8");
const PROVIDED = {
  mode: "provided",
  certificatePem: pem("cluster-cert.pem"),
  trustAnchorPem: pem("trust-anchor.pem"),
} as const;
const MINIMAL: CloudHsmProps = {
  network: NETWORK,
  hsmAzs: ["eu-west-1a", "eu-west-1b"],
  keyStoreName: "t-cloudhsm",
  adminHost: { cliPackage: "s3://t-software-111111111111/cloudhsm/cloudhsm-cli.rpm" },
};
const build = (props: Partial<CloudHsmProps> = {}, runner: "local" | "lambda" = "local") => {
  const stack = testStack(runner);
  const hsm = new CloudHsm(stack, "cloudhsm", { ...MINIMAL, ...props });
  return { hsm, json: synth(stack) };
};
/** The hook steps run by terraform_data (local runner), by step name, with their --timeout-minutes. */
const localSteps = (json: Synthesized) =>
  Object.fromEntries(
    Object.values(all(json, "terraform_data")).map((d) => {
      const command = (d.provisioner as { "local-exec": { command: string } }[])[0]["local-exec"].command;
      const [, step, minutes] = /hooks\.js" (\S+) --region 'eu-west-1' --timeout-minutes (\d+)/.exec(command) ?? [];
      return [step, Number(minutes)];
    }),
  );

describe("phase awaiting-certificate", () => {
  const { hsm, json } = build({ phase: "awaiting-certificate" });

  test("the cluster with one HSM, the secrets, the endpoints and the admin host; no trust parameters, no hook, no store", () => {
    expect(Object.keys(all(json, "aws_cloudhsm_v2_hsm"))).toHaveLength(1);
    expect(Object.keys(all(json, "aws_secretsmanager_secret"))).toHaveLength(2);
    expect(Object.keys(all(json, "aws_instance"))).toHaveLength(1);
    expect(json.resource.aws_ssm_parameter).toBeUndefined();
    expect(json.resource.terraform_data).toBeUndefined();
    expect(json.resource.aws_kms_custom_key_store).toBeUndefined();
    expect([hsm.phase, hsm.keyStore, hsm.trust, hsm.steps]).toEqual(["awaiting-certificate", undefined, undefined, {}]);
  });

  test("outputs the cluster id, the CSR read after the first HSM exists, and what to do with it", () => {
    const [csrRead] = Object.keys(json.data?.aws_cloudhsm_v2_cluster ?? {});
    expect(Object.keys(json.output ?? {}).sort()).toEqual([
      "cloudhsm_cluster_csr",
      "cloudhsm_cluster_id",
      "cloudhsm_next_steps",
    ]);
    expect(json.output?.cloudhsm_cluster_csr.value).toBe(
      `\${data.aws_cloudhsm_v2_cluster.${csrRead}.cluster_certificates[0].cluster_csr}`,
    );
    expect(json.data?.aws_cloudhsm_v2_cluster?.[csrRead].depends_on).toEqual([
      `aws_cloudhsm_v2_hsm.${Object.keys(all(json, "aws_cloudhsm_v2_hsm"))[0]}`,
    ]);
  });

  test("the admin host may read its two secrets only (no parameter exists yet)", () => {
    const policy = JSON.parse(String(one(json, "aws_iam_role_policy").policy)) as { Statement: { Sid: string }[] };
    expect(policy.Statement.map((s) => s.Sid)).toEqual(["ReadOwnSecrets", "ReadCliPackage"]);
  });
});

describe("phase ready, provided trust, local runner", () => {
  const { hsm, json } = build({ trust: PROVIDED });

  test("every step in the graph, each within the hook timeout; set-backup-retention within the contract's 5 minutes", () => {
    expect(localSteps(json)).toEqual({
      "initialize-cluster": 45,
      "set-backup-retention": 5,
      "activate-cluster": 45,
      "wait-hsms-active": 45,
      "create-kmsuser": 45,
      "connect-key-store": 45,
    });
    expect(Object.keys(hsm.steps)).toEqual([
      "initialize-cluster",
      "set-backup-retention",
      "activate-cluster",
      "wait-hsms-active",
      "create-kmsuser",
      "connect-key-store",
    ]);
  });

  test("backup retention 90 days by default; the second HSM after activation; the store named as given, with the provided anchor", () => {
    const retention = Object.values(all(json, "terraform_data")).find(
      (d) => (d.triggers_replace as Record<string, string>).step === "set-backup-retention",
    );
    expect((retention?.triggers_replace as Record<string, string>).days).toBe("90");
    expect(Object.keys(all(json, "aws_cloudhsm_v2_hsm"))).toHaveLength(2);
    expect(one(json, "aws_kms_custom_key_store")).toMatchObject({
      custom_key_store_name: "t-cloudhsm",
      trust_anchor_certificate: PROVIDED.trustAnchorPem,
    });
    expect(hsm.keyStore?.kind).toBe("cloudhsm");
  });

  test("the recovery command runs the bundled hook locally with ids only", () => {
    expect(json.output?.cloudhsm_kmsuser_recovery_command.value).toMatch(
      /^npm run hook -- reset-kmsuser-password --region 'eu-west-1' --key-store-id '\$\{aws_kms_custom_key_store\.[^}]+\.id\}' --instance-id '\$\{aws_instance\.[^}]+\.id\}' --admin-secret-arn '\$\{aws_secretsmanager_secret\.[^}]+\.arn\}' --kmsuser-secret-arn '\$\{aws_secretsmanager_secret\.[^}]+\.arn\}' --trust-anchor-parameter '\$\{aws_ssm_parameter\.[^}]+\.name\}'$/,
    );
  });

  test("the local runner needs the SSM host endpoints only", () => {
    expect(
      Object.values(all(json, "aws_vpc_endpoint"))
        .map((e) => String(e.service_name).split(".").pop())
        .sort(),
    ).toEqual(["ec2messages", "s3", "secretsmanager", "ssm", "ssmmessages"]);
  });
});

describe("phase ready, generated trust (the default), lambda runner, other settings", () => {
  const { json } = build({ backupRetentionDays: 379, hookTimeoutMinutes: 30, hsmType: "hsm1.medium" }, "lambda");

  test("the lambda runner reaches KMS and CloudHSM through endpoints too; the cluster takes the settings", () => {
    expect(
      Object.values(all(json, "aws_vpc_endpoint"))
        .map((e) => String(e.service_name).split(".").pop())
        .sort(),
    ).toEqual(["cloudhsmv2", "ec2messages", "kms", "s3", "secretsmanager", "ssm", "ssmmessages"]);
    expect(one(json, "aws_cloudhsm_v2_cluster")).toMatchObject({ hsm_type: "hsm1.medium" });
    expect(one(json, "tls_private_key")).toMatchObject({ algorithm: "RSA", rsa_bits: 4096 });
  });

  test("the recovery command invokes the function with the step's arguments by camelCase name", () => {
    const command = json.output?.cloudhsm_kmsuser_recovery_command.value ?? "";
    const payload = JSON.parse(/--payload '(.*)' reset-kmsuser-password\.json$/.exec(command)?.[1] ?? "{}") as Record<
      string,
      string
    >;
    expect(command).toMatch(
      /^aws lambda invoke --region 'eu-west-1' --function-name '\$\{aws_lambda_function\.[^}]+\.function_name\}' /,
    );
    expect(Object.keys(payload)).toEqual([
      "step",
      "region",
      "keyStoreId",
      "instanceId",
      "adminSecretArn",
      "kmsuserSecretArn",
      "trustAnchorParameter",
    ]);
  });

  test("the invocation events carry the budgets: 30 minutes, and 5 for set-backup-retention, with 379 days", () => {
    const events = Object.values(all(json, "aws_lambda_invocation")).map(
      (i) => JSON.parse(String(i.input)) as Record<string, unknown>,
    );
    expect(events.find((e) => e.step === "set-backup-retention")).toMatchObject({ timeoutMinutes: 5, days: "379" });
    expect(events.find((e) => e.step === "create-kmsuser")).toMatchObject({ timeoutMinutes: 30 });
  });
});

test("a plain network that declares no route table: the S3 gateway endpoint uses the VPC's main route table, looked up", () => {
  const { json } = build({ phase: "awaiting-certificate", network: { ...NETWORK, routeTableIds: [] } });
  const [lookup] = Object.keys(json.data?.aws_route_table ?? {});
  const s3 = Object.values(all(json, "aws_vpc_endpoint")).find((e) => String(e.service_name).endsWith(".s3"));
  expect(s3?.route_table_ids).toEqual([`\${data.aws_route_table.${lookup}.id}`]);
});

test.each([
  [
    "fails when trust is given while awaiting the certificate",
    { phase: "awaiting-certificate", trust: { mode: "generated" } },
    [
      'test/cloudhsm.trust: {"mode":"generated"} is not allowed (unset while awaiting the certificate: the first apply only outputs the cluster CSR, CloudHSM InitializeCluster)',
    ],
  ],
  [
    "fails when the HSMs are not in 2 AZs",
    { hsmAzs: ["eu-west-1a", "eu-west-1a"] },
    [
      'test/cloudhsm.hsmAzs: ["eu-west-1a","eu-west-1a"] is not allowed (at least 2 HSMs in at least 2 AZs: a KMS custom key store needs 2 ACTIVE HSMs in different AZs, KMS CreateCustomKeyStore)',
    ],
  ],
  [
    "fails with every problem at once",
    { phase: "first", hsmAzs: ["eu-west-1a"], backupRetentionDays: 6, keyStoreName: "", hookTimeoutMinutes: 0.5 },
    [
      'test/cloudhsm.phase: "first" is not allowed ("awaiting-certificate" or "ready")',
      'test/cloudhsm.hsmAzs: ["eu-west-1a"] is not allowed (at least 2 HSMs in at least 2 AZs: a KMS custom key store needs 2 ACTIVE HSMs in different AZs, KMS CreateCustomKeyStore)',
      "test/cloudhsm.backupRetentionDays: 6 is not allowed (7 to 379 days, CloudHSM ModifyCluster BackupRetentionPolicy)",
      'test/cloudhsm.keyStoreName: "" is not allowed (1-256 characters, KMS CreateCustomKeyStore CustomKeyStoreName)',
      "test/cloudhsm.hookTimeoutMinutes: 0.5 is not allowed (whole minutes from 5 to 120: one apply, at most 9 Lambda invocations of 15 minutes)",
    ],
  ],
  [
    "fails when backup retention is over 379 days",
    { backupRetentionDays: 380 },
    [
      "test/cloudhsm.backupRetentionDays: 380 is not allowed (7 to 379 days, CloudHSM ModifyCluster BackupRetentionPolicy)",
    ],
  ],
  [
    "fails with the child's line when an HSM AZ has no subnet",
    { hsmAzs: ["eu-west-1a", "eu-west-1d"] },
    [
      'test/cloudhsm/hsm.hsmAzs[1]: "eu-west-1d" is not allowed (an AZ with a subnet in the network: eu-west-1a, eu-west-1b, eu-west-1c; CloudHSM CreateHsm AvailabilityZone)',
    ],
  ],
])("%s", (_name, props, expected) => {
  expect(errorLines(() => build(props as Partial<CloudHsmProps>))).toEqual(expected);
});
