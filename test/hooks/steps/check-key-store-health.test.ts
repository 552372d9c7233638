import { mockClient } from "aws-sdk-client-mock";
import { DescribeCustomKeyStoresCommand, KMSClient } from "@aws-sdk/client-kms";
import { DescribeClustersCommand } from "@aws-sdk/client-cloudhsm-v2";
import { checkKeyStoreHealth, HEALTH_NAMESPACE } from "../../../hooks/steps/check-key-store-health";
import { createHandler } from "../../../hooks/lambda";
import { VirtualClock } from "../../../hooks/lib/clock";
import { awsError, cloudhsmMock, clusterOutput, IDS, runtime, store, thrown } from "../helpers";

const kms = mockClient(KMSClient);
const cloudhsm = cloudhsmMock();
const input = (rt = runtime()) => ({
  ...rt,
  clients: { kms: kms as never, cloudhsm: cloudhsm as never },
  keyStoreId: IDS.keyStoreId,
  clusterId: IDS.clusterId,
});
const twoActive = clusterOutput("ACTIVE", [
  ["ACTIVE", "eu-west-1a", "10.0.1.10"],
  ["ACTIVE", "eu-west-1b", "10.0.2.10"],
]);
const oneActive = clusterOutput("ACTIVE", [
  ["ACTIVE", "eu-west-1a", "10.0.1.10"],
  ["CREATE_IN_PROGRESS", "eu-west-1b", "10.0.2.10"],
]);

/** The embedded-metric-format line the step printed, parsed. */
const metricsLine = (lines: string[]) =>
  JSON.parse(lines.find((l) => l.startsWith("{")) as string) as Record<string, unknown> & {
    _aws: { CloudWatchMetrics: unknown[] };
  };

beforeEach(() => {
  kms.reset();
  cloudhsm.reset();
});

test("a CONNECTED store with 2 ACTIVE HSMs: metrics 1 and 2 in embedded metric format, read-only", async () => {
  kms.on(DescribeCustomKeyStoresCommand).resolves(store("CONNECTED"));
  cloudhsm.on(DescribeClustersCommand).resolves(twoActive);
  const rt = runtime();
  expect(await checkKeyStoreHealth(input(rt))).toMatchObject({
    status: "ALREADY_DONE",
    state: "CONNECTED, 2 HSMs ACTIVE",
  });
  const line = metricsLine(rt.lines);
  expect(line).toMatchObject({ CustomKeyStoreId: IDS.keyStoreId, KeyStoreConnected: 1, ActiveHsms: 2 });
  expect(line._aws.CloudWatchMetrics).toEqual([
    {
      Namespace: HEALTH_NAMESPACE,
      Dimensions: [["CustomKeyStoreId"]],
      Metrics: [
        { Name: "KeyStoreConnected", Unit: "Count" },
        { Name: "ActiveHsms", Unit: "Count" },
      ],
    },
  ]);
  expect(rt.lines.filter((l) => l.startsWith("WARN"))).toEqual([]);
  expect(kms.calls().map((c) => c.args[0].constructor.name)).toEqual(["DescribeCustomKeyStoresCommand"]);
});

test("a store that left CONNECTED (FAILED) and a cluster with 1 ACTIVE HSM: metrics 0 and 1, one warning naming both", async () => {
  kms.on(DescribeCustomKeyStoresCommand).resolves(store("FAILED", "USER_LOCKED_OUT"));
  cloudhsm.on(DescribeClustersCommand).resolves(oneActive);
  const rt = runtime();
  expect(await checkKeyStoreHealth(input(rt))).toMatchObject({ state: "FAILED(USER_LOCKED_OUT), 1 HSMs ACTIVE" });
  expect(metricsLine(rt.lines)).toMatchObject({ KeyStoreConnected: 0, ActiveHsms: 1 });
  expect(rt.lines.filter((l) => l.startsWith("WARN"))).toEqual([
    `WARN [check-key-store-health ${IDS.keyStoreId}] unhealthy: key store is FAILED(USER_LOCKED_OUT), not CONNECTED; 1 ACTIVE HSMs, fewer than 2`,
  ]);
});

