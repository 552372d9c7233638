import { runBootstrapSimulation } from "../../../tools/bench/bootstrap-sim";

test("the orchestration stays within 2% of the critical path of the documented latencies", async () => {
  const r = await runBootstrapSimulation();
  // 10 + 4 + 1 + 4 + 10 (remaining HSMs in parallel) + 1 + 0.5 + 20 minutes.
  expect(r.criticalPathMs).toBe(50.5 * 60_000);
  expect(r.overheadPct).toBeLessThanOrEqual(2);
});

test("makes no more AWS calls than the poll schedules need", async () => {
  const r = await runBootstrapSimulation();
  for (const [op, n] of Object.entries(r.calls)) expect([op, n]).toEqual([op, r.expectedCallsByOperation[op]]);
  expect(Object.values(r.calls).reduce((a, b) => a + b, 0)).toBe(r.expectedCalls);
});

test("still converges, with bounded overhead, when AWS is 10% slower than typical", async () => {
  const r = await runBootstrapSimulation({
    hsmCreateMs: 11 * 60_000,
    initializeMs: 4.4 * 60_000,
    activateMs: 4.4 * 60_000,
    connectMs: 22 * 60_000,
  });
  expect(r.overheadPct).toBeLessThan(5);
  expect(Object.values(r.calls).reduce((a, b) => a + b, 0)).toBe(r.expectedCalls);
});
