import {
  ConnectCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  KMSClient,
  type ConnectionErrorCodeType,
  type ConnectionStateType,
  type CustomKeyStoreType,
  type DescribeCustomKeyStoresCommandOutput,
} from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import { CONNECTION_ERRORS, connectionErrorAction } from "../../../hooks/lib/connection-errors";
import { connectKeyStore } from "../../../hooks/steps/connect-key-store";
import { awsError, IDS, networkError, runtime, thrown } from "../helpers";

const kms = mockClient(KMSClient);
const store = (state: string, type = "AWS_CLOUDHSM", code?: string): DescribeCustomKeyStoresCommandOutput => ({
  $metadata: {},
  CustomKeyStores: [
    {
      CustomKeyStoreId: IDS.keyStoreId,
      CustomKeyStoreType: type as CustomKeyStoreType,
      ConnectionState: state as ConnectionStateType,
      ConnectionErrorCode: code as ConnectionErrorCodeType | undefined,
      CloudHsmClusterId: IDS.clusterId,
    },
  ],
});
const input = (rt = runtime()) => ({ ...rt, clients: { kms }, keyStoreId: IDS.keyStoreId });

beforeEach(() => kms.reset());

test("connects a DISCONNECTED store and waits for CONNECTED, one line per state change", async () => {
  kms
    .on(DescribeCustomKeyStoresCommand)
    .resolvesOnce(store("DISCONNECTED"))
    .resolvesOnce(store("CONNECTING"))
    .resolves(store("CONNECTED"));
  kms.on(ConnectCustomKeyStoreCommand).resolves({});
  const rt = runtime();
  const result = await connectKeyStore(input(rt));
  expect(result).toMatchObject({ status: "DONE", state: "CONNECTED" });
  expect(kms.commandCalls(ConnectCustomKeyStoreCommand)).toHaveLength(1);
  expect(rt.lines.filter((l) => l.includes("->"))).toEqual([
    "[connect-key-store cks-1234567890abcdef0] DISCONNECTED -> CONNECTING after 0s",
    "[connect-key-store cks-1234567890abcdef0] CONNECTING -> CONNECTED after 38s",
  ]);
});

test("re-run after success makes no mutating call", async () => {
  kms.on(DescribeCustomKeyStoresCommand).resolves(store("CONNECTED"));
  const result = await connectKeyStore(input());
  expect(result.status).toBe("ALREADY_DONE");
  expect(kms.commandCalls(ConnectCustomKeyStoreCommand)).toHaveLength(0);
  expect(kms.commandCalls(DisconnectCustomKeyStoreCommand)).toHaveLength(0);
});

test("a connect refused while someone else disconnects the store: waits until it settles, then connects again", async () => {
  kms
    .on(DescribeCustomKeyStoresCommand)
    .resolvesOnce(store("DISCONNECTED"))
    .resolvesOnce(store("DISCONNECTING"))
    .resolvesOnce(store("DISCONNECTED"))
    .resolvesOnce(store("CONNECTING"))
    .resolves(store("CONNECTED"));
  kms
    .on(ConnectCustomKeyStoreCommand)
    .rejectsOnce(awsError("CustomKeyStoreInvalidStateException", "store is disconnecting"))
    .resolves({});
  const rt = runtime(10);
  const result = await connectKeyStore(input(rt));
  expect(result.state).toBe("CONNECTED");
  expect(kms.commandCalls(ConnectCustomKeyStoreCommand)).toHaveLength(2);
  expect(rt.clock.now()).toBeLessThan(10 * 60_000);
});

test("a connect refused again and again: stops after the bounded attempts, naming the churn", async () => {
  kms.on(DescribeCustomKeyStoresCommand).resolves(store("DISCONNECTED"));
  kms.on(ConnectCustomKeyStoreCommand).rejects(awsError("CustomKeyStoreInvalidStateException", "busy"));
  const err = await thrown(() => connectKeyStore(input(runtime(10))));
  expect(err.message).toBe(
    `[connect-key-store ${IDS.keyStoreId}] CustomKeyStoreInvalidStateException: ConnectCustomKeyStore was refused 4 times: the store keeps changing state (DISCONNECTED). Next: another process is connecting or disconnecting it (a scale-down, an operator, another run): let it finish, then re-run`,
  );
  expect(kms.commandCalls(ConnectCustomKeyStoreCommand)).toHaveLength(4);
});

test("a CONNECTING store is only waited for", async () => {
  kms.on(DescribeCustomKeyStoresCommand).resolvesOnce(store("CONNECTING")).resolves(store("CONNECTED"));
  expect((await connectKeyStore(input())).state).toBe("CONNECTED");
  expect(kms.commandCalls(ConnectCustomKeyStoreCommand)).toHaveLength(0);
});

