/** The closing line, and a skipped test failing a CI run (test/helpers/summary-reporter.js). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SummaryReporter = require("./helpers/summary-reporter") as new () => {
  onRunComplete(contexts: unknown, results: unknown): void;
  getLastError(): Error | undefined;
};

const results = (pending: number) => ({
  numPassedTests: 5,
  numFailedTests: 0,
  numPendingTests: pending,
  numTodoTests: 0,
  testResults: [
    { testFilePath: `${process.cwd()}/test/ops/emulator.test.ts`, numPendingTests: pending, numTodoTests: 0 },
    { testFilePath: `${process.cwd()}/test/a.test.ts`, numPendingTests: 0, numTodoTests: 0 },
  ],
});

const saved = { CI: process.env.CI, CMK_SKIP_TERRAFORM: process.env.CMK_SKIP_TERRAFORM };
let out: string[];
beforeEach(() => {
  out = [];
  jest.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
});
afterEach(() => {
  jest.restoreAllMocks();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

test.each([
  ["under CI, a skipped test fails the run, naming its suite", { CI: "true" }, 2, true],
  [
    "under CI with CMK_SKIP_TERRAFORM (skipping on purpose), it does not",
    { CI: "true", CMK_SKIP_TERRAFORM: "1" },
    2,
    false,
  ],
  ["outside CI, a skipped test is reported only", {}, 2, false],
  ["under CI, nothing skipped passes", { CI: "true" }, 0, false],
])("%s", (_what, env: Record<string, string>, pending, fails) => {
  delete process.env.CI;
  delete process.env.CMK_SKIP_TERRAFORM;
  Object.assign(process.env, env);
  const reporter = new SummaryReporter();
  reporter.onRunComplete([], results(pending));
  expect(out[0]).toBe(`jest: 5 passed, 0 failed, ${pending} skipped\n`);
  if (fails) {
    expect(reporter.getLastError()?.message).toBe(
      "2 tests skipped under CI (test/ops/emulator.test.ts): a skipped suite says why above; CI must run them all",
    );
  } else {
    expect(reporter.getLastError()).toBeUndefined();
  }
});
