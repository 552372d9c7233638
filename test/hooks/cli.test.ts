import { DescribeCustomKeyStoresCommand, KMSClient } from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import { runCli } from "../../hooks/cli";
import { VirtualClock } from "../../hooks/lib/clock";
import { failsAgain, IDS, kmsOnly, store } from "./helpers";

const kms = mockClient(KMSClient);
const clients = kmsOnly(kms);

beforeEach(() => kms.reset());

describe("cli runner", () => {
  const run = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, {
      clients,
      clock: new VirtualClock(0),
      stdout: (l) => out.push(l),
      stderr: (l) => err.push(l),
    });
    return { code, out, err };
  };

  test("every missing argument and every bad value at once (migrate-hsm-type, restore-key-store), values shown escaped, no AWS call", async () => {
    const migrate = await run(["migrate-hsm-type", "--cluster-id", "x", "--hsm-type", "\u001b[2Jhsm9"]);
    expect([migrate.code, migrate.out]).toEqual([2, []]);
    expect(migrate.err).toEqual([
      "error: '--region' is required for migrate-hsm-type",
      "error: 'clusterId' value must match ^cluster-[2-7a-zA-Z]{11,16}$. Received: x",
      "error: 'hsmType' value must match ^(?=.{1,32}$)p?hsm[0-9][a-z.]*\\.[a-zA-Z]+$. Received: \\u001b[2Jhsm9",
    ]);
    const restore = await run([
      "restore-key-store",
      "--region",
      IDS.region,
      "--key-store-id",
      IDS.keyStoreId,
      "--last-connected",
      "2026-02-30T10:00Z",
    ]);
    expect(restore.code).toBe(2);
    expect(restore.err).toEqual([
      "error: '--subnet-ids' is required for restore-key-store",
      "error: '--hsm-type' is required for restore-key-store",
      "error: 'isoTime' value must be a time of a real calendar day (the month has no such day). Received: 2026-02-30T10:00Z",
      "error: '--instance-id' is required for restore-key-store",
      "error: '--admin-secret-arn' is required for restore-key-store",
      "error: '--kmsuser-secret-arn' is required for restore-key-store",
      "error: '--trust-anchor-parameter' is required for restore-key-store",
    ]);
    expect(kms.calls()).toHaveLength(0);
  });

  test("exit 0 and 'already done' on a connected store", async () => {
    kms.on(DescribeCustomKeyStoresCommand).resolves(store("CONNECTED"));
    const r = await run(["connect-key-store", "--region", IDS.region, "--key-store-id", IDS.keyStoreId]);
    expect(r).toMatchObject({ code: 0, out: ["connect-key-store: already done (CONNECTED) in 0s"] });
  });

  test("exit 1 with one line, no stack, on failure", async () => {
    failsAgain(kms, "USER_NOT_FOUND");
    const r = await run(["connect-key-store", "--region", IDS.region, "--key-store-id", IDS.keyStoreId]);
    expect(r.code).toBe(1);
    expect(r.err.at(-1)).toBe(
      "[connect-key-store cks-1234567890abcdef0] USER_NOT_FOUND: kmsuser does not exist on one or more HSMs of the cluster (after 1 reconnect). Next: run create-kmsuser with --force (it creates kmsuser and verifies it on every HSM), then re-run",
    );
  });

  test.each([
    [["nope", "--region", "eu-west-1"]],
    [["connect-key-store", "--region", "eu-west-1"]],
    [["connect-key-store", "--region", "eu-west-1", "--key-store-id", "bad"]],
    [["reset-kmsuser-password", "--region", "eu-west-1", "--key-store-id", IDS.keyStoreId]],
    [
      [
        "initialize-cluster",
        "--region",
        "eu-west-1",
        "--cluster-id",
        IDS.clusterId,
        "--certificate-parameter",
        "/a",
        "--trust-anchor-parameter",
        "/b",
        "--timeout-minutes",
        "0",
      ],
    ],
  ])("fails with exit 2 on bad input %j", async (argv) => {
    expect((await run(argv)).code).toBe(2);
    expect(kms.calls()).toHaveLength(0);
  });
});
