// Runs once per jest project after the test files (as global-setup.js does before them).
// Stops the background offline Terraform run if a filtered test run finished before it, and
// removes its scratch directory (kept with CMK_KEEP_WORK=1, for a look at the plans); stops the
// emulator run and its moto_server; then, after the last project's teardown, removes this run's
// temporary directory with everything the tests left in it (test/helpers/run-temp.js).
const { existsSync, readFileSync, rmSync, writeFileSync } = require("node:fs");
const { dirname } = require("node:path");
const { removeRunTemp } = require("./run-temp");

module.exports = async () => {
  // The offline run may still be reading the environments (global-setup.js): it then starts nothing.
  globalThis.__cmkStopping = true;
  await globalThis.__cmkOfflineStarting;
  const child = globalThis.__cmkOfflineChild;
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
  }
  await stopEmulator("CMK_EMULATOR", globalThis.__cmkEmulatorChild);
  await stopEmulator("CMK_TEARDOWN_FIXTURE", globalThis.__cmkTeardownFixtureChild);
  // Only what this process's global setup started: a jest run started by a test (run-temp.test.ts)
  // inherits the variables of the outer run and must not stop its emulators or remove its files.
  if (child && process.env.CMK_OFFLINE && !process.env.CMK_KEEP_WORK) {
    const { results } = JSON.parse(process.env.CMK_OFFLINE);
    rmSync(dirname(results), { recursive: true, force: true });
  }
  globalThis.__cmkOfflineChild = undefined;
  globalThis.__cmkEmulatorChild = undefined;
  globalThis.__cmkTeardownFixtureChild = undefined;
  globalThis.__cmkOfflineStarting = undefined;
  globalThis.__cmkProjects = (globalThis.__cmkProjects ?? 1) - 1;
  if (globalThis.__cmkProjects > 0) return;
  removeRunTemp();
  // `npm run bench -- --tests` (tools/bench/tests.ts): when each background run ended.
  const bench = process.env.CMK_BENCH_BACKGROUND;
  if (bench && globalThis.__cmkBackground?.runs.length)
    writeFileSync(bench, JSON.stringify(globalThis.__cmkBackground.runs));
};

/**
 * The emulator run, or the teardown test's deploy (global-setup.js): stops it if still running, then its moto_server by the
 * process group id it recorded (moto.json; the run started that group), never by name.
 */
async function stopEmulator(variable, child) {
  if (!child || !process.env[variable]) return;
  const paths = JSON.parse(process.env[variable]);
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
  }
  if (existsSync(paths.moto)) {
    const { pid } = JSON.parse(readFileSync(paths.moto, "utf8"));
    if (Number.isInteger(pid) && pid > 1) {
      recordMotoCpu(variable, pid);
      try {
        process.kill(-pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
  }
  if (!process.env.CMK_KEEP_WORK) rmSync(paths.work, { recursive: true, force: true });
}

/**
 * `npm run bench -- --tests`: moto_server is no waited-for child of anything (it outlives the run that
 * started it), so its CPU is read from /proc before it is stopped and added to that run's figures.
 */
function recordMotoCpu(variable, pid) {
  if (!process.env.CMK_BENCH_BACKGROUND || !globalThis.__cmkBackground) return;
  const name = variable === "CMK_EMULATOR" ? "emulator" : "teardown";
  const run = globalThis.__cmkBackground.runs.find((r) => r.name === name);
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime (fields 14 and 15) in USER_HZ (100 on Linux).
    if (run) run.motoCpuSeconds = (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    // no /proc, or moto already gone
  }
}