test("a store repointed to a restored cluster: that cluster's HSMs are counted, not those of the --cluster-id it left, with a warning", async () => {
  const RESTORED = "cluster-restoredabcd";
  kms.on(DescribeCustomKeyStoresCommand).resolves({
    CustomKeyStores: [{ ...store("CONNECTED").CustomKeyStores[0], CloudHsmClusterId: RESTORED }],
  });
  cloudhsm
    .on(DescribeClustersCommand)
    .callsFake((i: { Filters: { clusterIds: string[] } }) =>
      i.Filters.clusterIds[0] === RESTORED
        ? { Clusters: [{ ...oneActive.Clusters[0], ClusterId: RESTORED }] }
        : twoActive,
    );
  const rt = runtime();
  expect(await checkKeyStoreHealth(input(rt))).toMatchObject({ state: "CONNECTED, 1 HSMs ACTIVE" });
  expect(metricsLine(rt.lines)).toMatchObject({ KeyStoreConnected: 1, ActiveHsms: 1 });
  expect(rt.lines.filter((l) => l.startsWith("WARN"))[0]).toContain(
    `the key store is on cluster ${RESTORED}, not --cluster-id ${IDS.clusterId} (restored?): its HSMs are counted`,
  );
});

test("a DISCONNECTED store publishes 0", async () => {
  kms.on(DescribeCustomKeyStoresCommand).resolves(store("DISCONNECTED"));
  cloudhsm.on(DescribeClustersCommand).resolves(twoActive);
  const rt = runtime();
  await checkKeyStoreHealth(input(rt));
  expect(metricsLine(rt.lines)).toMatchObject({ KeyStoreConnected: 0, ActiveHsms: 2 });
});

test("converges through throttling", async () => {
  kms
    .on(DescribeCustomKeyStoresCommand)
    .rejectsOnce(awsError("ThrottlingException", "Rate exceeded"))
    .resolves(store("CONNECTED"));
  cloudhsm
    .on(DescribeClustersCommand)
    .rejectsOnce(awsError("ThrottlingException", "Rate exceeded"))
    .resolves(twoActive);
  const rt = runtime();
  expect(await checkKeyStoreHealth(input(rt))).toMatchObject({ state: "CONNECTED, 2 HSMs ACTIVE" });
});

test("fails when access is denied: one line with the next action, and no metric (the alarms treat missing data as breaching)", async () => {
  kms
    .on(DescribeCustomKeyStoresCommand)
    .rejects(awsError("AccessDeniedException", "not authorized to perform kms:DescribeCustomKeyStores"));
  const rt = runtime();
  const err = await thrown(() => checkKeyStoreHealth(input(rt)));
  expect(err.message).toBe(
    `[check-key-store-health ${IDS.keyStoreId}] AccessDeniedException: DescribeCustomKeyStores failed: not authorized to perform kms:DescribeCustomKeyStores. Next: grant the hook role kms:DescribeCustomKeyStores (hooks/README.md); the alarms report the missing check`,
  );
  expect(rt.lines.some((l) => l.startsWith("{"))).toBe(false);
});

