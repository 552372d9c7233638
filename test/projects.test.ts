/**
 * The two jest projects (jest.config.js, test/helpers/projects.js, docs/testing.md): a unit suite
 * cannot start a process, and every suite is in exactly one project. This file is a unit suite:
 * the guard below is the real one, installed by the unit project's setupFilesAfterEnv.
 */
import * as childProcess from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

// CommonJS helpers shared with jest.config.js.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { INTEGRATION, integrationPatterns, waiting } = require("./helpers/projects") as {
  INTEGRATION: Record<string, { starts: string; waits?: string }>;
  integrationPatterns: string[];
  waiting: string[];
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { installGuard, METHODS } = require("./helpers/no-child-process") as {
  installGuard: (cp: Record<string, unknown>, suite: () => string) => () => void;
  METHODS: string[];
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const config = require("../jest.config") as {
  projects: {
    displayName: string;
    testMatch: string[];
    testPathIgnorePatterns?: string[];
    setupFilesAfterEnv?: string[];
    globalSetup?: string;
    globalTeardown?: string;
  }[];
};

const ROOT = join(__dirname, "..");
const RULE =
  "Unit suites run in-process: a suite that needs Terraform, moto, npm, a shell, python, a pseudo-terminal or a built CLI belongs to the integration project: list it in test/helpers/projects.js (docs/testing.md)";
const refusal = (method: string, command: string) =>
  `test/projects.test.ts is a unit suite and started a child process (child_process.${method}: ${command}). ${RULE}`;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? testFiles(join(dir, e.name))
      : e.name.endsWith(".test.ts")
        ? [relative(ROOT, join(dir, e.name)).replaceAll("\\", "/")]
        : [],
  );
}

describe("a unit suite cannot start a process", () => {
  test("terraform, moto_server, npm, python3, a shell, node: each starter throws, naming the suite, the command and the rule", () => {
    expect(() => childProcess.spawnSync("terraform", ["version"])).toThrow(refusal("spawnSync", "terraform"));
    expect(() => childProcess.spawn("moto_server", ["-p", "0"])).toThrow(refusal("spawn", "moto_server"));
    expect(() => childProcess.execFileSync("npm", ["pack"])).toThrow(refusal("execFileSync", "npm"));
    expect(() => childProcess.execFile("python3", ["-c", "import pty"], () => undefined)).toThrow(
      refusal("execFile", "python3"),
    );
    expect(() => childProcess.execSync("bash -c true")).toThrow(refusal("execSync", "bash"));
    expect(() => childProcess.exec("terraform plan -input=false", () => undefined)).toThrow(
      refusal("exec", "terraform"),
    );
    expect(() => childProcess.fork(join(ROOT, ".build", "main.js"))).toThrow(
      refusal("fork", join(ROOT, ".build", "main.js")),
    );
  });

  test("the same through require() and the node: prefix (one module object)", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const cp = require("child_process") as typeof childProcess;
    expect(() => cp.spawnSync(process.execPath, ["-e", ""])).toThrow(refusal("spawnSync", process.execPath));
  });

  test("the message shows the command only, never its arguments (they may hold a secret)", () => {
    let message = "";
    try {
      childProcess.execSync("cloudhsm-cli --password hunter2-secret");
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(refusal("execSync", "cloudhsm-cli"));
    expect(message).not.toContain("hunter2");
  });

  test("installGuard replaces every starter and puts the originals back (the workers are shared with the integration project)", () => {
    const originals = Object.fromEntries(METHODS.map((m) => [m, () => `real ${m}`]));
    const cp: Record<string, unknown> = { ...originals };
    const restore = installGuard(cp, () => "test/some/suite.test.ts");
    expect(METHODS).toEqual(["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"]);
    for (const m of METHODS)
      expect(() => (cp[m] as (c: string) => void)("terraform")).toThrow(
        `test/some/suite.test.ts is a unit suite and started a child process (child_process.${m}: terraform). ${RULE}`,
      );
    restore();
    for (const m of METHODS) expect(cp[m]).toBe(originals[m]);
  });
});

