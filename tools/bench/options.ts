/** `npm run bench` options: which measurements, how many runs. Parsed here so they can be tested. */
import { Command, CommanderError, Option } from "commander";

/** Every measurement, in the order they run, with what it times. */
export const MEASUREMENTS = {
  app: "the app (node .build/main.js) on the shipped environments",
  scale: "the app on 50 generated environments (100 stacks)",
  cdktf: "`cdktf synth` as a user runs it, and how much of it is our app",
  validate: "`npm run validate` once (needs a Terraform CLI and the provider mirror)",
  bootstrap: "the bootstrap orchestration against the documented latencies (virtual clock)",
  guard: "the plan guard on a 10,000-resource plan",
  tests: "`npm test` once: wall and CPU time, per jest project (only with --tests or --only)",
} as const;

/** The jest projects (jest.config.js) `--project` can pick. */
export const PROJECTS = ["unit", "integration"] as const;

export type MeasurementName = keyof typeof MEASUREMENTS;

export interface BenchOptions {
  readonly only: readonly MeasurementName[];
  readonly runs: number;
  /** With `tests`: one jest project instead of the whole `npm test`. */
  readonly project?: (typeof PROJECTS)[number];
}

/**
 * Parses the command line; resolves with the options, or with an exit code after printing help
 * (0) or a one-line error (2).
 */
export function parseBenchArgs(
  argv: readonly string[],
  io: { out: (s: string) => void; err: (s: string) => void },
  env: NodeJS.ProcessEnv = process.env,
): BenchOptions | number {
  const names = Object.keys(MEASUREMENTS) as MeasurementName[];
  const program = new Command("bench")
    .description(
      "Measures the speed figures the README quotes, on this machine; a missed target is printed as MISSED and exits 1.",
    )
    .addOption(new Option("--only <names>", `comma-separated measurements to run (default: all): ${names.join(", ")}`))
    .addOption(
      new Option(
        "--runs <n>",
        "timed runs per measurement, after one warm-up (the 50-environment run uses at most 3)",
      ).default(env.BENCH_RUNS ?? "5"),
    )
    .addOption(new Option("--tests", "measure `npm test` once (the same as --only tests)"))
    .addOption(new Option("--project <name>", `with --tests: one jest project (${PROJECTS.join(", ")})`))
    .addHelpText(
      "after",
      `\nMeasurements:\n${names.map((n) => `  ${n.padEnd(10)} ${MEASUREMENTS[n]}`).join("\n")}\n\nBENCH_VALIDATE=0 skips validate (as --only without it does).`,
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  try {
    program.parse([...argv], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  const o = program.opts<{ only?: string; runs: string; tests?: boolean; project?: string }>();
  const problems: string[] = [];
  const runs = Number(o.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 50)
    problems.push(`bench: --runs: "${o.runs}" is not allowed (a whole number from 1 to 50)`);
  const only = o.only
    ? o.only
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : o.tests
      ? ["tests"]
      : names.filter((n) => n !== "tests" && (n !== "validate" || env.BENCH_VALIDATE !== "0"));
  if (o.tests && o.only && !only.includes("tests"))
    problems.push("bench: --tests: not with --only without tests (use one of them)");
  if (o.project !== undefined && !(PROJECTS as readonly string[]).includes(o.project))
    problems.push(`bench: --project: "${o.project}" is not a jest project (known: ${PROJECTS.join(", ")})`);
  if (o.project !== undefined && !only.includes("tests")) problems.push("bench: --project: only with --tests");
  const unknown = only.filter((n) => !(names as string[]).includes(n));
  if (unknown.length)
    problems.push(
      `bench: --only: unknown measurement${unknown.length > 1 ? "s" : ""} ${unknown.map((u) => `"${u}"`).join(", ")} (known: ${names.join(", ")})`,
    );
  if (problems.length) {
    for (const p of problems) io.err(p);
    return 2;
  }
  return {
    only: only as MeasurementName[],
    runs,
    ...(o.project ? { project: o.project as (typeof PROJECTS)[number] } : {}),
  };
}
