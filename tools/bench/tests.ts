/**
 * `npm run bench -- --tests`: `npm test` once (jest.config.js: the unit and integration projects),
 * timed as a user sees it (wall) and as the machine pays for it (CPU: user + system time of jest
 * and every process it waited for, Terraform and moto included), with the load average around it:
 * on a shared machine the wall time says as much about the neighbours as about the tests.
 * Per project: suites, tests, the sum of the suites' times and when the project's first suite
 * started and its last ended; and when each background run of the integration project's global
 * setup (test/helpers/global-setup.js) ended.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, relative } from "node:path";

export interface ProjectFigures {
  readonly suites: number;
  readonly tests: number;
  readonly failed: number;
  /** Tests jest did not run (skipped suites: a missing tool, or a background run that did not start). */
  readonly skipped?: number;
  /** Sum of the suites' own times, seconds. */
  readonly suiteSeconds: number;
  /** From the run's start to the project's first suite start and last suite end, seconds. */
  readonly firstStart: number;
  readonly lastEnd: number;
}

export interface BackgroundRun {
  readonly name: string;
  /** Seconds from the global setup's start to the run's end (undefined: stopped at teardown). */
  readonly endedAfter?: number;
  readonly exitCode?: number | null;
  /** CPU seconds (user + system) of the run and the processes it waited for (Terraform); undefined where /proc is missing. */
  readonly cpuSeconds?: number;
  /** CPU seconds of the moto_server the run started (no waited-for child: read from /proc before it is stopped). */
  readonly motoCpuSeconds?: number;
}

export interface TestsFigures {
  readonly date: string;
  readonly cores: number;
  readonly project?: string;
  readonly wallSeconds: number;
  /** user + system CPU seconds of jest and its waited-for descendants; undefined where /proc is missing. */
  readonly cpuSeconds?: number;
  readonly loadBefore: number;
  readonly loadAfter: number;
  readonly passed: boolean;
  readonly projects: Record<string, ProjectFigures>;
  readonly background: readonly BackgroundRun[];
}

interface JestJson {
  success: boolean;
  startTime: number;
  testResults: { name: string; startTime: number; endTime: number; assertionResults: { status: string }[] }[];
}

/** CPU seconds (user + system) of this process's waited-for children so far: /proc/self/stat cutime + cstime. */
function childCpuSeconds(ticksPerSecond: number): number | undefined {
  if (!existsSync("/proc/self/stat")) return undefined;
  // Fields after the command name (which may hold spaces) start at "state"; cutime and cstime are fields 16 and 17.
  const stat = readFileSync("/proc/self/stat", "utf8");
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[13]) + Number(rest[14])) / ticksPerSecond;
}

