/**
 * Where secrets may go in the GitHub workflows, as a checker over parsed workflow files (used by
 * test/tools/workflow-secrets.test.ts on the real workflows and on crafted bad ones).
 *
 * Rules (docs/team-workflow.md, "Pull requests and deploys" and after):
 * 1. No `secrets.*` in a workflow-level or job-level `env` (every step of the job, `npm ci`'s
 *    install scripts included, would see it), nor in a step's `run` text (it would be expanded into
 *    the script before the shell runs).
 * 2. No secret, and no AWS session, on a step that installs packages (`npm ci`, `npm install`, ...),
 *    and no install after an AWS session was made in the same job.
 * 3. A step gets a secret only in its own `env`, or as `role-to-assume` of
 *    aws-actions/configure-aws-credentials, which must not export the session to the job's
 *    environment (`output-env-credentials: false`): the session reaches only the steps that name
 *    its outputs.
 * 4. Pull-request workflows (and every reusable workflow they call, with `secrets: inherit` or
 *    named secrets) get only the read-only plan role `AWS_PLAN_ROLE_*` and the plan-only
 *    `TF_API_TOKEN_PLAN`, and only on a read-only plan step (a plan, never an apply).
 * 5. Deploy credentials (`AWS_DEPLOY_ROLE_*`, `TF_API_TOKEN`) only in jobs that run in the gated
 *    GitHub environment (`environment: ${{ inputs.environment }}`), never in a `-plan` one.
 * 6. The XKS credential (`XKS_*`) only on the plan or apply step of a keys stack.
 * 7. No `pull_request_target` or `workflow_run` trigger: both run with the repository's secrets and
 *    a write token on behalf of code a pull request controls.
 * 8. `GITHUB_TOKEN` permissions: read-only at the workflow level; a job may write (`pull-requests`,
 *    `contents`, ...) only when it runs no repository code and no package (no checkout, no
 *    npm/npx/node/tools script: a process such code starts could read the job's token), and
 *    `id-token: write` only in a job that makes an AWS session with it.
 */

export interface Step {
  id?: string;
  name?: string;
  run?: string;
  uses?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
export interface Job {
  steps?: Step[];
  env?: Record<string, unknown>;
  environment?: string | { name?: string };
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: "inherit" | Record<string, unknown>;
  permissions?: unknown;
  [k: string]: unknown;
}
export interface Workflow {
  on?: unknown;
  env?: Record<string, unknown>;
  permissions?: unknown;
  jobs?: Record<string, Job>;
}

const SECRET_REF = /\bsecrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*(?:'([^']*)'|format\(\s*'([^']*)')?)/g;
const INSTALL = /\b(?:npm\s+(?:ci|install|i|add)\b|yarn(?:\s+install)?\b|pnpm\s+(?:install|i|add)\b|npx\s)/;
const AWS_OUTPUT = /steps\.([\w-]+)\.outputs\.aws-(?:access-key-id|secret-access-key|session-token)/;
/** A read-only plan: plans, shows or asks the workspace's mode; never applies. */
const PLAN_STEP = /(?:terraform\s+-chdir=\S+\s+(?:init|plan|show)\b|tfc-mode\b|tfc-plan\b[^\n]*--speculative)/;
const APPLYING = /\bapply\b|tfc-apply|apply-stack\.sh/;

/** The names of the secrets a value refers to (`format('X_{0}', ...)` gives `X_*`). */
export function secretNames(value: unknown): string[] {
  const text = typeof value === "string" ? value : JSON.stringify(value ?? "");
  const names: string[] = [];
  for (const m of text.matchAll(SECRET_REF))
    names.push(m[1] ?? m[2] ?? (m[3] !== undefined ? m[3].replace(/\{\d+\}/g, "*") : "<dynamic>"));
  return names;
}

function triggers(w: Workflow): string[] {
  const on = w.on;
  if (typeof on === "string") return [on];
  if (Array.isArray(on)) return on.map(String);
  if (on && typeof on === "object") return Object.keys(on);
  return [];
}

/** Scopes a permissions block writes (`write-all` writes every scope). */
function writes(permissions: unknown): string[] {
  if (permissions === "write-all") return ["*"];
  if (!permissions || typeof permissions !== "object") return [];
  return Object.entries(permissions as Record<string, unknown>)
    .filter(([, v]) => v === "write")
    .map(([k]) => k);
}
/** A step that runs code of the repository or of a package: a checkout, npm/npx/node, a repository script. */
const RUNS_CODE = /\b(?:npm|npx|node|yarn|pnpm)\b|(?:^|\s)\.?\/?(?:tools|scripts|bin)\//;

const isPullRequest = (t: string[]) => t.some((x) => x === "pull_request" || x === "pull_request_target");
const envName = (j: Job) => (typeof j.environment === "string" ? j.environment : j.environment?.name);
const localCall = (uses: string) => /^\.\/\.github\/workflows\/([\w.-]+\.ya?ml)$/.exec(uses)?.[1];

/**
 * Every rule broken, one line each (`<file>:<job>[:<step>]: ...`). `workflows` maps file names
 * (as in `.github/workflows/`) to parsed workflows; reusable workflows are checked on their own and
 * again, under the caller's triggers, for every caller that hands them secrets.
 */
