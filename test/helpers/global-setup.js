// Runs once per jest project before the test files (jest.config.js: "unit" and "integration",
// docs/testing.md); jest calls it only for the projects that have test files in the run.
// Both projects, once per run:
// 1. first of all, gives the run its own temporary directory (test/helpers/run-temp.js), which
//    the global teardown removes: a run leaves nothing in the system temp directory;
// 2. builds the bundles only if a source is newer (tools/build.mjs is make-like: ~0.3 s when
//    fresh): the hook bundle is a CDKTF asset the stacks reference, and the integration suites
//    run the built CLIs.
// The integration project only (a unit-project run starts nothing in the background):
// 3. unless CMK_SKIP_TERRAFORM is set, STARTS `npm run validate` (the real Terraform CLI and
//    provider, offline) over the shipped environments plus two prod variants (the CloudHSM first
//    apply, and `generated` trust), keeping the initialised scratch copies and prod's plans. It
//    runs `--plan-only` (plan runs validate's checks first; `.ci/run` runs the full
//    `npm run validate` too) and leaves out the variants' data stacks. It
//    runs in the background while the other suites run; the tests that need it wait for it
//    (test/helpers/offline.ts) instead of each running Terraform again: one provider start costs
//    ~2 s.
// 4. unless CMK_SKIP_TERRAFORM (without CMK_RUN_EMULATOR) or CMK_SKIP_MOTO is set, or moto is
//    not installed, STARTS the
//    emulator run (.build/emulator.js, tools/emulator/run.ts): dev's stacks applied with the real
//    Terraform against a moto_server on loopback, then planned again. It runs in the background
//    too; test/ops/emulator.test.ts waits for it, then runs status and doctor against that moto,
//    which the global teardown stops by its pid.
//    Beside it, on a moto of its own, the deploy test/ops/teardown-moto.test.ts tears down
//    (`--teardown`, tools/emulator/teardown-fixture.ts): that test then only runs the teardown.
const { execFile, execFileSync, spawn } = require("node:child_process");
const { mkdtempSync, openSync, readFileSync, writeFileSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

const { createRunTemp } = require("./run-temp");
const { waitingFor } = require("./projects");

const root = join(__dirname, "..", "..");

/** A copy of prod under another name (aliases, buckets renamed), with other trust settings and no XKS. */
function prodVariant(prod, name, trust) {
  const text = JSON.stringify(prod)
    .replaceAll("alias/prod/", `alias/${name}/`)
    .replaceAll("northwind-prod-", `northwind-${name}-`);
  const env = { ...JSON.parse(text), name, backend: { type: "local" } };
  env.cloudHsm.trust = trust;
  // What must be unique across environments, or is set by the tool itself, is renamed or dropped.
  env.cloudHsm.keyStoreName = `${name}-cloudhsm`;
  delete env.tags.Environment;
  delete env.xks;
  // Its XKS alarm thresholds go with it (validation refuses alarms.xks without xks).
  if (env.alarms) delete env.alarms.xks;
  env.keys = Object.fromEntries(Object.entries(env.keys).filter(([, k]) => k.store !== "xks"));
  env.data.buckets = {};
  // EBS default encryption is one setting per account and Region: prod (same account) has it.
  delete env.data.ebs;
  return env;
}

module.exports = async (globalConfig, projectConfig) => {
  // The teardown removes the run's directory after the last project's teardown (global-teardown.js).
  globalThis.__cmkProjects = (globalThis.__cmkProjects ?? 0) + 1;
  if (globalThis.__cmkProjects === 1) {
    // For `npm run bench -- --tests` (tools/bench/tests.ts): when each background run ended.
    globalThis.__cmkBackground = { start: Date.now(), runs: [] };
    createRunTemp();
    execFileSync(process.execPath, [join(root, "tools", "build.mjs")], { stdio: "inherit" });
  }
  if (projectConfig?.displayName?.name === "unit") return;
  // CMK_RUN_EMULATOR=1 with CMK_SKIP_TERRAFORM: the emulator run without the offline plans.
  if (!process.env.CMK_SKIP_TERRAFORM || process.env.CMK_RUN_EMULATOR) startEmulator(globalConfig);
  if (process.env.CMK_SKIP_TERRAFORM || !wanted(globalConfig, "offline")) return;
  startOffline();
};

/**
 * Whether a suite of this run may wait for the background run `kind` (test/helpers/projects.js
 * `waits`): `npm test -- <file>` of another suite starts none. Any selection jest makes from git
 * (--onlyChanged, --findRelatedTests, ...) starts them all.
 */
function wanted(globalConfig, kind) {
  const g = globalConfig ?? {};
  if (
    !g.testPathPattern ||
    g.findRelatedTests ||
    g.onlyChanged ||
    g.changedSince ||
    g.lastCommit ||
    g.onlyFailures ||
    g.watch ||
    g.watchAll
  )
    return true;
  let pattern;
  try {
    pattern = new RegExp(g.testPathPattern, "i");
  } catch {
    return true;
  }
  return waitingFor(kind).some((p) => pattern.test(join(root, p)));
}

/**
 * The offline plans (see 3. above). Returns at once: the environments are read (three `config`
 * runs, ~1 s) in the background too; a failure there is recorded as the run's exit, with the
 * message, for test/helpers/offline.ts to report.
 */
function startOffline() {
  globalThis.__cmkStopping = false;
  const work = mkdtempSync(join(tmpdir(), "cmk-jest-offline-"));
  const paths = {
    results: join(work, "results.json"),
    stdout: join(work, "validate.stdout"),
    stderr: join(work, "validate.stderr"),
    exit: join(work, "validate.exit"),
    cpu: join(work, "validate.cpu.json"),
  };
  process.env.CMK_OFFLINE = JSON.stringify(paths);
  const config = (name) =>
    new Promise((resolve, reject) =>
      execFile(process.execPath, [join(root, ".build", "config.js"), name], { encoding: "utf8" }, (e, out, err) =>
        e ? reject(new Error(`config ${name}: ${err || e.message}`)) : resolve(JSON.parse(out)),
      ),
    );
  const started = Promise.all([config("dev"), config("staging"), config("prod")]).then(([dev, staging, prod]) => {
    if (globalThis.__cmkStopping) return;
    const envs = [
      dev,
      staging,
      prod,
      prodVariant(prod, "first", { mode: "provided" }),
      prodVariant(prod, "gen", { mode: "generated" }),
    ];
    const envFile = join(work, "environments.json");
    writeFileSync(envFile, JSON.stringify(envs));
    const child = spawn(
      process.execPath,
      [
        ...cpuReport(),
        join(root, ".build", "validate.js"),
        "--keep",
        work,
        "--plan-only",
        "--only",
        "^(?!(first|gen)-data$)",
        "--save-plans",
        "^(prod-|first-keys$|staging-keys$)",
        "--results",
        paths.results,
      ],
      {
        cwd: root,
        env: { ...process.env, ENV_CONFIG: envFile, ...cpuEnv(paths) },
        stdio: ["ignore", openSync(paths.stdout, "w"), openSync(paths.stderr, "w")],
      },
    );
    child.on("exit", (code) => recordExit(paths.exit, code, paths.cpu));
    globalThis.__cmkOfflineChild = child;
  });
  started.catch((e) => {
    try {
      writeFileSync(paths.stderr, String(e.message));
    } catch {
      // removed with the run's temporary directory
    }
    recordExit(paths.exit, 1);
  });
  globalThis.__cmkOfflineStarting = started.catch(() => undefined);
}

/**
 * For `npm run bench -- --tests` only (CMK_BENCH_BACKGROUND set): the background run is started with
 * test/helpers/cpu-report.js preloaded, which writes its CPU seconds and its waited-for children's
 * (Terraform) to `paths.cpu` at exit.
 */
const benching = () => !!process.env.CMK_BENCH_BACKGROUND;
const cpuReport = () => (benching() ? ["-r", join(__dirname, "cpu-report.js")] : []);
const cpuEnv = (paths) => (benching() ? { CMK_CPU_FILE: paths.cpu } : {});

/** Records a background run's exit code (and, when benching, its CPU); its directory is gone when the run was stopped at teardown. */
function recordExit(file, code, cpuFile) {
  const name = file.replace(/^.*[\\/]/, "").replace(/\.exit$/, "");
  if (globalThis.__cmkBackground) {
    let cpuSeconds;
    try {
      const cpu = JSON.parse(readFileSync(cpuFile, "utf8"));
      cpuSeconds = cpu.own + (cpu.children ?? 0);
    } catch {
      // not benching, or the run was stopped before it wrote it
    }
    globalThis.__cmkBackground.runs.push({
      name,
      endedAfter: (Date.now() - globalThis.__cmkBackground.start) / 1000,
      exitCode: code,
      ...(cpuSeconds !== undefined ? { cpuSeconds } : {}),
    });
  }
  try {
    writeFileSync(file, String(code ?? 1));
  } catch {
    // removed with the run's temporary directory
  }
}

/** The emulator run and the teardown's deploy in the background (see 4. above), when moto is installed and a suite of the run waits for them. */
function startEmulator(globalConfig) {
  if (process.env.CMK_SKIP_MOTO) return;
  const emulatorWanted = wanted(globalConfig, "emulator");
  const teardownWanted = wanted(globalConfig, "teardown");
  if (!emulatorWanted && !teardownWanted) return;
  // Finds the modules without importing them (importing moto takes ~1.5 s).
  try {
    execFileSync(
      "python3",
      [
        "-c",
        'import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ("moto", "flask", "flask_cors")) else 1)',
      ],
      { stdio: "ignore", timeout: 20000 },
    );
  } catch {
    return;
  }
  const run = (name, results, extra) => {
    const work = mkdtempSync(join(tmpdir(), `cmk-jest-${name}-`));
    const paths = {
      work,
      results: join(work, results),
      moto: join(work, "moto.json"),
      stdout: join(work, `${name}.stdout`),
      stderr: join(work, `${name}.stderr`),
      exit: join(work, `${name}.exit`),
      cpu: join(work, `${name}.cpu.json`),
    };
    const args = [...cpuReport(), join(root, ".build", "emulator.js"), "dev", "--work", work, ...extra];
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...cpuEnv(paths) },
      stdio: ["ignore", openSync(paths.stdout, "w"), openSync(paths.stderr, "w")],
    });
    child.on("exit", (code) => recordExit(paths.exit, code, paths.cpu));
    return { child, paths };
  };
  if (emulatorWanted) {
    const emulator = run("emulator", "emulator.json", []);
    globalThis.__cmkEmulatorChild = emulator.child;
    process.env.CMK_EMULATOR = JSON.stringify(emulator.paths);
  }
  if (teardownWanted) {
    const teardown = run("teardown", "teardown.json", ["--teardown"]);
    globalThis.__cmkTeardownFixtureChild = teardown.child;
    process.env.CMK_TEARDOWN_FIXTURE = JSON.stringify(teardown.paths);
  }
}

module.exports.wanted = wanted;
