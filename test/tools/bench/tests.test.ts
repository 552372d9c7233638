/** `npm run bench -- --tests`: the README's dated line and the table rows from one run's figures. */
import { readmeLine, testsRows, type TestsFigures } from "../../../tools/bench/tests";

const figures: TestsFigures = {
  date: "2026-12-07",
  cores: 2,
  wallSeconds: 58.04,
  cpuSeconds: 101.26,
  loadBefore: 0.42,
  loadAfter: 2.1,
  passed: true,
  projects: {
    unit: { suites: 91, tests: 2874, failed: 0, suiteSeconds: 80.5, firstStart: 1.2, lastEnd: 40.3 },
    integration: { suites: 31, tests: 310, failed: 0, suiteSeconds: 120.25, firstStart: 1.1, lastEnd: 57.9 },
  },
  background: [
    { name: "validate", endedAfter: 35.55, exitCode: 1 },
    { name: "emulator", endedAfter: 30, exitCode: 0 },
  ],
};

test("the README line: dated, the machine, the load, wall and CPU, each project's size", () => {
  expect(readmeLine(figures)).toBe(
    "npm test: 58.0 s wall, 101.3 s CPU (user+sys) on 2 cores, load 0.4 before (unit 91 suites, 2,874 tests; integration 31 suites, 310 tests), measured 2026-12-07 by npm run bench -- --tests",
  );
  expect(
    readmeLine({ ...figures, project: "unit", cpuSeconds: undefined, projects: { unit: figures.projects.unit } }),
  ).toBe(
    "npm test -- --selectProjects unit: 58.0 s wall, CPU not measured on 2 cores, load 0.4 before (unit 91 suites, 2,874 tests), measured 2026-12-07 by npm run bench -- --tests",
  );
});

test("the rows: the whole run against the 60 s target, then each project and background run", () => {
  expect(testsRows(figures)).toEqual([
    {
      what: "npm test (both projects, 2 workers)",
      figure: "58.0 s wall, 101.3 s CPU; load 0.4 -> 2.1",
      target: "<= 60 s wall on a quiet 2-core machine",
      ok: true,
    },
    {
      what: "  unit project",
      figure: "91 suites, 2874 tests; suites sum 80.5 s; ran 1.2 s -> 40.3 s",
      target: "(information)",
      ok: true,
    },
    {
      what: "  integration project",
      figure: "31 suites, 310 tests; suites sum 120.3 s; ran 1.1 s -> 57.9 s",
      target: "(information)",
      ok: true,
    },
    {
      what: "  background: validate",
      figure: "ended 35.5 s after the global setup started (exit 1)",
      target: "(information)",
      ok: true,
    },
    {
      what: "  background: emulator",
      figure: "ended 30.0 s after the global setup started (exit 0)",
      target: "(information)",
      ok: true,
    },
  ]);
});

test("a background run's CPU, and its moto_server's, when the bench measured them", () => {
  const rows = testsRows({
    ...figures,
    background: [
      { name: "validate", endedAfter: 35.55, exitCode: 0, cpuSeconds: 17.61 },
      { name: "teardown", endedAfter: 99.9, exitCode: 0, cpuSeconds: 52.04, motoCpuSeconds: 2.46 },
    ],
  });
  expect(rows.slice(-2).map((r) => [r.what, r.figure])).toEqual([
    ["  background: validate", "ended 35.5 s after the global setup started (exit 0); 17.6 s CPU"],
    ["  background: teardown", "ended 99.9 s after the global setup started (exit 0); 52.0 s CPU + moto 2.5 s"],
  ]);
});

test("over 60 s, or a failed test, is MISSED; one project alone has no target", () => {
  expect(testsRows({ ...figures, wallSeconds: 60.5 })[0].ok).toBe(false);
  expect(testsRows({ ...figures, passed: false })[0].ok).toBe(false);
  const failed = { ...figures, projects: { ...figures.projects, unit: { ...figures.projects.unit, failed: 2 } } };
  expect(testsRows(failed)[1]).toMatchObject({
    figure: "91 suites, 2874 tests (2 FAILED); suites sum 80.5 s; ran 1.2 s -> 40.3 s",
    ok: false,
  });
  const skipped = {
    ...figures,
    wallSeconds: 40,
    projects: { ...figures.projects, integration: { ...figures.projects.integration, skipped: 5 } },
  };
  expect(testsRows(skipped)[0]).toMatchObject({ ok: false });
  expect(testsRows(skipped)[0].figure).toMatch(/; 5 tests SKIPPED: not a full run$/);
  expect(testsRows(skipped)[2]).toMatchObject({
    figure: "31 suites, 310 tests (5 SKIPPED); suites sum 120.3 s; ran 1.1 s -> 57.9 s",
    ok: false,
  });
  expect(testsRows({ ...figures, project: "integration", wallSeconds: 200 })[0]).toMatchObject({
    what: "npm test, integration project only",
    target: "(information)",
    ok: true,
  });
});
