import {
  DecryptCommand,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  EncryptCommand,
  KMSClient,
  ListKeysCommand,
  UpdateCustomKeyStoreCommand,
} from "@aws-sdk/client-kms";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import type { XksCheckOptions, XksCheckReport } from "@cmk-stacks/xks-check";
import { runCli } from "../../../hooks/cli";
import { createHandler } from "../../../hooks/lambda";
import { VirtualClock } from "../../../hooks/lib/clock";
import { rotateXksCredential, type RotateXksCredentialInput } from "../../../hooks/steps/rotate-xks-credential";
import {
  CREDENTIAL,
  HOST,
  makeCerts,
  REGION,
  startFakeProxy,
  URI_PATH,
  type FakeProxy,
  type TestCerts,
} from "../../packages/xks-check/fake-proxy";
import { awsError, IDS, runtime, thrown } from "../helpers";

const kms = mockClient(KMSClient);
const secrets = mockClient(SecretsManagerClient);
const clients = { kms, secrets } as unknown as RotateXksCredentialInput["clients"];
/** The NEW credential (test values): the fake proxy accepts it unless told otherwise. */
const NEW = CREDENTIAL;
const NEW_JSON = JSON.stringify(NEW);
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:xks-new-AbCdEf";

let certs: TestCerts;
let proxy: FakeProxy;
beforeAll(async () => {
  certs = await makeCerts();
  proxy = await startFakeProxy(certs.good);
});
afterAll(() => proxy.close());
beforeEach(() => {
  kms.reset();
  secrets.reset();
  proxy.behaviour = {};
  proxy.requests.length = 0;
});

const xksStore = (state: string, code?: string) => ({
  CustomKeyStores: [
    {
      CustomKeyStoreId: IDS.keyStoreId,
      CustomKeyStoreType: "EXTERNAL_KEY_STORE" as const,
      ConnectionState: state as "CONNECTED",
      ConnectionErrorCode: code as "INVALID_CREDENTIALS" | undefined,
      XksProxyConfiguration: {
        Connectivity: "VPC_ENDPOINT_SERVICE" as const,
        UriEndpoint: `https://${HOST}`,
        UriPath: URI_PATH,
        VpcEndpointServiceName: "com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0",
      },
    },
  ],
});

/** KMS as it answers a CONNECTED external key store with a working key. */
function kmsWorks(): void {
  kms.on(DescribeCustomKeyStoresCommand).resolves(xksStore("CONNECTED"));
  kms.on(UpdateCustomKeyStoreCommand).resolves({});
  kms
    .on(DescribeKeyCommand)
    .resolves({ KeyMetadata: { KeyId: IDS.keyId, CustomKeyStoreId: IDS.keyStoreId, KeyState: "Enabled" } });
  kms.on(EncryptCommand).callsFake((i: { Plaintext: Uint8Array }) => ({
    CiphertextBlob: Buffer.concat([Buffer.from("ct:"), Buffer.from(i.Plaintext)]),
  }));
  kms
    .on(DecryptCommand)
    .callsFake((i: { CiphertextBlob: Uint8Array }) => ({ Plaintext: Buffer.from(i.CiphertextBlob).subarray(3) }));
}

function input(
  rt: ReturnType<typeof runtime>,
  extra: Partial<RotateXksCredentialInput> = {},
): RotateXksCredentialInput {
  return {
    ...rt,
    clients,
    region: REGION,
    keyStoreId: IDS.keyStoreId,
    keyId: IDS.keyId,
    connectTo: `127.0.0.1:${proxy.port}`,
    xksExtraCaPem: [certs.caPem],
    readCredential: async () => Buffer.from(NEW_JSON),
    ...extra,
  };
}

const updates = () => kms.commandCalls(UpdateCustomKeyStoreCommand);
const noSecretIn = (lines: readonly string[]) => {
  const text = lines.join("\n");
  expect(text).not.toContain(NEW.secretAccessKey);
  expect(text).not.toContain(Buffer.from(NEW.secretAccessKey).toString("base64").replace(/=+$/, ""));
};