test("converges through throttling and network errors at every call", async () => {
  kms
    .on(DescribeCustomKeyStoresCommand)
    .rejectsOnce(awsError("ThrottlingException", "Rate exceeded"))
    .resolvesOnce(store("DISCONNECTED"))
    .rejectsOnce(networkError("ECONNRESET"))
    .rejectsOnce(awsError("TooManyRequestsException", "slow down", 429))
    .resolves(store("CONNECTED"));
  kms.on(ConnectCustomKeyStoreCommand).rejectsOnce(networkError("ETIMEDOUT")).resolves({});
  expect((await connectKeyStore(input())).state).toBe("CONNECTED");
});

const codes = Object.entries(CONNECTION_ERRORS).flatMap(([code, info]) =>
  info.stores.map((type) => [code, type, info.retryable] as const),
);

/** Describe answers that follow the calls made: FAILED(code) until disconnected, then per `afterConnect`. */
function failedStore(
  type: string,
  code: string,
  afterConnect: (connects: number) => DescribeCustomKeyStoresCommandOutput,
): void {
  kms.on(DescribeCustomKeyStoresCommand).callsFake(() => {
    const disconnects = kms.commandCalls(DisconnectCustomKeyStoreCommand).length;
    const connects = kms.commandCalls(ConnectCustomKeyStoreCommand).length;
    if (disconnects === 0) return store("FAILED", type, code);
    if (connects < disconnects) return store("DISCONNECTED", type);
    return afterConnect(connects);
  });
  kms.on(DisconnectCustomKeyStoreCommand).resolves({});
  kms.on(ConnectCustomKeyStoreCommand).resolves({});
}

test.each(codes.filter(([, , retryable]) => !retryable))(
  "recovers a store found FAILED with %s (%s) once the cause is fixed: disconnect, DISCONNECTED, connect",
  async (code, type) => {
    failedStore(type, code, () => store("CONNECTED", type));
    const rt = runtime();
    expect(await connectKeyStore(input(rt))).toMatchObject({ status: "DONE", state: "CONNECTED" });
    expect(kms.commandCalls(DisconnectCustomKeyStoreCommand)).toHaveLength(1);
    expect(kms.commandCalls(ConnectCustomKeyStoreCommand)).toHaveLength(1);
    // Disconnect strictly before connect (KMS refuses ConnectCustomKeyStore on a FAILED store).
    const order = kms
      .calls()
      .map((c) => (c.args[0] as object).constructor.name)
      .filter((n) => n !== "DescribeCustomKeyStoresCommand");
    expect(order).toEqual(["DisconnectCustomKeyStoreCommand", "ConnectCustomKeyStoreCommand"]);
    expect(rt.lines).toEqual([
      `[connect-key-store cks-1234567890abcdef0] FAILED(${code}) at 0s`,
      `[connect-key-store cks-1234567890abcdef0] found FAILED with ${code} from an earlier attempt: disconnecting, then connecting again (KMS connects a FAILED store only after it is DISCONNECTED)`,
      `[connect-key-store cks-1234567890abcdef0] FAILED(${code}) -> DISCONNECTED after 0s`,
      "[connect-key-store cks-1234567890abcdef0] ConnectCustomKeyStore accepted",
      "[connect-key-store cks-1234567890abcdef0] DISCONNECTED -> CONNECTING after 0s",
      expect.stringMatching(/^\[connect-key-store cks-1234567890abcdef0\] CONNECTING -> CONNECTED after \d+s$/),
    ]);
  },
);

test.each(codes.filter(([, , retryable]) => !retryable))(
  "reports %s (%s) with the mapped action when the store fails again after the recovery",
  async (code, type) => {
    failedStore(type, code, () => store("FAILED", type, code));
    const err = await thrown(() => connectKeyStore(input()));
    expect(err.message).toBe(
      `[connect-key-store cks-1234567890abcdef0] ${code}: ${CONNECTION_ERRORS[code].meaning} (after 1 reconnect). Next: ${connectionErrorAction(code, type)}`,
    );
    expect(kms.commandCalls(DisconnectCustomKeyStoreCommand)).toHaveLength(1);
    expect(kms.commandCalls(ConnectCustomKeyStoreCommand)).toHaveLength(1);
  },
);

test("a non-transient code after its own connect stops at once (no disconnect: nothing changed since)", async () => {
  kms
    .on(DescribeCustomKeyStoresCommand)
    .resolvesOnce(store("DISCONNECTED"))
    .resolves(store("FAILED", "AWS_CLOUDHSM", "USER_NOT_FOUND"));
  kms.on(ConnectCustomKeyStoreCommand).resolves({});
  const err = await thrown(() => connectKeyStore(input()));
  expect(err.message).toBe(
    `[connect-key-store cks-1234567890abcdef0] USER_NOT_FOUND: ${CONNECTION_ERRORS.USER_NOT_FOUND.meaning}. Next: ${connectionErrorAction("USER_NOT_FOUND", "AWS_CLOUDHSM")}`,
  );
  expect(kms.commandCalls(DisconnectCustomKeyStoreCommand)).toHaveLength(0);
});

