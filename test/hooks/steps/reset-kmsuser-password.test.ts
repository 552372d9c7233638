import { DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import {
  ConnectCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  KMSClient,
  UpdateCustomKeyStoreCommand,
  type ConnectionErrorCodeType,
  type ConnectionStateType,
} from "@aws-sdk/client-kms";
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetCommandInvocationCommand, ListCommandsCommand, SendCommandCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { resetKmsuserPassword } from "../../../hooks/steps/reset-kmsuser-password";
import { clusterOutput, cloudhsmMock, IDS, runtime, thrown } from "../helpers";

const kms = mockClient(KMSClient);
const cloudhsm = cloudhsmMock();
const ssm = mockClient(SSMClient);
const secrets = mockClient(SecretsManagerClient);
const two = [
  ["ACTIVE", "eu-west-1a", "10.0.1.10"],
  ["ACTIVE", "eu-west-1b", "10.0.2.10"],
] as const;
const users = (list: { username: string; locked?: string }[]) =>
  Buffer.from(
    JSON.stringify({
      data: {
        users: list.map((u) => ({ role: u.username === "admin" ? "admin" : "crypto-user", locked: "false", ...u })),
      },
    }),
  ).toString("base64");
const verified = [
  "HOOK_RESULT PASSWORD_CHANGED",
  `HOOK_HSM hsm-ak1234567 eu-west-1a 10.0.1.10 0 ${users([{ username: "admin" }, { username: "kmsuser" }])}`,
  `HOOK_HSM hsm-bl1234567 eu-west-1b 10.0.2.10 0 ${users([{ username: "admin" }, { username: "kmsuser" }])}`,
].join("\n");
const store = (state: string, code?: string, type = "AWS_CLOUDHSM") => ({
  CustomKeyStores: [
    {
      CustomKeyStoreId: IDS.keyStoreId,
      CustomKeyStoreType: type as "AWS_CLOUDHSM",
      ConnectionState: state as ConnectionStateType,
      ConnectionErrorCode: code as ConnectionErrorCodeType | undefined,
      CloudHsmClusterId: IDS.clusterId,
    },
  ],
});
const input = (rt = runtime(), force?: boolean) => ({
  ...rt,
  clients: { kms, cloudhsm: cloudhsm as never, ssm, secrets },
  ...IDS,
  force,
});
/** Commands sent to KMS, Secrets Manager and SSM, in the order they were sent (sinon's global call ids). */
const commandNames = () =>
  [...kms.calls(), ...secrets.calls(), ...ssm.calls()]
    .sort((a, b) => (a as unknown as { callId: number }).callId - (b as unknown as { callId: number }).callId)
    .map((c) => (c.args[0] as object).constructor.name);

/** The store as KMS would report it given the calls made so far, starting from `initial`. */
function storeFollowingCalls(initial: ReturnType<typeof store>): void {
  kms.on(DescribeCustomKeyStoresCommand).callsFake(() => {
    if (kms.commandCalls(ConnectCustomKeyStoreCommand).length > 0) return store("CONNECTED");
    if (kms.commandCalls(DisconnectCustomKeyStoreCommand).length > 0) return store("DISCONNECTED");
    return initial;
  });
}

beforeEach(() => {
  for (const m of [kms, cloudhsm, ssm, secrets]) m.reset();
  cloudhsm.on(DescribeClustersCommand).resolves(clusterOutput("ACTIVE", two));
  secrets
    .on(GetSecretValueCommand, { SecretId: IDS.adminSecretArn })
    .resolves({ SecretString: "StoredAdminPassword1" });
  secrets
    .on(PutSecretValueCommand)
    .callsFake((i: { ClientRequestToken?: string }) => ({ VersionId: i.ClientRequestToken }));
  ssm.on(ListCommandsCommand).resolves({ Commands: [] });
  ssm.on(SendCommandCommand).resolves({ Command: { CommandId: "cmd-1" } });
  ssm.on(GetCommandInvocationCommand).resolves({ Status: "Success", ResponseCode: 0, StandardOutputContent: verified });
  kms.on(DisconnectCustomKeyStoreCommand).resolves({});
  kms.on(UpdateCustomKeyStoreCommand).resolves({});
  kms.on(ConnectCustomKeyStoreCommand).resolves({});
});

test("recovers a store FAILED with INVALID_CREDENTIALS: disconnect, new password stored, changed on the HSMs, given to KMS, connected", async () => {
  storeFollowingCalls(store("FAILED", "INVALID_CREDENTIALS"));
  const rt = runtime();
  const result = await resetKmsuserPassword(input(rt));
  expect(result).toMatchObject({ status: "DONE", state: "CONNECTED" });

  const mutating = commandNames().filter((n) => !/^(Describe|Get|List)/.test(n));
  expect(mutating).toEqual([
    "DisconnectCustomKeyStoreCommand",
    "PutSecretValueCommand",
    "SendCommandCommand",
    "UpdateCustomKeyStoreCommand",
    "ConnectCustomKeyStoreCommand",
  ]);
  // KMS order: every UpdateCustomKeyStore after the store was disconnected, the connect after the update.
  const kmsOrder = kms
    .calls()
    .map((c) => (c.args[0] as object).constructor.name)
    .filter((n) => n !== "DescribeCustomKeyStoresCommand");
  expect(kmsOrder).toEqual([
    "DisconnectCustomKeyStoreCommand",
    "UpdateCustomKeyStoreCommand",
    "ConnectCustomKeyStoreCommand",
  ]);

  const put = secrets.commandCalls(PutSecretValueCommand)[0].args[0].input;
  expect(put.SecretId).toBe(IDS.kmsuserSecretArn);
  expect(put.SecretString).toMatch(/^[A-Za-z0-9]{32}$/);
  expect(kms.commandCalls(UpdateCustomKeyStoreCommand)[0].args[0].input).toEqual({
    CustomKeyStoreId: IDS.keyStoreId,
    KeyStorePassword: put.SecretString,
  });

  const script = ssm.commandCalls(SendCommandCommand)[0].args[0].input.Parameters?.commands?.[0] ?? "";
  expect(script).toContain(`--version-id '${put.ClientRequestToken}'`);
  expect(script).toContain("cmk_pty cloudhsm-cli user change-password --username kmsuser --role crypto-user");
  expect(script).toContain("configure-cli -a '10.0.1.10' '10.0.2.10'");
  expect(script).not.toContain(put.SecretString);
  expect(rt.lines.join("\n")).not.toContain(put.SecretString);
  expect(rt.lines).toContain(
    "[reset-kmsuser-password cks-1234567890abcdef0] UpdateCustomKeyStore accepted the new password",
  );
});

test("a DISCONNECTED store is not disconnected again", async () => {
  storeFollowingCalls(store("DISCONNECTED"));
  await resetKmsuserPassword(input());
  expect(kms.commandCalls(DisconnectCustomKeyStoreCommand)).toHaveLength(0);
  expect(kms.commandCalls(UpdateCustomKeyStoreCommand)).toHaveLength(1);
});

test("fails when the store is CONNECTED and --force is not given, touching nothing", async () => {
  kms.on(DescribeCustomKeyStoresCommand).resolves(store("CONNECTED"));
  const err = await thrown(() => resetKmsuserPassword(input()));
  expect(err.message).toBe(
    "[reset-kmsuser-password cks-1234567890abcdef0] KeyStoreCONNECTED: the key store is CONNECTED: resetting the kmsuser password disconnects it, and every key in it is unusable until it reconnects (up to 20-30 minutes). Next: reset only to recover from INVALID_CREDENTIALS or USER_LOCKED_OUT; to do it anyway, re-run with --force",
  );
  expect(commandNames().filter((n) => !/^(Describe|Get|List)/.test(n))).toEqual([]);
});

test("with --force a CONNECTED store is disconnected first", async () => {
  storeFollowingCalls(store("CONNECTED"));
  expect((await resetKmsuserPassword(input(runtime(), true))).state).toBe("CONNECTED");
  expect(kms.commandCalls(DisconnectCustomKeyStoreCommand)).toHaveLength(1);
});

test("fails on an external key store", async () => {
  kms.on(DescribeCustomKeyStoresCommand).resolves(store("FAILED", "INVALID_CREDENTIALS", "EXTERNAL_KEY_STORE"));
  const err = await thrown(() => resetKmsuserPassword(input()));
  expect(err.message).toBe(
    "[reset-kmsuser-password cks-1234567890abcdef0] NotACloudHsmKeyStore: cks-1234567890abcdef0 is an external key store (no kmsuser). Next: for XKS INVALID_CREDENTIALS update the proxy credential (docs/xks.md)",
  );
});

test("does not give KMS a password that is not on every HSM", async () => {
  storeFollowingCalls(store("FAILED", "USER_LOCKED_OUT"));
  ssm.on(GetCommandInvocationCommand).resolves({
    Status: "Success",
    ResponseCode: 0,
    StandardOutputContent: [
      "HOOK_RESULT PASSWORD_CHANGED",
      `HOOK_HSM hsm-ak1234567 eu-west-1a 10.0.1.10 0 ${users([{ username: "kmsuser" }])}`,
      `HOOK_HSM hsm-bl1234567 eu-west-1b 10.0.2.10 0 ${users([{ username: "kmsuser", locked: "true" }])}`,
    ].join("\n"),
  });
  const err = await thrown(() => resetKmsuserPassword(input()));
  expect(err.message).toBe(
    "[reset-kmsuser-password cks-1234567890abcdef0] KmsuserNotOnEveryHsm: HSM hsm-bl1234567 (eu-west-1b, 10.0.2.10): kmsuser is locked. Next: fix the HSM(s) named (create-kmsuser --force creates a missing kmsuser), then re-run this step",
  );
  expect(kms.commandCalls(UpdateCustomKeyStoreCommand)).toHaveLength(0);
  expect(kms.commandCalls(ConnectCustomKeyStoreCommand)).toHaveLength(0);
});

test("a failed connect afterwards reports its code and action", async () => {
  kms
    .on(DescribeCustomKeyStoresCommand)
    .callsFake(() =>
      kms.commandCalls(ConnectCustomKeyStoreCommand).length > 0
        ? store("FAILED", "NETWORK_ERRORS")
        : kms.commandCalls(DisconnectCustomKeyStoreCommand).length > 0
          ? store("DISCONNECTED")
          : store("FAILED", "INVALID_CREDENTIALS"),
    );
  const err = await thrown(() => resetKmsuserPassword({ ...input(), timeoutMs: 30 * 60_000 }));
  expect(err.message).toMatch(/^\[connect-key-store cks-1234567890abcdef0\] (NETWORK_ERRORS|TIMEOUT): /);
  expect(kms.commandCalls(UpdateCustomKeyStoreCommand)).toHaveLength(1);
});