test("the Lambda runner accepts the scheduled event (step, ids, minimum, budget; region from the function) and reports DONE", async () => {
  kms.on(DescribeCustomKeyStoresCommand).resolves(store("CONNECTED"));
  cloudhsm.on(DescribeClustersCommand).resolves(twoActive);
  const lines: string[] = [];
  const saved = process.env.AWS_REGION;
  process.env.AWS_REGION = IDS.region; // what Lambda sets; the schedule's event carries no region
  const handler = createHandler({
    clients: () => ({ kms, cloudhsm, ssm: kms, secrets: kms }) as never,
    clock: new VirtualClock(0),
    sink: (l) => lines.push(l),
  });
  await expect(
    handler(
      {
        step: "check-key-store-health",
        keyStoreId: IDS.keyStoreId,
        clusterId: IDS.clusterId,
        minHsms: 2,
        timeoutMinutes: 2,
      } as never,
      { getRemainingTimeInMillis: () => 60_000 },
    ),
  ).resolves.toMatchObject({
    status: "DONE",
    state: "CONNECTED, 2 HSMs ACTIVE",
  });
  if (saved === undefined) delete process.env.AWS_REGION;
  else process.env.AWS_REGION = saved;
  expect(lines.some((l) => l.includes('"ActiveHsms":2'))).toBe(true);
});

describe("a scale-to-zero cluster (its window given)", () => {
  const window = {
    downAt: "19:00",
    upAt: "07:00",
    weekdays: ["MON", "TUE", "WED", "THU", "FRI"] as const,
    timezone: "Europe/Berlin",
    upMinutes: 60,
  };
  const none = clusterOutput("ACTIVE", []);
  /** A runtime whose clock reads `at`. */
  const at = (date: Date) => ({ ...runtime(), clock: new VirtualClock(date.getTime()) });

  test("down on schedule (Saturday): ScaledDownOnSchedule 1, no warning, the real values still published", async () => {
    kms.on(DescribeCustomKeyStoresCommand).resolves(store("DISCONNECTED"));
    cloudhsm.on(DescribeClustersCommand).resolves(none);
    const rt = at(new Date(Date.UTC(2026, 11, 12, 11)));
    const result = await checkKeyStoreHealth({ ...input(rt), window: { ...window, weekdays: [...window.weekdays] } });
    expect(result.state).toMatch(/^DISCONNECTED, 0 HSMs ACTIVE, scaled down on schedule \(down; /);
    expect(metricsLine(rt.lines)).toMatchObject({ KeyStoreConnected: 0, ActiveHsms: 0, ScaledDownOnSchedule: 1 });
    expect(rt.lines.filter((l) => l.startsWith("WARN"))).toEqual([]);
  });

  test("zero HSMs outside the window (Tuesday 10:00): ScaledDownOnSchedule 0 and the warning, as for any cluster", async () => {
    kms.on(DescribeCustomKeyStoresCommand).resolves(store("DISCONNECTED"));
    cloudhsm.on(DescribeClustersCommand).resolves(none);
    const rt = at(new Date(Date.UTC(2026, 11, 8, 9)));
    await checkKeyStoreHealth({ ...input(rt), window: { ...window, weekdays: [...window.weekdays] } });
    expect(metricsLine(rt.lines)).toMatchObject({ KeyStoreConnected: 0, ActiveHsms: 0, ScaledDownOnSchedule: 0 });
    expect(rt.lines.filter((l) => l.startsWith("WARN"))).toEqual([
      `WARN [check-key-store-health ${IDS.keyStoreId}] unhealthy: key store is DISCONNECTED, not CONNECTED; 0 ACTIVE HSMs, fewer than 2`,
    ]);
  });

  test("the Lambda event must carry the whole window or none of it", async () => {
    const handler = createHandler({
      clients: () => ({ kms, cloudhsm, ssm: kms, secrets: kms }) as never,
      clock: new VirtualClock(0),
      sink: () => undefined,
    });
    await expect(
      handler(
        {
          step: "check-key-store-health",
          region: IDS.region,
          keyStoreId: IDS.keyStoreId,
          clusterId: IDS.clusterId,
          downAt: "19:00",
          timezone: "Europe/Berlin",
        },
        { getRemainingTimeInMillis: () => 60_000 },
      ),
    ).rejects.toThrow(
      "a scale-to-zero window needs --down-at, --up-at, --weekdays and --timezone together; missing --up-at, --weekdays",
    );
  });
});
