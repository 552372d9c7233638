/**
 * test/helpers/cpu-report.js, preloaded into the jest global setup's background runs when
 * `npm run bench -- --tests` measures `npm test`: at exit it writes the run's own CPU seconds and
 * those of the processes it waited for, and hides its variable from them.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const preload = join(__dirname, "..", "..", "helpers", "cpu-report.js");
const work = mkdtempSync(join(tmpdir(), "cmk-cpu-report-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// A child that spends CPU, then prints whether it saw the variable.
const script = `
const { execFileSync } = require("node:child_process");
const seen = execFileSync(process.execPath, ["-e", "let x = 0; for (let i = 0; i < 3e8; i++) x += i; process.stdout.write(String(process.env.CMK_CPU_FILE))"], { encoding: "utf8" });
process.stdout.write(seen);
`;

test("writes its own and its waited-for children's CPU seconds at exit; the children do not inherit the file", () => {
  const file = join(work, "run.cpu.json");
  const seen = execFileSync(process.execPath, ["-r", preload, "-e", script], {
    env: { ...process.env, CMK_CPU_FILE: file },
    encoding: "utf8",
  });
  expect(seen).toBe("undefined");
  const cpu = JSON.parse(readFileSync(file, "utf8")) as { own: number; children?: number };
  expect(cpu.own).toBeGreaterThan(0);
  if (existsSync("/proc/self/stat")) expect(cpu.children).toBeGreaterThan(0.05);
});

test("without CMK_CPU_FILE it writes nothing", () => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CMK_CPU_FILE;
  const cwd = mkdtempSync(join(work, "none-"));
  expect(
    execFileSync(process.execPath, ["-r", preload, "-e", "process.stdout.write('ok')"], { cwd, env, encoding: "utf8" }),
  ).toBe("ok");
  expect(readdirSync(cwd)).toEqual([]);
});