test("success: proxy checked with the new credential, store updated while CONNECTED, 5-minute wait, round trip, then the old one may go", async () => {
  kmsWorks();
  const rt = runtime();
  const result = await rotateXksCredential(input(rt));
  expect(result).toMatchObject({ status: "DONE", state: "CONNECTED" });
  // The proxy saw a health call signed with the NEW credential (it verifies the signature).
  expect(proxy.requests.map((r) => r.path)).toEqual([`${URI_PATH}/health`, `${URI_PATH}/health`]);
  expect(proxy.requests[0].headers.authorization).toContain(`Credential=${NEW.accessKeyId}/`);
  expect(updates().map((c) => c.args[0].input)).toEqual([
    {
      CustomKeyStoreId: IDS.keyStoreId,
      XksProxyAuthenticationCredential: { AccessKeyId: NEW.accessKeyId, RawSecretAccessKey: NEW.secretAccessKey },
    },
  ]);
  expect(kms.commandCalls(EncryptCommand)).toHaveLength(1);
  // Nothing disconnects the store; the wait is 5 virtual minutes with a line per minute.
  expect(kms.calls().map((c) => c.args[0].constructor.name)).not.toContain("DisconnectCustomKeyStoreCommand");
  expect(rt.clock.now()).toBeGreaterThanOrEqual(5 * 60_000);
  const label = `[rotate-xks-credential ${IDS.keyStoreId}]`;
  expect(rt.lines.slice(0, 3)).toEqual([
    `${label} CONNECTED at 0s`,
    `${label} round-trip key: ${IDS.keyId}`,
    `${label} new credential read (access key id ${NEW.accessKeyId}); the secret access key is never printed`,
  ]);
  expect(rt.lines).toContain(
    `${label} the proxy accepts the new credential (GetHealthStatus at 127.0.0.1:${proxy.port})`,
  );
  for (const m of [1, 2, 3, 4, 5])
    expect(rt.lines).toContain(`${label} waiting for KMS to use the new credential: ${m}m00s of 5m00s`);
  expect(rt.lines.at(-2)).toBe(`${label} Encrypt/Decrypt round trip on ${IDS.keyId}: ok`);
  expect(rt.lines.at(-1)).toBe(
    `${label} the old credential may be retired from the proxy now: KMS has used only the new one since 1970-01-01T00:05:00.000Z (5 minutes after the update) and a round trip through the proxy succeeded. Then store the new one where the next rotation expects it; XksProxyCredentialAge restarts from 0`,
  );
  // The retire line comes only after the wait and the round trip.
  expect(rt.lines.findIndex((l) => l.includes("may be retired"))).toBeGreaterThan(
    rt.lines.findIndex((l) => l.includes("5m00s of 5m00s")),
  );
  noSecretIn(rt.lines);
}, 30_000);

test("a root missing from the rulebook's copy of AWS's list, or a certificate close to expiry, does not stop a rotation; both are printed", async () => {
  kmsWorks();
  const rt = runtime();
  const seen: XksCheckOptions[] = [];
  const proxyCheck = async (o: XksCheckOptions): Promise<XksCheckReport> => {
    seen.push(o);
    return {
      target: `https://${o.privateDnsName}${o.uriPath}`,
      exitCode: 1,
      rows: [
        { check: "connection", verdict: "PASS", detail: "ok" },
        {
          check: "certificate trust",
          verdict: "FAIL",
          detail: "chains to Some Root, not on AWS's XKS trusted list",
          fix: "get the proxy certificate from a CA on the list",
        },
        { check: "certificate expiry", verdict: "WARN", detail: "5 days left", fix: "renew it before then" },
        { check: "health", verdict: "PASS", detail: "ACTIVE" },
      ],
    };
  };
  expect(await rotateXksCredential(input(rt, { proxyCheck }))).toMatchObject({ status: "DONE" });
  expect(seen[0]).toMatchObject({ certificateFailDays: 0 });
  expect(updates()).toHaveLength(1);
  const label = `[rotate-xks-credential ${IDS.keyStoreId}]`;
  expect(rt.lines).toContain(
    `${label} proxy check FAIL: certificate trust: get the proxy certificate from a CA on the list`,
  );
  expect(rt.lines).toContain(`${label} proxy check WARN: certificate expiry: renew it before then`);
}, 30_000);

