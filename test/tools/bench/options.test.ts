/** `npm run bench`'s command line: a real --help, measurements to pick, runs, one-line errors. */
import { MEASUREMENTS, parseBenchArgs } from "../../../tools/bench/options";

function parse(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return { result: parseBenchArgs(argv, { out: (s) => out.push(s), err: (s) => err.push(s) }, env), out, err };
}

test("--help lists every measurement and the options, and exits 0", () => {
  const r = parse(["--help"]);
  expect(r.result).toBe(0);
  const help = r.out.join("\n");
  for (const [name, what] of Object.entries(MEASUREMENTS)) expect(help).toContain(`  ${name.padEnd(10)} ${what}`);
  expect(help).toMatch(/--only <names>/);
  expect(help).toMatch(/--runs <n>/);
});

test("defaults: every measurement but the test run's, 5 runs; BENCH_RUNS and BENCH_VALIDATE=0 still work", () => {
  expect(parse([]).result).toEqual({ only: ["app", "scale", "cdktf", "validate", "bootstrap", "guard"], runs: 5 });
  expect(parse([], { BENCH_RUNS: "9", BENCH_VALIDATE: "0" }).result).toEqual({
    only: ["app", "scale", "cdktf", "bootstrap", "guard"],
    runs: 9,
  });
});

test("--only picks measurements and --runs sets the runs", () => {
  expect(parse(["--only", "guard, app", "--runs", "3"]).result).toEqual({ only: ["guard", "app"], runs: 3 });
});

test("fails with one line per problem, all at once, exit 2", () => {
  const r = parse(["--only", "app,synth,gaurd", "--runs", "many"]);
  expect(r.result).toBe(2);
  expect(r.err).toEqual([
    'bench: --runs: "many" is not allowed (a whole number from 1 to 50)',
    'bench: --only: unknown measurements "synth", "gaurd" (known: app, scale, cdktf, validate, bootstrap, guard, tests)',
  ]);
});

test("--tests measures npm test alone (not by default); --project picks one jest project", () => {
  expect(parse(["--tests"]).result).toStrictEqual({ only: ["tests"], runs: 5 });
  expect(parse(["--tests", "--project", "unit"]).result).toStrictEqual({ only: ["tests"], runs: 5, project: "unit" });
  expect(parse(["--only", "tests,guard", "--project", "integration"]).result).toStrictEqual({
    only: ["tests", "guard"],
    runs: 5,
    project: "integration",
  });
  expect(parse(["--help"]).out.join("\n")).toMatch(/--tests +measure `npm test` once/);
});

test("--project: a known project, and only with the test run", () => {
  const r = parse(["--tests", "--project", "units"]);
  expect(r.result).toBe(2);
  expect(r.err).toEqual(['bench: --project: "units" is not a jest project (known: unit, integration)']);
  const s = parse(["--project", "unit"]);
  expect(s.result).toBe(2);
  expect(s.err).toEqual(["bench: --project: only with --tests"]);
  const t = parse(["--tests", "--only", "app"]);
  expect(t.result).toBe(2);
  expect(t.err).toEqual(["bench: --tests: not with --only without tests (use one of them)"]);
});
