// The two jest projects `npm test` runs (jest.config.js, docs/testing.md):
// - "unit": every suite runs in-process. No child process of any kind (Terraform, moto, npm, a
//   shell, python, a pseudo-terminal, not even `node .build/...`), no background run: a unit-project
//   run cannot start one (test/helpers/no-child-process.js makes child_process throw).
// - "integration": the suites listed below, each with why it is there, plus their global setup's
//   background runs (the offline Terraform plans, the emulator runs against moto).
// A suite is classified by its path here, never by moving it. A suite that starts a process and
// is not listed fails in the unit project with a message naming this file.

/**
 * Integration suites: path (from the repository root) -> what it starts. `waits` names the global
 * setup's background run the suite waits for: "offline" (the Terraform plans), "emulator" (dev
 * applied to moto) or "teardown" (the teardown's deploy to moto). The global setup starts a run
 * only when a suite of the run waits for it; the sequencer (test/helpers/sequencer.js) runs those
 * suites last, so no worker sits waiting while there is other work.
 */
const INTEGRATION = {
  // Terraform: the real CLI and provider, offline.
  "test/modules/keystores/xks-credential-plan.test.ts": { starts: "terraform init/plan/apply" },
  "test/modules/cloudhsm/kmsuser-secret-tag.test.ts": { starts: "terraform init/apply" },
  "test/modules/cloudhsm/restored-cluster-plan.test.ts": { starts: "terraform init/plan" },
  "test/modules/network/on-premises-route-checks.test.ts": { starts: "terraform console" },
  "test/tools/validate/run-offline.test.ts": { starts: "terraform plan on tiny stacks" },
  "test/tools/terraform/lock-init.test.ts": { starts: "terraform init (dependency lock files)" },
  "test/tools/terraform/timeout.test.ts": { starts: "a stand-in terraform that hangs" },
  "test/ops/drift.test.ts": { starts: "a stand-in terraform (shell script)" },
  "test/ops/teardown-runner-process.test.ts": { starts: "a stand-in terraform (shell script)" },
  "test/tools/validate/validate.test.ts": { starts: "nothing itself", waits: "offline" },
  "test/packages/plan-guard/real-plans.test.ts": { starts: "terraform plan/show/providers schema", waits: "offline" },
  "test/packages/plan-guard/real-first-plans.test.ts": { starts: "nothing itself", waits: "offline" },
  "test/packages/plan-guard/real-staging.test.ts": { starts: "nothing itself", waits: "offline" },
  // moto_server, and Terraform against it.
  "test/ops/emulator.test.ts": { starts: "terraform plan against moto", waits: "emulator" },
  "test/ops/teardown-moto.test.ts": { starts: "terraform destroy against moto", waits: "teardown" },
  "test/ops/moto-harness.test.ts": { starts: "moto_server" },
  "test/tools/state-bucket/moto.test.ts": { starts: "moto_server" },
  // npm, a shell, python, a pseudo-terminal.
  "test/packages/pack.test.ts": { starts: "npm pack, npm install, npx" },
  "test/hooks/cli-password-prompt.test.ts": { starts: "bash, python3 (a pseudo-terminal)" },
  "test/tools/workflows.test.ts": { starts: "bash (the workflow scripts), node .build/main.js and ci.js" },
  "test/tools/build.test.ts": { starts: "node -e, python3 (unzip)" },
  "test/tools/validate/require-terraform.test.ts": { starts: "node .build/validate.js, grep" },
  "test/run-temp.test.ts": { starts: "a nested jest run" },
  "test/tools/eslint-rules/package-boundaries.test.ts": {
    starts: "node (ESLint on the repository's own config, as an ES module)",
  },
  // The built command-line tools, run as a user runs them (node .build/<tool>.js).
  "test/stacks/main-cli.test.ts": { starts: "node .build/main.js, node .build/config.js" },
  "test/stacks/mutation.test.ts": { starts: "node .build/main.js" },
  "test/stacks/compliance-report.test.ts": { starts: "node .build/main.js" },
  "test/tools/ci/ci-cli.test.ts": { starts: "node .build/ci.js, node .build/main.js" },
  "test/tools/ci/ci-tfc.test.ts": {
    starts: "tar (tfc-plan packs the configuration it uploads to the loopback Terraform Cloud)",
  },
  "test/tools/deploy/deploy.test.ts": {
    starts: "a stand-in terraform (shell script) in nearly every test, node .build/deploy.js",
  },
  "test/tools/state-bucket/state-bucket-cli.test.ts": { starts: "node .build/state-bucket.js" },
  "test/tools/node20-output.test.ts": { starts: "the hook and xks-check bundles" },
  "test/tools/test-only-packages.test.ts": { starts: "node (the build's plugin)" },
  "test/tools/bench/cpu-report.test.ts": { starts: "node with the bench's CPU report preloaded, and a node child" },
  "test/hooks/contract-bundle.test.ts": {
    starts: "esbuild's service process (bundles hooks/contract.ts to list what it loads)",
  },
  "test/packages/xks-check/cli.test.ts": { starts: "node .build/xks-check.js" },
  "test/tools/cdktn/synth-cdktn.test.ts": {
    starts: "node tools/cdktn/build.mjs (esbuild), node .build/synth-cdktn.js",
  },
  "test/packages/xks-check/environment-file.test.ts": { starts: "node .build/xks-check.js, node .build/config.js" },
};

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** jest path patterns matching exactly the listed files (either path separator). */
const integrationPatterns = Object.keys(INTEGRATION).map(
  (p) => `<rootDir>/${p.split("/").map(escapeRegExp).join("[\\\\/]")}$`,
);
/** The listed suites that wait for a background run. */
const waiting = Object.entries(INTEGRATION)
  .filter(([, v]) => v.waits)
  .map(([p]) => p);
/** The suites that wait for the background run `kind`. */
const waitingFor = (kind) => waiting.filter((p) => INTEGRATION[p].waits === kind);

module.exports = { INTEGRATION, integrationPatterns, waiting, waitingFor };