test("the proxy rejects the new credential: stops before UpdateCustomKeyStore", async () => {
  kmsWorks();
  proxy.behaviour = { credential: { accessKeyId: "OLDXKSACCESSKEY2345ABCD", secretAccessKey: "0ld".padEnd(43, "x") } };
  const rt = runtime();
  const err = await thrown(() => rotateXksCredential(input(rt)));
  expect(err.message).toMatch(
    /^\[rotate-xks-credential cks-1234567890abcdef0\] ProxyRejectsNewCredential: the proxy at 127\.0\.0\.1:\d+ rejected GetHealthStatus signed with the new credential \(.*\); UpdateCustomKeyStore was not called\. Next: configure the new credential on every proxy behind the load balancer \(keep the old one until this step says it may be retired\), then re-run$/,
  );
  expect(updates()).toHaveLength(0);
  noSecretIn([...rt.lines, err.message]);
}, 30_000);

test("an unreachable proxy: stops before UpdateCustomKeyStore and says where to run from", async () => {
  kmsWorks();
  const rt = runtime();
  const err = await thrown(() => rotateXksCredential(input(rt, { connectTo: "127.0.0.1:1" })));
  expect(err.message).toContain(
    "ProxyCheckFailed: the proxy could not be checked with the new credential (connection: ",
  );
  expect(err.message).toContain(
    `run from a host that reaches the proxy (in the VPC or the data centre), with --connect-to <proxy ip>:443 if this host does not resolve ${HOST}`,
  );
  expect(updates()).toHaveLength(0);
}, 30_000);

test.each([
  [
    "XksProxyIncorrectAuthenticationCredentialException",
    "KMS's own GetHealthStatus with the new credential was rejected (the store keeps its old credential): configure the new credential on every proxy behind the load balancer, keep the old one, then re-run",
  ],
  [
    "XksProxyUriUnreachableException",
    "KMS could not reach the proxy, or the proxy reports every key manager unavailable (the store keeps its old credential): check the load balancer's target health, the route to the data centre and the key manager, then re-run",
  ],
  [
    "XksProxyInvalidResponseException",
    "the proxy's answer to KMS was not a valid GetHealthStatus response (the store keeps its old credential): read the proxy's logs, then re-run",
  ],
  [
    "XksProxyInvalidConfigurationException",
    "KMS reports the proxy configuration invalid (the store keeps its old credential): check the store's URI path against the proxy, then re-run",
  ],
  [
    "XksProxyVpcEndpointServiceNotFoundException",
    "KMS cannot find or use the endpoint service (the store keeps its old credential): check it exists and allows cks.kms.<region>.amazonaws.com",
  ],
  [
    "XksProxyVpcEndpointServiceInvalidConfigurationException",
    "the endpoint service does not meet KMS's requirements (the store keeps its old credential): see docs/xks.md",
  ],
  ["CustomKeyStoreNotFoundException", "check --key-store-id and --region"],
  [
    "CustomKeyStoreInvalidStateException",
    "the store changed state (the store keeps its old credential): wait until it is CONNECTED (connect-key-store), then re-run",
  ],
  [
    "KMSInternalException",
    "transient AWS failure, still there after retries (the store keeps its old credential unless a re-run shows otherwise): re-run the step",
  ],
  [
    "ThrottlingException",
    "KMS allows 5 *CustomKeyStore requests per second per account and Region and the step's retries ran out: wait a minute and re-run (the store keeps its old credential unless a re-run shows otherwise)",
  ],
  [
    "AccessDeniedException",
    "grant this identity kms:UpdateCustomKeyStore (hooks/README.md, IAM per step), then re-run",
  ],
])(
  "UpdateCustomKeyStore %s: mapped to the next action, no round trip, no retire line",
  async (code, action) => {
    kmsWorks();
    kms
      .on(UpdateCustomKeyStoreCommand)
      .rejects(awsError(code, `${code} from KMS`, code === "KMSInternalException" ? 500 : 400));
    const rt = runtime();
    const err = await thrown(() => rotateXksCredential(input(rt)));
    expect(err.message).toBe(
      `[rotate-xks-credential ${IDS.keyStoreId}] ${code}: UpdateCustomKeyStore failed: ${code} from KMS. Next: ${action}`,
    );
    expect(kms.commandCalls(EncryptCommand)).toHaveLength(0);
    expect(rt.lines.join("\n")).not.toContain("may be retired");
    // Throttling and internal errors were retried first (bounded), the others not.
    expect(updates()).toHaveLength(code === "ThrottlingException" || code === "KMSInternalException" ? 5 : 1);
    noSecretIn([...rt.lines, err.message]);
  },
  30_000,
);