test.each(codes.filter(([code, , retryable]) => retryable && code !== "INSUFFICIENT_CLOUDHSM_HSMS"))(
  "disconnects and reconnects on transient %s (%s), then converges",
  async (code, type) => {
    kms
      .on(DescribeCustomKeyStoresCommand)
      .resolvesOnce(store("FAILED", type, code))
      .resolvesOnce(store("DISCONNECTED", type))
      .resolves(store("CONNECTED", type));
    kms.on(DisconnectCustomKeyStoreCommand).resolves({});
    kms.on(ConnectCustomKeyStoreCommand).resolves({});
    expect((await connectKeyStore(input())).state).toBe("CONNECTED");
    expect(kms.commandCalls(DisconnectCustomKeyStoreCommand)).toHaveLength(1);
    expect(kms.commandCalls(ConnectCustomKeyStoreCommand)).toHaveLength(1);
  },
);

test("gives up on a transient code after the bounded reconnects, naming them", async () => {
  kms
    .on(DescribeCustomKeyStoresCommand)
    .callsFake(() =>
      kms.commandCalls(DisconnectCustomKeyStoreCommand).length > kms.commandCalls(ConnectCustomKeyStoreCommand).length
        ? store("DISCONNECTED")
        : store("FAILED", "AWS_CLOUDHSM", "NETWORK_ERRORS"),
    );
  kms.on(DisconnectCustomKeyStoreCommand).resolves({});
  kms.on(ConnectCustomKeyStoreCommand).resolves({});
  const err = await thrown(() => connectKeyStore(input()));
  expect(err.message).toBe(
    "[connect-key-store cks-1234567890abcdef0] NETWORK_ERRORS: network errors prevent KMS from reaching the HSMs or the proxy (after 3 reconnects). Next: check the cluster security group allows TCP 2223-2225 between its members and the subnets' network ACLs and routes; then re-run",
  );
});

test("INSUFFICIENT_CLOUDHSM_HSMS without HSMs being created: one recovery, then the mapped action", async () => {
  failedStore("AWS_CLOUDHSM", "INSUFFICIENT_CLOUDHSM_HSMS", () =>
    store("FAILED", "AWS_CLOUDHSM", "INSUFFICIENT_CLOUDHSM_HSMS"),
  );
  const err = await thrown(() => connectKeyStore(input()));
  expect(err.message).toBe(
    "[connect-key-store cks-1234567890abcdef0] INSUFFICIENT_CLOUDHSM_HSMS: the cluster has fewer than the 2 ACTIVE HSMs in different AZs a key store needs (after 1 reconnect). Next: add HSMs so the cluster has at least 2 ACTIVE HSMs in 2 different AZs (aws_cloudhsm_v2_hsm), then re-run",
  );
  expect(kms.commandCalls(ConnectCustomKeyStoreCommand)).toHaveLength(1);
});

test("maps ConnectCustomKeyStore exceptions to actions", async () => {
  kms.on(DescribeCustomKeyStoresCommand).resolves(store("DISCONNECTED"));
  kms
    .on(ConnectCustomKeyStoreCommand)
    .rejects(awsError("CloudHsmClusterNotActiveException", "The cluster is not active"));
  const err = await thrown(() => connectKeyStore(input()));
  expect(err.message).toBe(
    "[connect-key-store cks-1234567890abcdef0] CloudHsmClusterNotActiveException: ConnectCustomKeyStore failed: The cluster is not active. Next: activate the cluster first (initialize-cluster, activate-cluster)",
  );
});

test("times out with the last state and elapsed time", async () => {
  kms.on(DescribeCustomKeyStoresCommand).resolvesOnce(store("DISCONNECTED")).resolves(store("CONNECTING"));
  kms.on(ConnectCustomKeyStoreCommand).resolves({});
  const err = await thrown(() => connectKeyStore(input(runtime(30))));
  expect(err.message).toBe(
    "[connect-key-store cks-1234567890abcdef0] TIMEOUT: still CONNECTING after 30m00s waiting for CONNECTED. Next: connecting can take 20-30 minutes for CloudHSM key stores: re-run with a larger --timeout-minutes (it resumes the wait); if it stays CONNECTING for over an hour, contact AWS Support",
  );
});

test("keeps *CustomKeyStore calls within 5 per second", async () => {
  kms.on(DescribeCustomKeyStoresCommand).rejects(awsError("ThrottlingException"));
  const rt = runtime();
  const starts: number[] = [];
  kms.on(DescribeCustomKeyStoresCommand).callsFake(() => {
    starts.push(rt.clock.now());
    throw awsError("ThrottlingException");
  });
  const { RateLimiter } = await import("../../../hooks/lib/rate-limiter");
  const limiter = new RateLimiter(rt.clock, 5);
  // Many concurrent steps sharing one limiter (what a runner process does).
  await Promise.allSettled(Array.from({ length: 4 }, () => connectKeyStore({ ...input(rt), limiter })));
  for (let i = 5; i < starts.length; i++) expect(starts[i] - starts[i - 5]).toBeGreaterThanOrEqual(1000);
});
