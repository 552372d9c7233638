import { DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from "@aws-sdk/client-secrets-manager";
import { GetCommandInvocationCommand, ListCommandsCommand, SendCommandCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { activateCluster } from "../../../hooks/steps/activate-cluster";
import { createKmsuser, VERIFIED_TAG } from "../../../hooks/steps/create-kmsuser";
import { awsError, clusterOutput, cloudhsmMock, IDS, runtime, thrown } from "../helpers";

const cloudhsm = cloudhsmMock();
const ssm = mockClient(SSMClient);
const secrets = mockClient(SecretsManagerClient);
const two = [
  ["ACTIVE", "eu-west-1a", "10.0.1.10"],
  ["ACTIVE", "eu-west-1b", "10.0.2.10"],
] as const;
const users = (names: string[]) =>
  Buffer.from(
    JSON.stringify({
      error_code: 0,
      data: {
        users: names.map((username) => ({
          username,
          role: username === "admin" ? "admin" : "crypto-user",
          locked: "false",
        })),
      },
    }),
  ).toString("base64");
const base = (rt = runtime()) => ({ ...rt, clients: { cloudhsm: cloudhsm as never, ssm, secrets }, ...IDS });

beforeEach(() => {
  cloudhsm.reset();
  ssm.reset();
  secrets.reset();
  ssm.on(ListCommandsCommand).resolves({ Commands: [] });
  ssm.on(SendCommandCommand).resolves({ Command: { CommandId: "cmd-1" } });
});

describe("activate-cluster", () => {
  test("generates and stores the admin password, activates through SSM, waits for ACTIVE", async () => {
    cloudhsm
      .on(DescribeClustersCommand)
      .resolvesOnce(clusterOutput("INITIALIZED", two.slice(0, 1)))
      .resolves(clusterOutput("ACTIVE", two.slice(0, 1)));
    secrets.on(GetSecretValueCommand).rejects(awsError("ResourceNotFoundException"));
    secrets.on(PutSecretValueCommand).resolves({});
    ssm
      .on(GetCommandInvocationCommand)
      .resolvesOnce({ Status: "InProgress" })
      .resolves({ Status: "Success", ResponseCode: 0, StandardOutputContent: "HOOK_RESULT ACTIVATED\n" });
    const result = await activateCluster(base());
    expect(result).toMatchObject({ status: "DONE", state: "ACTIVE" });
    const put = secrets.commandCalls(PutSecretValueCommand)[0].args[0].input;
    expect(put.SecretString).toMatch(/^[A-Za-z0-9]{32}$/);
    const script = ssm.commandCalls(SendCommandCommand)[0].args[0].input.Parameters?.commands?.[0] ?? "";
    expect(script).not.toContain(put.SecretString);
    expect(script).toContain("configure-cli -a '10.0.1.10'");
    expect(script).toContain(`printf '%s\\n%s\\n' "$ADMIN_PW" "$ADMIN_PW" | cmk_pty cloudhsm-cli cluster activate`);
  });

  test("re-run after success makes no mutating call", async () => {
    cloudhsm.on(DescribeClustersCommand).resolves(clusterOutput("ACTIVE", two));
    expect((await activateCluster(base())).status).toBe("ALREADY_DONE");
    expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0);
    expect(secrets.calls()).toHaveLength(0);
  });

  test("fails with the instance and HSM named when the command fails", async () => {
    cloudhsm.on(DescribeClustersCommand).resolves(clusterOutput("INITIALIZED", two.slice(0, 1)));
    secrets.on(GetSecretValueCommand).resolves({ SecretString: "StoredAdminPassword1" });
    ssm
      .on(GetCommandInvocationCommand)
      .resolves({ Status: "Failed", ResponseCode: 1, StandardErrorContent: "connection refused" });
    const err = await thrown(() => activateCluster(base()));
    expect(err.message).toBe(
      "[activate-cluster cluster-abcdefghijk] CommandFailed: cluster activate on i-0123456789abcdef0 (HSM hsm-ak1234567, eu-west-1a) ended Failed with exit code 1: connection refused. Next: read command cmd-1 output in SSM Run Command history; check the instance reaches 10.0.1.10 on TCP 2223-2225, has the CloudHSM CLI and can read arn:aws:secretsmanager:eu-west-1:123456789012:secret:cmk/admin-AbCdEf; then re-run (the stored password is reused)",
    );
    expect(secrets.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });
});

describe("create-kmsuser", () => {
  function secretsState(tag?: string): void {
    secrets
      .on(DescribeSecretCommand, { SecretId: IDS.adminSecretArn })
      .resolves({ VersionIdsToStages: { v1: ["AWSCURRENT"] } });
    secrets.on(DescribeSecretCommand, { SecretId: IDS.kmsuserSecretArn }).resolves({
      VersionIdsToStages: tag ? { v1: ["AWSCURRENT"] } : {},
      Tags: tag ? [{ Key: VERIFIED_TAG, Value: tag }] : [],
    });
    secrets
      .on(GetSecretValueCommand, { SecretId: IDS.adminSecretArn })
      .resolves({ SecretString: "StoredAdminPassword1" });
    secrets
      .on(GetSecretValueCommand, { SecretId: IDS.kmsuserSecretArn })
      .rejects(awsError("ResourceNotFoundException"));
    secrets.on(PutSecretValueCommand).resolves({});
    secrets.on(TagResourceCommand).resolves({});
  }
  const hsmLines = (second: string[]) =>
    [
      "HOOK_RESULT KMSUSER_CREATED",
      `HOOK_HSM hsm-ak1234567 eu-west-1a 10.0.1.10 0 ${users(["admin", "kmsuser"])}`,
      `HOOK_HSM hsm-bl1234567 eu-west-1b 10.0.2.10 0 ${users(second)}`,
    ].join("\n");

  test("creates kmsuser, verifies it on every HSM, then a re-run is a no-op", async () => {
    cloudhsm.on(DescribeClustersCommand).resolves(clusterOutput("ACTIVE", two));
    secretsState();
    ssm
      .on(GetCommandInvocationCommand)
      .resolves({ Status: "Success", ResponseCode: 0, StandardOutputContent: hsmLines(["admin", "kmsuser"]) });
    expect((await createKmsuser(base())).status).toBe("DONE");
    const tag = secrets.commandCalls(TagResourceCommand)[0].args[0].input.Tags?.[0]?.Value ?? "";
    const script = ssm.commandCalls(SendCommandCommand)[0].args[0].input.Parameters?.commands?.[0] ?? "";
    expect(script).toContain("export CLOUDHSM_ROLE=admin");
    expect(script).toContain("user create --username kmsuser --role crypto-user");
    expect(script).toContain("configure-cli -a '10.0.1.10' '10.0.2.10'");

    ssm.resetHistory();
    secrets.reset();
    secretsState(tag);
    expect((await createKmsuser(base())).status).toBe("ALREADY_DONE");
    expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0);
    expect(secrets.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  test("fails naming the HSM and AZ where kmsuser is missing", async () => {
    cloudhsm.on(DescribeClustersCommand).resolves(clusterOutput("ACTIVE", two));
    secretsState();
    ssm
      .on(GetCommandInvocationCommand)
      .resolves({ Status: "Success", ResponseCode: 0, StandardOutputContent: hsmLines(["admin"]) });
    const err = await thrown(() => createKmsuser(base()));
    expect(err.message).toBe(
      "[create-kmsuser cluster-abcdefghijk] KmsuserNotOnEveryHsm: HSM hsm-bl1234567 (eu-west-1b, 10.0.2.10): kmsuser is missing. Next: check that the admin instance reaches the HSM(s) named on TCP 2223-2225 (security group of the cluster), then re-run: the CLI creates missing users when configured with every HSM",
    );
    expect(secrets.commandCalls(TagResourceCommand)).toHaveLength(0);
  });

  test("fails when activate-cluster has not stored an admin password", async () => {
    cloudhsm.on(DescribeClustersCommand).resolves(clusterOutput("ACTIVE", two));
    secrets.on(DescribeSecretCommand).resolves({ VersionIdsToStages: {} });
    secrets.on(GetSecretValueCommand).rejects(awsError("ResourceNotFoundException"));
    const err = await thrown(() => createKmsuser(base()));
    expect(err.message).toBe(
      `[create-kmsuser cluster-abcdefghijk] AdminPasswordMissing: ${IDS.adminSecretArn} has no value. Next: run activate-cluster first (it stores the admin password)`,
    );
  });
});