test("throttled once, then accepted: the step goes on", async () => {
  kmsWorks();
  kms.on(UpdateCustomKeyStoreCommand).rejectsOnce(awsError("ThrottlingException", "Rate exceeded")).resolves({});
  const rt = runtime();
  await expect(rotateXksCredential(input(rt))).resolves.toMatchObject({ status: "DONE" });
  expect(updates()).toHaveLength(2);
}, 30_000);

test("the store fails during the wait (a proxy rejects the new credential): stops, the old one must stay", async () => {
  kmsWorks();
  kms
    .on(DescribeCustomKeyStoresCommand)
    .resolvesOnce(xksStore("CONNECTED"))
    .resolves(xksStore("FAILED", "INVALID_CREDENTIALS"));
  const rt = runtime();
  const err = await thrown(() => rotateXksCredential(input(rt)));
  expect(err.message).toBe(
    `[rotate-xks-credential ${IDS.keyStoreId}] INVALID_CREDENTIALS: the key store failed after the update (FAILED(INVALID_CREDENTIALS)). Next: a proxy behind the load balancer rejects the new credential: configure it on every proxy (keep the old one), then run connect-key-store; do NOT retire the old credential`,
  );
  expect(kms.commandCalls(EncryptCommand)).toHaveLength(0);
}, 30_000);

test("the round trip fails: no retire line", async () => {
  kmsWorks();
  kms.on(EncryptCommand).rejects(awsError("KMSInvalidStateException", "store not connected"));
  const rt = runtime();
  const err = await thrown(() => rotateXksCredential(input(rt)));
  expect(err.message).toContain(
    "KMSInvalidStateException: the Encrypt/Decrypt round trip on 1234abcd-12ab-34cd-56ef-1234567890ab failed: store not connected. Next: the key or its store is not usable",
  );
  expect(err.message).toContain("do NOT retire the old credential");
  expect(rt.lines.join("\n")).not.toContain("may be retired");
}, 30_000);

test("a key of another store, or a disabled one, is refused before anything changes", async () => {
  kmsWorks();
  kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: IDS.keyId, KeyState: "Enabled" } });
  const err = await thrown(() => rotateXksCredential(input(runtime())));
  expect(err.message).toBe(
    `[rotate-xks-credential ${IDS.keyStoreId}] KeyNotInStore: key ${IDS.keyId} is not in ${IDS.keyStoreId} (its store: none). Next: pass a key of this external key store (stack output xks_rotate_credential_command); nothing was changed`,
  );
  kms
    .on(DescribeKeyCommand)
    .resolves({ KeyMetadata: { KeyId: IDS.keyId, CustomKeyStoreId: IDS.keyStoreId, KeyState: "Disabled" } });
  expect((await thrown(() => rotateXksCredential(input(runtime())))).message).toContain(
    "KeyNotEnabled: key 1234abcd-12ab-34cd-56ef-1234567890ab is Disabled",
  );
  expect(updates()).toHaveLength(0);
  expect(proxy.requests).toHaveLength(0);
}, 30_000);

test("without --key-id: the first enabled key of the store is found (ListKeys, DescribeKey) and used", async () => {
  kmsWorks();
  const other = "00000000-0000-0000-0000-000000000001";
  const disabled = "00000000-0000-0000-0000-000000000002";
  kms
    .on(ListKeysCommand)
    .resolvesOnce({ Keys: [{ KeyId: other }, { KeyId: disabled }], Truncated: true, NextMarker: "m2" })
    .resolves({ Keys: [{ KeyId: IDS.keyId }], Truncated: false });
  kms.on(DescribeKeyCommand, { KeyId: other }).resolves({ KeyMetadata: { KeyId: other, KeyState: "Enabled" } });
  kms
    .on(DescribeKeyCommand, { KeyId: disabled })
    .resolves({ KeyMetadata: { KeyId: disabled, CustomKeyStoreId: IDS.keyStoreId, KeyState: "Disabled" } });
  const rt = runtime();
  await expect(rotateXksCredential(input(rt, { keyId: undefined }))).resolves.toMatchObject({ status: "DONE" });
  expect(kms.commandCalls(ListKeysCommand).map((c) => c.args[0].input.Marker)).toEqual([undefined, "m2"]);
  expect(kms.commandCalls(EncryptCommand).map((c) => c.args[0].input.KeyId)).toEqual([IDS.keyId]);
  expect(rt.lines).toContain(`[rotate-xks-credential ${IDS.keyStoreId}] round-trip key: ${IDS.keyId}`);
}, 30_000);

