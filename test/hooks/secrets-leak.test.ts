import { DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import { DescribeCustomKeyStoresCommand, KMSClient } from "@aws-sdk/client-kms";
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { GetCommandInvocationCommand, ListCommandsCommand, SendCommandCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { activateCluster } from "../../hooks/steps/activate-cluster";
import { connectKeyStore } from "../../hooks/steps/connect-key-store";
import { createKmsuser } from "../../hooks/steps/create-kmsuser";
import { resetKmsuserPassword } from "../../hooks/steps/reset-kmsuser-password";
import { clusterOutput, cloudhsmMock, IDS, runtime } from "./helpers";

const ADMIN = "AdminSecretPw0123456789";
const KMSUSER = "KmsuserSecretPw987654321";
const XKS = "xksSecretAccessKeyAbcdefghijklmnopqrstuvwxyz0123/+=";
const SECRETS = [ADMIN, KMSUSER, XKS];

const cloudhsm = cloudhsmMock();
const ssm = mockClient(SSMClient);
const sm = mockClient(SecretsManagerClient);
const kms = mockClient(KMSClient);
const two = [
  ["ACTIVE", "eu-west-1a", "10.0.1.10"],
  ["ACTIVE", "eu-west-1b", "10.0.2.10"],
] as const;

beforeEach(() => {
  for (const m of [cloudhsm, ssm, sm, kms]) m.reset();
  sm.on(GetSecretValueCommand, { SecretId: IDS.adminSecretArn }).resolves({ SecretString: ADMIN });
  sm.on(GetSecretValueCommand, { SecretId: IDS.kmsuserSecretArn }).resolves({ SecretString: KMSUSER });
  sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { v1: ["AWSCURRENT"] } });
  sm.on(PutSecretValueCommand).resolves({});
  ssm.on(ListCommandsCommand).resolves({ Commands: [] });
  ssm.on(SendCommandCommand).resolves({ Command: { CommandId: "cmd-1" } });
  // The CLI on the host echoes what the script gave it (worst case): stdout and stderr carry the passwords.
  ssm.on(GetCommandInvocationCommand).callsFake((input: { CommandId?: string }) => {
    const script = JSON.stringify(ssm.commandCalls(SendCommandCommand).at(-1)?.args[0].input ?? {});
    const generated = sm
      .commandCalls(PutSecretValueCommand)
      .map((c) => c.args[0].input.SecretString ?? "")
      .join(" / ");
    const known = script.includes("user create")
      ? `${ADMIN} / ${KMSUSER}`
      : script.includes("change-password")
        ? `${ADMIN} / ${generated}`
        : ADMIN;
    return {
      CommandId: input.CommandId,
      Status: "Failed",
      ResponseCode: 1,
      StandardOutputContent: `pw=${known}`,
      StandardErrorContent: `error near ${known} ${Buffer.from(ADMIN).toString("base64")}`,
    };
  });
});

function everything(rt: ReturnType<typeof runtime>, err: unknown): string[] {
  const sent = ssm.commandCalls(SendCommandCommand).map((c) => JSON.stringify(c.args[0].input));
  const e = err as Error & { detail?: string; action?: string };
  return [...rt.lines, ...sent, e.message, String(e.stack), e.detail ?? "", e.action ?? "", JSON.stringify(e)];
}

test.each([
  [
    "activate-cluster",
    () => cloudhsm.on(DescribeClustersCommand).resolves(clusterOutput("INITIALIZED", two.slice(0, 1))),
    (rt: ReturnType<typeof runtime>) => activateCluster({ ...rt, clients: { cloudhsm, ssm, secrets: sm }, ...IDS }),
  ],
  [
    "create-kmsuser",
    () => cloudhsm.on(DescribeClustersCommand).resolves(clusterOutput("ACTIVE", two)),
    (rt: ReturnType<typeof runtime>) => createKmsuser({ ...rt, clients: { cloudhsm, ssm, secrets: sm }, ...IDS }),
  ],
  [
    "reset-kmsuser-password",
    () => {
      cloudhsm.on(DescribeClustersCommand).resolves(clusterOutput("ACTIVE", two));
      kms.on(DescribeCustomKeyStoresCommand).resolves({
        CustomKeyStores: [
          {
            CustomKeyStoreId: IDS.keyStoreId,
            CustomKeyStoreType: "AWS_CLOUDHSM",
            ConnectionState: "DISCONNECTED",
            CloudHsmClusterId: IDS.clusterId,
          },
        ],
      });
    },
    (rt: ReturnType<typeof runtime>) =>
      resetKmsuserPassword({ ...rt, clients: { kms, cloudhsm, ssm, secrets: sm }, ...IDS }),
  ],
  [
    "connect-key-store",
    () =>
      kms.on(DescribeCustomKeyStoresCommand).rejects(
        Object.assign(new Error(`invalid credential ${XKS}`), {
          name: "XksProxyIncorrectAuthenticationCredentialException",
        }),
      ),
    (rt: ReturnType<typeof runtime>) => {
      rt.log.registerSecret(XKS);
      return connectKeyStore({ ...rt, clients: { kms }, keyStoreId: IDS.keyStoreId });
    },
  ],
] as const)("%s never shows a password: logs, SSM command text, thrown error", async (_name, arrange, act) => {
  arrange();
  const rt = runtime();
  let err: unknown;
  try {
    await act(rt);
  } catch (e) {
    err = e;
  }
  expect(err).toBeDefined();
  const text = everything(rt, err).join("\n");
  const generated = sm.commandCalls(PutSecretValueCommand).map((c) => c.args[0].input.SecretString ?? "");
  for (const s of [...SECRETS, ...generated]) expect(text).not.toContain(s);
  expect(text).not.toContain(Buffer.from(ADMIN).toString("base64").replace(/=+$/, ""));
  expect(text).toContain("****");
});