function ticksPerSecond(): number {
  const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const n = Number(r.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
}

/** The test files of one project, as jest lists them (its own configuration decides). */
function listTests(root: string, project: string): Set<string> {
  const r = spawnSync(
    process.execPath,
    [join(root, "node_modules", "jest", "bin", "jest.js"), "--listTests", "--json", "--selectProjects", project],
    { cwd: root, encoding: "utf8" },
  );
  if (r.status !== 0)
    throw new Error(
      `jest --listTests --selectProjects ${project} exited ${r.status}: ${(r.stderr ?? "").trim().split("\n").slice(-3).join(" | ")}`,
    );
  const json = r.stdout.slice(r.stdout.indexOf("["));
  return new Set((JSON.parse(json) as string[]).map((f) => relative(root, f)));
}

/** Runs `npm test` (jest; one project with `project`) once and returns its figures. Throws when jest cannot run; failing tests are reported in `passed`. */
export function measureTests(root: string, work: string, project?: string): TestsFigures {
  const ticks = ticksPerSecond();
  const unitFiles = listTests(root, "unit");
  const out = join(work, "jest.json");
  const background = join(work, "background.json");
  const loadBefore = loadavg()[0];
  const cpuBefore = childCpuSeconds(ticks);
  const start = process.hrtime.bigint();
  const r = spawnSync(
    process.execPath,
    [
      join(root, "node_modules", "jest", "bin", "jest.js"),
      "--ci",
      "--json",
      "--outputFile",
      out,
      ...(project ? ["--selectProjects", project] : []),
    ],
    {
      cwd: root,
      env: { ...process.env, CMK_BENCH_BACKGROUND: background },
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpuAfter = childCpuSeconds(ticks);
  const loadAfter = loadavg()[0];
  if (!existsSync(out))
    throw new Error(
      `jest wrote no results (exit ${r.status}): ${(r.stderr ?? "").trim().split("\n").slice(-5).join(" | ")}`,
    );
  const json = JSON.parse(readFileSync(out, "utf8")) as JestJson;
  const projects: Record<string, ProjectFigures> = {};
  for (const name of ["unit", "integration"]) {
    const suites = json.testResults.filter((t) => unitFiles.has(relative(root, t.name)) === (name === "unit"));
    if (!suites.length) continue;
    const tests = suites.flatMap((s) => s.assertionResults);
    projects[name] = {
      suites: suites.length,
      tests: tests.length,
      failed: tests.filter((t) => t.status === "failed").length,
      skipped: tests.filter((t) => t.status !== "failed" && t.status !== "passed").length,
      suiteSeconds: suites.reduce((a, s) => a + (s.endTime - s.startTime), 0) / 1000,
      firstStart: (Math.min(...suites.map((s) => s.startTime)) - json.startTime) / 1000,
      lastEnd: (Math.max(...suites.map((s) => s.endTime)) - json.startTime) / 1000,
    };
  }
  const runs = existsSync(background) ? (JSON.parse(readFileSync(background, "utf8")) as BackgroundRun[]) : [];
  return {
    date: new Date().toISOString().slice(0, 10),
    cores: cpus().length,
    ...(project ? { project } : {}),
    wallSeconds,
    ...(cpuBefore !== undefined && cpuAfter !== undefined ? { cpuSeconds: cpuAfter - cpuBefore } : {}),
    loadBefore,
    loadAfter,
    passed: json.success,
    projects,
    background: runs,
  };
}

const s = (n: number) => `${n.toFixed(1)} s`;

/** The line the README keeps: dated, with the machine, the load, wall and CPU time. */
export function readmeLine(f: TestsFigures): string {
  const what = f.project ? `npm test -- --selectProjects ${f.project}` : "npm test";
  const per = Object.entries(f.projects)
    .map(([name, p]) => `${name} ${p.suites} suites, ${p.tests.toLocaleString("en")} tests`)
    .join("; ");
  return `${what}: ${s(f.wallSeconds)} wall, ${f.cpuSeconds === undefined ? "CPU not measured" : `${s(f.cpuSeconds)} CPU (user+sys)`} on ${f.cores} cores, load ${f.loadBefore.toFixed(1)} before (${per}), measured ${f.date} by npm run bench -- --tests`;
}

/** The table rows: the whole run, then each project and background run. */
export function testsRows(f: TestsFigures): { what: string; figure: string; target: string; ok: boolean }[] {
  const rows = [
    {
      what: f.project ? `npm test, ${f.project} project only` : "npm test (both projects, 2 workers)",
      figure: `${s(f.wallSeconds)} wall, ${f.cpuSeconds === undefined ? "CPU not measured" : `${s(f.cpuSeconds)} CPU`}; load ${f.loadBefore.toFixed(1)} -> ${f.loadAfter.toFixed(1)}`,
      target: f.project ? "(information)" : "<= 60 s wall on a quiet 2-core machine",
      ok: f.passed && (f.project !== undefined || f.wallSeconds <= 60),
    },
  ];
  // A timing of a run that skipped tests (a missing tool, a background run that did not start) is not a timing of npm test.
  const skipped = Object.values(f.projects).reduce((a, p) => a + (p.skipped ?? 0), 0);
  if (skipped > 0)
    rows[0] = { ...rows[0], figure: `${rows[0].figure}; ${skipped} tests SKIPPED: not a full run`, ok: false };
  for (const [name, p] of Object.entries(f.projects)) {
    rows.push({
      what: `  ${name} project`,
      figure: `${p.suites} suites, ${p.tests} tests${p.failed ? ` (${p.failed} FAILED)` : ""}${p.skipped ? ` (${p.skipped} SKIPPED)` : ""}; suites sum ${s(p.suiteSeconds)}; ran ${s(p.firstStart)} -> ${s(p.lastEnd)}`,
      target: "(information)",
      ok: p.failed === 0 && !p.skipped,
    });
  }
  for (const b of f.background) {
    rows.push({
      what: `  background: ${b.name}`,
      figure:
        b.endedAfter === undefined
          ? "stopped at teardown"
          : `ended ${s(b.endedAfter)} after the global setup started (exit ${b.exitCode})${b.cpuSeconds === undefined ? "" : `; ${s(b.cpuSeconds)} CPU`}${b.motoCpuSeconds === undefined ? "" : ` + moto ${s(b.motoCpuSeconds)}`}`,
      target: "(information)",
      ok: true,
    });
  }
  return rows;
}
