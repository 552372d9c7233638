/**
 * A test run leaves nothing in the system temp directory (test/helpers/run-temp.js): everything
 * temporary goes to the run's own directory, which the global teardown removes.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createRunTemp, removeRunTemp } = require("./helpers/run-temp") as {
  createRunTemp: (env: Record<string, string | undefined>, system?: string) => string;
  removeRunTemp: (env: Record<string, string | undefined>, log?: (l: string) => void) => string | undefined;
};

const root = join(__dirname, "..");

test("inside a run, os.tmpdir() and cdktf's Testing.app() write into the run's own directory", () => {
  const run = process.env.CMK_RUN_TMP;
  expect(run).toMatch(/cmk-jest-run-/);
  expect(tmpdir()).toBe(run);
  const outdir = Testing.app().outdir;
  expect(outdir.startsWith(`${run}`)).toBe(true);
});

describe("the run directory", () => {
  const sandbox = mkdtempSync(join(tmpdir(), "run-temp-"));
  afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

  test("removing it removes only it: another run's folders stay", () => {
    const env: Record<string, string | undefined> = { TMPDIR: sandbox, TMP: sandbox, TEMP: sandbox };
    const other = join(sandbox, "cdktf.outdir.other-run");
    mkdirSync(other);
    const mine = createRunTemp(env, sandbox);
    expect(env.TMPDIR).toBe(mine);
    mkdirSync(join(mine, "cdktf.outdir.abc"));
    expect(removeRunTemp(env)).toBe(mine);
    expect(existsSync(mine)).toBe(false);
    expect(existsSync(other)).toBe(true);
    expect(env.TMPDIR).toBe(sandbox);
  });

  test("fails when asked to remove a directory that is not a run directory", () => {
    const env: Record<string, string | undefined> = {
      CMK_SYSTEM_TMP: sandbox,
      CMK_RUN_TMP: join(sandbox, "cdktf.outdir.other-run"),
    };
    expect(() => removeRunTemp(env)).toThrow(
      `run-temp: refusing to remove ${join(sandbox, "cdktf.outdir.other-run")}: not a cmk-jest-run-* directory in ${sandbox}`,
    );
  });

  test("CMK_KEEP_WORK=1 keeps it and says where", () => {
    const env: Record<string, string | undefined> = { TMPDIR: sandbox, CMK_KEEP_WORK: "1" };
    const mine = createRunTemp(env, sandbox);
    const lines: string[] = [];
    removeRunTemp(env, (l) => lines.push(l));
    expect(existsSync(mine)).toBe(true);
    expect(lines).toEqual([`kept this run's temporary files in ${mine}`]);
  });
});

test("a jest run with the project's setup and teardown leaves the system temp directory as it found it", () => {
  // The child's "system temp directory" is an empty folder: after the run it must be empty again.
  const system = realpathSync(mkdtempSync(join(tmpdir(), "system-tmp-")));
  try {
    const config = {
      rootDir: root,
      roots: ["<rootDir>/test/fixtures/run-temp"],
      testMatch: ["**/*.fixture.ts"],
      transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
      globalSetup: "<rootDir>/test/helpers/global-setup.js",
      globalTeardown: "<rootDir>/test/helpers/global-teardown.js",
    };
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TMPDIR: system,
      TMP: system,
      TEMP: system,
      CMK_SKIP_TERRAFORM: "1",
    };
    delete env.CMK_RUN_TMP;
    delete env.CMK_SYSTEM_TMP;
    delete env.CMK_KEEP_WORK;
    delete env.CMK_OFFLINE;
    delete env.CMK_EMULATOR;
    delete env.CMK_TEARDOWN_FIXTURE;
    delete env.CMK_RUN_EMULATOR;
    env.CMK_SKIP_MOTO = "1";
    const r = spawnSync(
      process.execPath,
      [join(root, "node_modules", "jest", "bin", "jest.js"), "--config", JSON.stringify(config), "--runInBand", "--ci"],
      { cwd: root, env, encoding: "utf8" },
    );
    expect(r.stderr).toContain("1 passed");
    expect(r.status).toBe(0);
    // jest's own transform cache (`jest_<uid>`, one per user, reused by every run) is not the run's.
    expect(readdirSync(system).filter((f) => !/^jest_[0-9a-z]+$/.test(f))).toEqual([]);
  } finally {
    rmSync(system, { recursive: true, force: true });
  }
}, 60000);