test("without --key-id and no enabled key in the store: refused before anything changes", async () => {
  kmsWorks();
  kms.on(ListKeysCommand).resolves({ Keys: [], Truncated: false });
  const err = await thrown(() => rotateXksCredential(input(runtime(), { keyId: undefined })));
  expect(err.message).toContain(
    "NoKeyInStore: no enabled key of cks-1234567890abcdef0 among the 0 keys looked at. Next: pass --key-id",
  );
  expect(updates()).toHaveLength(0);
});

test("timeout: a budget too short for KMS's 5 minutes is refused before anything is called", async () => {
  kmsWorks();
  const err = await thrown(() => rotateXksCredential(input(runtime(5))));
  expect(err.message).toBe(
    `[rotate-xks-credential ${IDS.keyStoreId}] InvalidInput: --timeout-minutes must leave room for the 5m00s KMS takes to use the new credential (at least 6). Next: fix the step's arguments (stack output xks_rotate_credential_command)`,
  );
  expect(kms.calls()).toHaveLength(0);
});

test("timeout: a store that never settles back is bounded by the step's budget", async () => {
  kmsWorks();
  // FAILED at the start: updated, then reconnected by connect-key-store, which never sees CONNECTED.
  kms
    .on(DescribeCustomKeyStoresCommand)
    .resolvesOnce(xksStore("FAILED", "INVALID_CREDENTIALS"))
    .resolves(xksStore("CONNECTING"));
  const rt = runtime(10);
  const err = await thrown(() => rotateXksCredential(input(rt)));
  expect(err.message).toMatch(/^\[connect-key-store cks-1234567890abcdef0\] TIMEOUT: still CONNECTING after /);
  expect(updates()).toHaveLength(1);
  expect(rt.clock.now()).toBeLessThanOrEqual(10 * 60_000);
}, 30_000);

test("not an external key store, or not CONNECTED/FAILED: refused before reading the credential", async () => {
  kms.on(DescribeCustomKeyStoresCommand).resolves({
    CustomKeyStores: [
      { CustomKeyStoreId: IDS.keyStoreId, CustomKeyStoreType: "AWS_CLOUDHSM", ConnectionState: "CONNECTED" },
    ],
  });
  let reads = 0;
  const rt = runtime();
  const err = await thrown(() =>
    rotateXksCredential(input(rt, { readCredential: async () => (reads++, Buffer.from(NEW_JSON)) })),
  );
  expect(err.message).toContain("NotAnExternalKeyStore");
  kms.on(DescribeCustomKeyStoresCommand).resolves(xksStore("DISCONNECTED"));
  expect((await thrown(() => rotateXksCredential(input(rt)))).message).toContain(
    "KeyStoreDISCONNECTED: the key store is DISCONNECTED",
  );
  expect(reads).toBe(0);
  expect(updates()).toHaveLength(0);
});

test.each([
  ["not JSON", `${NEW.secretAccessKey} not json`, "InvalidCredential: standard input is not JSON"],
  [
    "a malformed id",
    JSON.stringify({ accessKeyId: "lowercase-id", secretAccessKey: NEW.secretAccessKey }),
    "InvalidCredential: accessKeyId (standard input) is not a valid XKS access key id (20-30 characters, A-Z and 2-7 only)",
  ],
  [
    "a missing secret",
    JSON.stringify({ accessKeyId: NEW.accessKeyId }),
    "InvalidCredential: secretAccessKey (standard input) is not a valid XKS secret access key",
  ],
])("stdin %s: refused naming the field, never the value, nothing changed", async (_what, text, message) => {
  kmsWorks();
  const rt = runtime();
  const err = await thrown(() => rotateXksCredential(input(rt, { readCredential: async () => Buffer.from(text) })));
  expect(err.message).toContain(message);
  expect(updates()).toHaveLength(0);
  expect(proxy.requests).toHaveLength(0);
  noSecretIn([...rt.lines, err.message]);
});

