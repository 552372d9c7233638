import { ConnectCustomKeyStoreCommand, DescribeCustomKeyStoresCommand, KMSClient } from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import { createHandler, invokeUntilDone, type HookEvent } from "../../hooks/lambda";
import { VirtualClock } from "../../hooks/lib/clock";
import { failsAgain, IDS, kmsOnly, store } from "./helpers";

const kms = mockClient(KMSClient);
const clients = kmsOnly(kms);

beforeEach(() => kms.reset());

describe("lambda runner", () => {
  test("returns IN_PROGRESS before the invocation ends, then DONE on a later invocation", async () => {
    const clock = new VirtualClock(0);
    const connectedAt = 20 * 60_000;
    kms.on(DescribeCustomKeyStoresCommand).callsFake(() => {
      if (kms.commandCalls(ConnectCustomKeyStoreCommand).length === 0) return store("DISCONNECTED");
      return store(clock.now() >= connectedAt ? "CONNECTED" : "CONNECTING");
    });
    kms.on(ConnectCustomKeyStoreCommand).resolves({});
    const handler = createHandler({ clients, clock, sink: () => undefined });
    const invoke = async (event: HookEvent) => {
      const start = clock.now();
      return handler(event, { getRemainingTimeInMillis: () => 15 * 60_000 - (clock.now() - start) });
    };
    const event: HookEvent = { step: "connect-key-store", region: IDS.region, keyStoreId: IDS.keyStoreId };
    const first = await invoke(event);
    expect(first).toMatchObject({ status: "IN_PROGRESS", step: "connect-key-store", state: "CONNECTING" });
    const { result, invocations } = await invokeUntilDone(invoke, event, { maxInvocations: 3 });
    expect(result).toMatchObject({ status: "DONE", state: "CONNECTED", alreadyDone: false });
    expect(invocations).toBe(1);
    expect(kms.commandCalls(ConnectCustomKeyStoreCommand)).toHaveLength(1);
  });

  test("the final invocation of a chain fails instead of reporting IN_PROGRESS", async () => {
    const clock = new VirtualClock(0);
    kms.on(DescribeCustomKeyStoresCommand).resolves(store("CONNECTING"));
    const handler = createHandler({ clients, clock, sink: () => undefined });
    const invoke = (event: HookEvent) => {
      const start = clock.now();
      return handler(event, { getRemainingTimeInMillis: () => 15 * 60_000 - (clock.now() - start) });
    };
    await expect(
      invokeUntilDone(
        invoke,
        { step: "connect-key-store", region: IDS.region, keyStoreId: IDS.keyStoreId },
        { maxInvocations: 2 },
      ),
    ).rejects.toThrow(
      "[connect-key-store cks-1234567890abcdef0] TIMEOUT: still CONNECTING when the last invocation ended. Next: re-apply (the next invocation resumes the wait) or raise the number of invocations in the chain",
    );
  });

  test("throws the mapped one-line message on failure", async () => {
    failsAgain(kms, "USER_NOT_FOUND");
    const handler = createHandler({ clients, clock: new VirtualClock(0), sink: () => undefined });
    await expect(
      handler(
        { step: "connect-key-store", region: IDS.region, keyStoreId: IDS.keyStoreId },
        { getRemainingTimeInMillis: () => 900_000 },
      ),
    ).rejects.toThrow(
      "[connect-key-store cks-1234567890abcdef0] USER_NOT_FOUND: kmsuser does not exist on one or more HSMs of the cluster (after 1 reconnect). Next: run create-kmsuser with --force (it creates kmsuser and verifies it on every HSM), then re-run",
    );
  });
});

test("the Lambda handler knows reset-kmsuser-password and names every missing id at once", async () => {
  const handler = createHandler({ clients, clock: new VirtualClock(0), sink: () => undefined });
  await expect(
    handler(
      { step: "reset-kmsuser-password", region: IDS.region, keyStoreId: IDS.keyStoreId },
      { getRemainingTimeInMillis: () => 900_000 },
    ),
  ).rejects.toThrow(
    "[reset-kmsuser-password] InvalidInput: '--instance-id' is required for reset-kmsuser-password; '--admin-secret-arn' is required for reset-kmsuser-password; '--kmsuser-secret-arn' is required for reset-kmsuser-password; '--trust-anchor-parameter' is required for reset-kmsuser-password. Next: fix the aws_lambda_invocation input",
  );
  expect(kms.calls()).toHaveLength(0);
});