export function secretProblems(workflows: Readonly<Record<string, Workflow>>): string[] {
  const problems: string[] = [];
  const check = (file: string, w: Workflow, pr: boolean, via: string) => {
    const where = (job: string, step?: string) => `${via}${file}:${job}${step !== undefined ? `:${step}` : ""}`;
    for (const n of secretNames(w.env))
      problems.push(`${via}${file}: workflow-level env reads secret ${n} (every step of every job would see it)`);
    for (const t of triggers(w).filter((x) => x === "pull_request_target" || x === "workflow_run"))
      problems.push(
        `${via}${file}: trigger ${t} runs with the repository's secrets and a write token for code a pull request controls: use pull_request`,
      );
    if (w.permissions === undefined)
      problems.push(`${via}${file}: no workflow-level permissions: set contents: read (the default token may write)`);
    for (const scope of writes(w.permissions))
      problems.push(
        `${via}${file}: workflow-level permissions write ${scope} (every job would get it): grant it on the one job that needs it`,
      );
    for (const [id, job] of Object.entries(w.jobs ?? {})) {
      for (const n of secretNames(job.env))
        problems.push(`${where(id)}: job-level env reads secret ${n} (every step, npm ci included, would see it)`);
      // A job's container or services (their env, credentials) reach every step too.
      for (const key of Object.keys(job).filter((k) => !["env", "steps", "secrets", "with", "if"].includes(k))) {
        for (const n of secretNames(job[key]))
          problems.push(`${where(id)}: secret ${n} in the job's ${key} (every step would see it)`);
      }
      for (const scope of writes(job.permissions)) {
        const steps = job.steps ?? [];
        if (scope === "id-token") {
          if (!steps.some((st) => st.uses?.startsWith("aws-actions/configure-aws-credentials")))
            problems.push(
              `${where(id)}: id-token: write without an AWS session step (anything in the job could mint the token)`,
            );
          continue;
        }
        const code = steps.find((st) => st.uses?.startsWith("actions/checkout") || RUNS_CODE.test(st.run ?? ""));
        if (code)
          problems.push(
            `${where(id)}: permissions write ${scope} in a job that runs repository or package code (${code.id ?? code.name ?? code.uses ?? "a step"}): post from a job that runs none`,
          );
      }
      const env = envName(job) ?? "";
      const gated = env !== "" && !/-plan$/.test(env);
      if (job.uses) {
        const callee = localCall(job.uses);
        const hands = job.secrets === "inherit" || (job.secrets && Object.keys(job.secrets).length > 0);
        if (hands && !callee) problems.push(`${where(id)}: hands secrets to ${job.uses}, which cannot be checked here`);
        if (hands && callee) {
          if (!workflows[callee]) problems.push(`${where(id)}: calls ${callee}, which does not exist`);
          else check(callee, workflows[callee], pr, `${via}${file}:${id} -> `);
        }
        for (const n of secretNames(job.with))
          problems.push(`${where(id)}: passes secret ${n} as an input (inputs are not masked): use secrets`);
        continue;
      }
      let session = "";
      (job.steps ?? []).forEach((s, i) => {
        const label = s.id ?? s.name ?? `step ${i + 1}`;
        const names = [...secretNames(s.env), ...secretNames(s.with)];
        const runText = s.run ?? "";
        for (const n of secretNames(runText))
          problems.push(`${where(id, label)}: secret ${n} expanded into the script`);
        if (INSTALL.test(runText)) {
          if (names.length)
            problems.push(`${where(id, label)}: installs packages with secret ${names.join(", ")} in its environment`);
          if (AWS_OUTPUT.test(JSON.stringify(s.env ?? {})))
            problems.push(`${where(id, label)}: installs packages with an AWS session in its environment`);
          if (session)
            problems.push(
              `${where(id, label)}: installs packages after the AWS session of step ${session} (its install scripts would run with it)`,
            );
        }
        const aws = s.uses?.startsWith("aws-actions/configure-aws-credentials");
        if (aws) {
          session = label;
          if (String(s.with?.["output-env-credentials"]) !== "false")
            problems.push(
              `${where(id, label)}: exports the AWS session to every later step of the job: set output-env-credentials: false and hand its outputs to the one step that needs them`,
            );
        }
        for (const [k, v] of Object.entries(s.with ?? {})) {
          const ns = secretNames(v);
          if (ns.length && !(aws && k === "role-to-assume"))
            problems.push(`${where(id, label)}: secret ${ns.join(", ")} in with.${k}: put it in the step's env`);
        }
        for (const n of names) {
          if (pr) {
            const allowed =
              (/^AWS_PLAN_ROLE_/.test(n) && aws) ||
              (n === "TF_API_TOKEN_PLAN" && PLAN_STEP.test(runText) && !APPLYING.test(runText));
            if (!allowed)
              problems.push(
                `${where(id, label)}: a pull-request job reads secret ${n}: only AWS_PLAN_ROLE_* (role-to-assume) and TF_API_TOKEN_PLAN on a read-only plan step`,
              );
          }
          if ((/^AWS_DEPLOY_ROLE_/.test(n) || n === "TF_API_TOKEN") && !gated)
            problems.push(
              `${where(id, label)}: deploy credential ${n} outside the gated GitHub environment (job environment: ${env || "none"})`,
            );
          if (/^XKS_/.test(n) && !/-keys\b/.test(runText))
            problems.push(
              `${where(id, label)}: XKS credential ${n} on a step that does not plan or apply a keys stack`,
            );
        }
      });
    }
  };
  for (const [file, w] of Object.entries(workflows)) {
    const t = triggers(w);
    // A reusable workflow is checked through its callers for their triggers; on its own it gets the
    // rules that hold everywhere.
    check(file, w, isPullRequest(t), "");
  }
  return [...new Set(problems)];
}