test("the credential from a Secrets Manager secret", async () => {
  kmsWorks();
  secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: NEW_JSON });
  const rt = runtime();
  await expect(
    rotateXksCredential(input(rt, { credentialSecretArn: SECRET_ARN, readCredential: undefined })),
  ).resolves.toMatchObject({ status: "DONE" });
  expect(updates()[0].args[0].input.XksProxyAuthenticationCredential).toEqual({
    AccessKeyId: NEW.accessKeyId,
    RawSecretAccessKey: NEW.secretAccessKey,
  });
  noSecretIn(rt.lines);
}, 30_000);

describe("runners", () => {
  const argv = ["rotate-xks-credential", "--region", REGION, "--key-store-id", IDS.keyStoreId, "--key-id", IDS.keyId];

  test("CLI: the credential from stdin, never printed in any line (stdout or stderr), exit 0", async () => {
    kmsWorks();
    const out: string[] = [];
    const code = await runCli([...argv, "--connect-to", `127.0.0.1:${proxy.port}`], {
      clients: () => ({ kms, secrets, cloudhsm: kms, ssm: kms }) as never,
      clock: new VirtualClock(0),
      stdout: (l) => out.push(l),
      stderr: (l) => out.push(l),
      stdin: async () => Buffer.from(NEW_JSON),
      xksExtraCaPem: [certs.caPem],
    });
    expect(code).toBe(0);
    expect(out.at(-1)).toMatch(/^rotate-xks-credential: done \(CONNECTED\) in 5m/);
    noSecretIn(out);
  }, 30_000);

  test("CLI: the credential is not an argument (an unknown flag is refused)", async () => {
    const err: string[] = [];
    expect(
      await runCli([...argv, "--secret-access-key", NEW.secretAccessKey], {
        clients: () => ({}) as never,
        stdout: () => undefined,
        stderr: (l) => err.push(l),
      }),
    ).toBe(2);
    expect(err).toEqual(["error: unknown option '--secret-access-key'"]);
  });

  test("Lambda: refused before anything runs, saying why", async () => {
    const handler = createHandler({
      clients: () => ({ kms, secrets, cloudhsm: kms, ssm: kms }) as never,
      clock: new VirtualClock(0),
      sink: () => undefined,
    });
    await expect(
      handler(
        {
          step: "rotate-xks-credential",
          region: REGION,
          keyStoreId: IDS.keyStoreId,
          keyId: IDS.keyId,
          credentialSecretArn: SECRET_ARN,
        },
        { getRemainingTimeInMillis: () => 900_000 },
      ),
    ).rejects.toThrow(
      /^\[rotate-xks-credential\] CommandLineOnly: the Lambda runner does not run rotate-xks-credential: the new credential would travel in an invocation payload/,
    );
    expect(kms.calls()).toHaveLength(0);
    expect(secrets.calls()).toHaveLength(0);
  });
});

describe("the secret access key never reaches a line, even when something echoes it", () => {
  test("KMS's error message quotes it", async () => {
    kmsWorks();
    kms
      .on(UpdateCustomKeyStoreCommand)
      .rejects(awsError("XksProxyInvalidResponseException", `bad response for ${NEW.secretAccessKey}`));
    const rt = runtime();
    const err = await thrown(() => rotateXksCredential(input(rt)));
    expect(err.message).toContain("bad response for ****");
    noSecretIn([...rt.lines, err.message]);
  }, 30_000);

  test("the proxy's error answer quotes it", async () => {
    kmsWorks();
    proxy.behaviour = {
      health: {
        status: 500,
        body: { errorName: "InternalException", errorMessage: `cannot use ${NEW.secretAccessKey}` },
      },
    };
    const rt = runtime();
    const err = await thrown(() => rotateXksCredential(input(rt)));
    expect(err.message).toContain("ProxyCheckFailed");
    expect(updates()).toHaveLength(0);
    noSecretIn([...rt.lines, err.message]);
  }, 30_000);
});
