// Runs once before the test files:
// 1. builds the bundles (the hook bundle is a CDKTF asset the stacks reference);
// 2. unless CMK_SKIP_TERRAFORM is set, runs `npm run validate` once (the real Terraform CLI and
//    provider, offline) over the shipped environments plus two prod variants (the CloudHSM first
//    apply, and `generated` trust), keeping the initialised scratch copies and prod's plans. The
//    tests that need real plans read them through CMK_OFFLINE_RESULTS instead of each running
//    Terraform again: one provider start costs ~2 s, and `npm test` has a 60 s budget on 2 cores.
const { execFileSync, spawnSync } = require("node:child_process");
const { mkdtempSync, writeFileSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

const root = join(__dirname, "..", "..");

function config(name) {
  return JSON.parse(execFileSync(process.execPath, [join(root, ".build", "config.js"), name], { encoding: "utf8" }));
}

/** A copy of prod under another name (aliases, buckets renamed), with other trust settings and no XKS. */
function prodVariant(name, trust) {
  const prod = config("prod");
  const text = JSON.stringify(prod).replaceAll("alias/prod/", `alias/${name}/`).replaceAll("northwind-prod-", `northwind-${name}-`);
  const env = { ...JSON.parse(text), name, backend: { type: "local" } };
  env.cloudHsm.trust = trust;
  delete env.xks;
  env.keys = Object.fromEntries(Object.entries(env.keys).filter(([, k]) => k.store !== "xks"));
  env.data.buckets = {};
  return env;
}

module.exports = async () => {
  execFileSync(process.execPath, [join(root, "tools", "build.mjs")], { stdio: "inherit" });
  if (process.env.CMK_SKIP_TERRAFORM) {
    process.env.CMK_OFFLINE_RESULTS = JSON.stringify({ skipped: "CMK_SKIP_TERRAFORM is set" });
    return;
  }
  const work = mkdtempSync(join(tmpdir(), "cmk-jest-offline-"));
  const envs = [config("dev"), config("staging"), config("prod"), prodVariant("first", { mode: "provided" }), prodVariant("gen", { mode: "generated" })];
  const envFile = join(work, "environments.json");
  writeFileSync(envFile, JSON.stringify(envs));
  const results = join(work, "results.json");
  process.stdout.write("\nglobal setup: npm run validate (offline Terraform) for dev, staging, prod and two prod variants\n");
  const r = spawnSync(process.execPath, [join(root, ".build", "validate.js"), "--keep", work, "--save-plans", "^(prod-|first-keys$)", "--results", results], {
    cwd: root,
    env: { ...process.env, ENV_CONFIG: envFile },
    encoding: "utf8",
  });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  process.env.CMK_OFFLINE_RESULTS = results;
  process.env.CMK_OFFLINE_STDOUT = join(work, "validate.stdout");
  writeFileSync(process.env.CMK_OFFLINE_STDOUT, r.stdout);
};