describe("every suite is in exactly one project", () => {
  const all = testFiles(join(ROOT, "test"));
  const listed = Object.keys(INTEGRATION);
  const unit = config.projects.find((p) => p.displayName === "unit");
  const integration = config.projects.find((p) => p.displayName === "integration");
  const ignoredByUnit = (f: string) =>
    (unit?.testPathIgnorePatterns ?? []).some((p) =>
      new RegExp(p.replace("<rootDir>", ROOT.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).test(join(ROOT, f)),
    );

  test("the configuration: unit ignores the listed suites and installs the guard; integration runs exactly the listed suites", () => {
    expect(config.projects.map((p) => p.displayName)).toEqual(["unit", "integration"]);
    expect(unit?.setupFilesAfterEnv).toEqual([
      "<rootDir>/test/helpers/plain-token-stacks.js",
      "<rootDir>/test/helpers/no-child-process.js",
    ]);
    expect(integration?.setupFilesAfterEnv).toEqual(["<rootDir>/test/helpers/plain-token-stacks.js"]);
    expect(integration?.testMatch).toEqual(listed.map((p) => `<rootDir>/${p}`));
    expect(integrationPatterns).toHaveLength(listed.length);
    expect(all.filter(ignoredByUnit).sort()).toEqual([...listed].sort());
  });

  // jest runs each distinct globalSetup module once per run, with the project config of the first test that
  // names it: one module shared by both projects ran as "unit" whenever a unit test came first, and the
  // integration suites that wait for the background runs were silently skipped.
  test("each project has a global setup and teardown module of its own, which runs the shared one as that project", () => {
    expect(config.projects.map((p) => [p.displayName, p.globalSetup, p.globalTeardown])).toEqual([
      ["unit", "<rootDir>/test/helpers/global-setup-unit.js", "<rootDir>/test/helpers/global-teardown-unit.js"],
      [
        "integration",
        "<rootDir>/test/helpers/global-setup-integration.js",
        "<rootDir>/test/helpers/global-teardown-integration.js",
      ],
    ]);
    const calls: unknown[] = [];
    jest.isolateModules(() => {
      jest.doMock("./helpers/global-setup", () => (g: unknown, p: unknown) => calls.push([g, p]));
      for (const project of ["unit", "integration"]) {
        // The first test of the run may belong to the other project: its config is what jest passes.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        (require(`./helpers/global-setup-${project}`) as (g: unknown, p: unknown) => unknown)(
          { g: 1 },
          {
            displayName: { name: "other" },
            rootDir: ROOT,
          },
        );
      }
    });
    expect(calls).toEqual([
      [{ g: 1 }, { displayName: { name: "unit" }, rootDir: ROOT }],
      [{ g: 1 }, { displayName: { name: "integration" }, rootDir: ROOT }],
    ]);
  });

  test("every listed integration suite exists and says what it starts; only offline, emulator and teardown are waited for", () => {
    expect(listed.filter((p) => !existsSync(join(ROOT, p)))).toEqual([]);
    expect(listed.filter((p) => !p.endsWith(".test.ts") || !INTEGRATION[p].starts)).toEqual([]);
    expect(new Set(listed.map((p) => INTEGRATION[p].waits).filter(Boolean))).toEqual(
      new Set(["offline", "emulator", "teardown"]),
    );
    expect(waiting).toEqual(listed.filter((p) => INTEGRATION[p].waits));
  });

  test("a suite that reaches for a process or a background run is listed (the guard would fail it at run time; this names it before)", () => {
    const starts =
      /\bchild_process\b|\bfrom "esbuild"|\b(offlineRun|emulatorRun|teardownFixture|startMoto|findTerraform|terraformDriftRunner)\(/;
    const unlisted = all.filter((f) => !listed.includes(f) && starts.test(readFileSync(join(ROOT, f), "utf8")));
    // This file names child_process to prove the guard.
    expect(unlisted).toEqual(["test/projects.test.ts"]);
  });
});

describe("the global setup starts a background run only when a suite of the run waits for it", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { wanted } = require("./helpers/global-setup") as {
    wanted: (g: Record<string, unknown>, kind: string) => boolean;
  };
  const kinds = ["offline", "emulator", "teardown"];
  const which = (g: Record<string, unknown>) => kinds.filter((k) => wanted(g, k));

  test("one unit file, or a folder without waiting suites: none", () => {
    expect(which({ testPathPattern: "test/stacks/keys-stack.test.ts" })).toEqual([]);
    expect(which({ testPathPattern: "test/modules/|test/hooks/" })).toEqual([]);
  });

  test("the waiting suites' own files or folders: just theirs", () => {
    expect(which({ testPathPattern: "test/ops/emulator.test.ts" })).toEqual(["emulator"]);
    expect(which({ testPathPattern: "teardown-moto" })).toEqual(["teardown"]);
    expect(which({ testPathPattern: "plan-guard" })).toEqual(["offline"]);
    expect(which({ testPathPattern: "test/ops/" })).toEqual(["emulator", "teardown"]);
    expect(which({ testPathPattern: "TEST/TOOLS/VALIDATE/validate.test.ts" })).toEqual(["offline"]);
  });

  test("no path filter, or one jest resolves from git or a previous run: all of them", () => {
    expect(which({ testPathPattern: "" })).toEqual(kinds);
    expect(which({})).toEqual(kinds);
    expect(which({ testPathPattern: "keys-stack", onlyChanged: true })).toEqual(kinds);
    expect(which({ testPathPattern: "keys-stack", findRelatedTests: true })).toEqual(kinds);
    expect(which({ testPathPattern: "keys-stack", onlyFailures: true })).toEqual(kinds);
    expect(which({ testPathPattern: "(unclosed" })).toEqual(kinds);
  });
});
