// The unit project's rule, enforced (jest.config.js `setupFilesAfterEnv` of "unit"): a unit suite
// runs in-process. While a unit suite runs, every way node:child_process starts a process throws,
// naming the suite, the command and where the suite belongs. Restored after the suite: the jest
// workers are shared by both projects, and an integration suite may run next in this worker.
const childProcess = require("node:child_process");

const METHODS = ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"];

/** The error a unit suite gets for starting `command`. */
function unitSuiteError(suite, method, command) {
  return new Error(
    `${suite} is a unit suite and started a child process (child_process.${method}: ${command}). Unit suites run in-process: ` +
      "a suite that needs Terraform, moto, npm, a shell, python, a pseudo-terminal or a built CLI belongs to the integration project: " +
      "list it in test/helpers/projects.js (docs/testing.md)",
  );
}

/** Replaces the starters of `cp` with ones that throw; returns a function that puts them back. */
function installGuard(cp, suite) {
  const saved = METHODS.map((m) => [m, cp[m]]);
  for (const m of METHODS) {
    cp[m] = function refused(command) {
      throw unitSuiteError(suite(), m, typeof command === "string" ? command.split(/\s/)[0] || "?" : String(command));
    };
  }
  return () => {
    for (const [m, f] of saved) cp[m] = f;
  };
}

/** The running suite's path from the repository root. */
function currentSuite() {
  const path = (typeof expect !== "undefined" && expect.getState().testPath) || "this suite";
  return path.replaceAll("\\", "/").replace(/^.*?\/(test\/)/, "$1");
}

if (typeof afterAll === "function") {
  const restore = installGuard(childProcess, currentSuite);
  afterAll(restore);
}

module.exports = { installGuard, unitSuiteError, METHODS };
