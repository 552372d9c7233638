// One temporary directory per `npm test` run, and every temporary file of the run inside it.
// cdktf's `Testing.app()` / `Testing.fullSynth()` make a `cdktf.outdir.*` folder per call and never
// remove it, tests and tools make scratch directories, child processes (Terraform, the CLIs)
// make their own: rather than chasing each source, the global setup points TMPDIR (TMP and TEMP
// on Windows: what `os.tmpdir()` reads) at a fresh `cmk-jest-run-*` directory before any test or
// worker starts, and the global teardown removes that directory, and only it: another run's
// folders, and anything else in the system temp directory, are never touched.
const { mkdtempSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join, relative, isAbsolute } = require("node:path");

const VARS = ["TMPDIR", "TMP", "TEMP"];
const PREFIX = "cmk-jest-run-";

/** Makes this run's directory in the system temp directory and points `os.tmpdir()` at it. */
function createRunTemp(env = process.env, system = tmpdir()) {
  const dir = mkdtempSync(join(system, PREFIX));
  env.CMK_SYSTEM_TMP = system;
  env.CMK_RUN_TMP = dir;
  for (const v of VARS) env[v] = dir;
  return dir;
}

/**
 * Removes this run's directory (kept with CMK_KEEP_WORK=1) and puts the variables back. Refuses
 * anything that is not a `cmk-jest-run-*` directory directly in the system temp directory.
 */
function removeRunTemp(env = process.env, log = (l) => process.stderr.write(`${l}\n`)) {
  const dir = env.CMK_RUN_TMP;
  const system = env.CMK_SYSTEM_TMP;
  if (!dir || !system) return undefined;
  const rel = relative(system, dir);
  if (isAbsolute(rel) || rel.includes("/") || rel.includes("\\") || !rel.startsWith(PREFIX))
    throw new Error(`run-temp: refusing to remove ${dir}: not a ${PREFIX}* directory in ${system}`);
  if (env.CMK_KEEP_WORK) log(`kept this run's temporary files in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
  for (const v of VARS) env[v] = system;
  delete env.CMK_RUN_TMP;
  return dir;
}

module.exports = { createRunTemp, removeRunTemp, PREFIX };
