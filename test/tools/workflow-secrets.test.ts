/**
 * No secret where untrusted code runs: the workflows, parsed, against the rules in
 * test/helpers/workflow-secrets.ts, and crafted workflows that break each rule (so the checker is
 * shown to catch them), `secrets: inherit` into a reusable workflow included.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { secretNames, secretProblems, type Workflow } from "../helpers/workflow-secrets";

const dir = join(__dirname, "..", "..", ".github", "workflows");
const real = Object.fromEntries(
  readdirSync(dir)
    .filter((f) => f.endsWith(".yml"))
    .map((f) => [f, parse(readFileSync(join(dir, f), "utf8")) as Workflow]),
);

test("the workflows break none of the rules", () => {
  expect(secretProblems(real)).toEqual([]);
});

test("secret names are read from every way of writing them", () => {
  expect(secretNames("${{ secrets.TF_API_TOKEN }}")).toEqual(["TF_API_TOKEN"]);
  expect(secretNames("${{ secrets['XKS_ACCESS_KEY_ID_DEV'] }}")).toEqual(["XKS_ACCESS_KEY_ID_DEV"]);
  expect(secretNames("${{ secrets[format('AWS_DEPLOY_ROLE_{0}', inputs.secret_suffix)] }}")).toEqual([
    "AWS_DEPLOY_ROLE_*",
  ]);
  expect(secretNames("${{ secrets[matrix.name] }}")).toEqual(["<dynamic>"]);
  expect(secretNames({ a: "x", b: "${{ secrets.A }} ${{ secrets.B }}" })).toEqual(["A", "B"]);
});

const checkout = { uses: "actions/checkout@x" };
const readOnly = { permissions: { contents: "read" } };
const pr = { on: { pull_request: { branches: ["main"] } }, ...readOnly };
const push = { on: { push: { branches: ["main"] } }, ...readOnly };
const awsPlan = {
  id: "aws",
  uses: "aws-actions/configure-aws-credentials@x",
  with: {
    "role-to-assume": "${{ secrets[format('AWS_PLAN_ROLE_{0}', matrix.target.secretSuffix)] }}",
    "output-env-credentials": false,
  },
};
const planStep = {
  run: 'terraform -chdir="$d" plan -out=p',
  env: {
    TF_TOKEN_app_terraform_io: "${{ secrets.TF_API_TOKEN_PLAN }}",
    AWS_ACCESS_KEY_ID: "${{ steps.aws.outputs.aws-access-key-id }}",
  },
};

test.each<[string, Record<string, Workflow>, string[]]>([
  [
    "a secret in a workflow-level env",
    { "a.yml": { ...push, env: { T: "${{ secrets.TF_API_TOKEN }}" }, jobs: {} } },
    ["a.yml: workflow-level env reads secret TF_API_TOKEN (every step of every job would see it)"],
  ],
  [
    "a secret in a job-level env",
    {
      "a.yml": {
        ...push,
        jobs: {
          j: { environment: "${{ inputs.environment }}", env: { T: "${{ secrets.TF_API_TOKEN }}" }, steps: [checkout] },
        },
      },
    },
    ["a.yml:j: job-level env reads secret TF_API_TOKEN (every step, npm ci included, would see it)"],
  ],
  [
    "a secret on the npm ci step",
    {
      "a.yml": {
        ...push,
        jobs: {
          j: {
            environment: "${{ inputs.environment }}",
            steps: [{ name: "install", run: "npm ci", env: { NODE_AUTH_TOKEN: "${{ secrets.NPM_TOKEN }}" } }],
          },
        },
      },
    },
    ["a.yml:j:install: installs packages with secret NPM_TOKEN in its environment"],
  ],
  [
    "npm install after the AWS session",
    { "a.yml": { ...push, jobs: { j: { steps: [awsPlan, { name: "late", run: "npm install left-pad" }] } } } },
    ["a.yml:j:late: installs packages after the AWS session of step aws (its install scripts would run with it)"],
  ],
  [
    "an AWS session exported to the whole job",
    {
      "a.yml": {
        ...push,
        jobs: { j: { steps: [{ ...awsPlan, with: { "role-to-assume": "${{ secrets.AWS_PLAN_ROLE_DEV }}" } }] } },
      },
    },
    [
      "a.yml:j:aws: exports the AWS session to every later step of the job: set output-env-credentials: false and hand its outputs to the one step that needs them",
    ],
  ],
  [
    "a secret expanded into a script",
    {
      "a.yml": { ...push, jobs: { j: { steps: [{ name: "s", run: "curl -H ${{ secrets.TF_API_TOKEN_PLAN }} x" }] } } },
    },
    ["a.yml:j:s: secret TF_API_TOKEN_PLAN expanded into the script"],
  ],
  [
    "a pull-request job with the deploy token on an apply",
    {
      "p.yml": {
        ...pr,
        jobs: {
          j: {
            steps: [
              {
                name: "apply",
                run: "tools/ci/apply-stack.sh dev-keys",
                env: { TF_TOKEN_app_terraform_io: "${{ secrets.TF_API_TOKEN }}" },
              },
            ],
          },
        },
      },
    },
    [
      "p.yml:j:apply: a pull-request job reads secret TF_API_TOKEN: only AWS_PLAN_ROLE_* (role-to-assume) and TF_API_TOKEN_PLAN on a read-only plan step",
      "p.yml:j:apply: deploy credential TF_API_TOKEN outside the gated GitHub environment (job environment: none)",
    ],
  ],
  [
    "a pull-request job with the XKS credential on its plan",
    {
      "p.yml": {
        ...pr,
        jobs: {
          j: {
            steps: [
              awsPlan,
              {
                ...planStep,
                name: "plan",
                run: 'terraform -chdir="cdktf.out/stacks/dev-keys" plan',
                env: { ...planStep.env, TF_VAR_x: "${{ secrets.XKS_SECRET_ACCESS_KEY_DEV }}" },
              },
            ],
          },
        },
      },
    },
    [
      "p.yml:j:plan: a pull-request job reads secret XKS_SECRET_ACCESS_KEY_DEV: only AWS_PLAN_ROLE_* (role-to-assume) and TF_API_TOKEN_PLAN on a read-only plan step",
    ],
  ],
  [
    "the plan token on a pull-request step that is not a plan",
    {
      "p.yml": {
        ...pr,
        jobs: { j: { steps: [{ name: "test", run: "npm test", env: { T: "${{ secrets.TF_API_TOKEN_PLAN }}" } }] } },
      },
    },
    [
      "p.yml:j:test: a pull-request job reads secret TF_API_TOKEN_PLAN: only AWS_PLAN_ROLE_* (role-to-assume) and TF_API_TOKEN_PLAN on a read-only plan step",
    ],
  ],
  [
    "`secrets: inherit` from a pull request into a reusable workflow that applies",
    {
      "p.yml": { ...pr, jobs: { call: { uses: "./.github/workflows/r.yml", secrets: "inherit" } } },
      "r.yml": {
        on: { workflow_call: {} },
        ...readOnly,
        jobs: {
          deploy: {
            environment: "${{ inputs.environment }}",
            steps: [
              { name: "apply", run: "tools/ci/apply-stack.sh dev-keys", env: { T: "${{ secrets.TF_API_TOKEN }}" } },
            ],
          },
        },
      },
    },
    [
      "p.yml:call -> r.yml:deploy:apply: a pull-request job reads secret TF_API_TOKEN: only AWS_PLAN_ROLE_* (role-to-assume) and TF_API_TOKEN_PLAN on a read-only plan step",
    ],
  ],
  [
    "`secrets: inherit` into a reusable workflow that sets them on a job",
    {
      "d.yml": { ...push, jobs: { call: { uses: "./.github/workflows/r.yml", secrets: "inherit" } } },
      "r.yml": {
        on: { workflow_call: {} },
        ...readOnly,
        jobs: { deploy: { env: { T: "${{ secrets.TF_API_TOKEN }}" }, steps: [checkout] } },
      },
    },
    [
      "d.yml:call -> r.yml:deploy: job-level env reads secret TF_API_TOKEN (every step, npm ci included, would see it)",
      "r.yml:deploy: job-level env reads secret TF_API_TOKEN (every step, npm ci included, would see it)",
    ],
  ],
  [
    "secrets handed to a remote reusable workflow",
    { "d.yml": { ...push, jobs: { call: { uses: "someone/else/.github/workflows/x.yml@v1", secrets: "inherit" } } } },
    ["d.yml:call: hands secrets to someone/else/.github/workflows/x.yml@v1, which cannot be checked here"],
  ],
  [
    "the deploy role in an ungated plan job",
    {
      "d.yml": {
        ...push,
        jobs: {
          plan: {
            environment: "${{ inputs.environment }}-plan",
            steps: [
              {
                ...awsPlan,
                with: {
                  ...awsPlan.with,
                  "role-to-assume": "${{ secrets[format('AWS_DEPLOY_ROLE_{0}', inputs.secret_suffix)] }}",
                },
              },
            ],
          },
        },
      },
    },
    [
      "d.yml:plan:aws: deploy credential AWS_DEPLOY_ROLE_* outside the gated GitHub environment (job environment: ${{ inputs.environment }}-plan)",
    ],
  ],
  [
    "the XKS credential on the data stack's apply",
    {
      "d.yml": {
        ...push,
        jobs: {
          apply: {
            environment: "${{ inputs.environment }}",
            steps: [
              {
                name: "apply",
                run: 'tools/ci/apply-stack.sh "${ENV_NAME}-data"',
                env: { X: "${{ secrets[format('XKS_ACCESS_KEY_ID_{0}', inputs.secret_suffix)] }}" },
              },
            ],
          },
        },
      },
    },
    ["d.yml:apply:apply: XKS credential XKS_ACCESS_KEY_ID_* on a step that does not plan or apply a keys stack"],
  ],
  [
    "a pull_request_target trigger",
    { "t.yml": { on: { pull_request_target: {} }, ...readOnly, jobs: {} } },
    [
      "t.yml: trigger pull_request_target runs with the repository's secrets and a write token for code a pull request controls: use pull_request",
    ],
  ],
  [
    "a workflow_run trigger",
    { "t.yml": { on: ["workflow_run"], ...readOnly, jobs: {} } },
    [
      "t.yml: trigger workflow_run runs with the repository's secrets and a write token for code a pull request controls: use pull_request",
    ],
  ],
  [
    "no workflow-level permissions",
    { "a.yml": { on: { push: {} }, jobs: {} } },
    ["a.yml: no workflow-level permissions: set contents: read (the default token may write)"],
  ],
  [
    "write-all at the workflow level",
    { "a.yml": { on: { push: {} }, permissions: "write-all", jobs: {} } },
    ["a.yml: workflow-level permissions write * (every job would get it): grant it on the one job that needs it"],
  ],
  [
    "a write token in a job that runs the repository's code",
    {
      "p.yml": {
        ...pr,
        jobs: {
          comment: {
            permissions: { "pull-requests": "write" },
            steps: [checkout, { name: "render", run: "npm run -s ci -- comment" }, { uses: "actions/github-script@x" }],
          },
        },
      },
    },
    [
      "p.yml:comment: permissions write pull-requests in a job that runs repository or package code (actions/checkout@x): post from a job that runs none",
    ],
  ],
  [
    "a write token in a job that runs a repository script without a checkout step",
    {
      "p.yml": {
        ...pr,
        jobs: { post: { permissions: { contents: "write" }, steps: [{ name: "s", run: "./tools/ci/report.sh" }] } },
      },
    },
    [
      "p.yml:post: permissions write contents in a job that runs repository or package code (s): post from a job that runs none",
    ],
  ],
  [
    "id-token: write without an AWS session",
    {
      "p.yml": {
        ...pr,
        jobs: { test: { permissions: { "id-token": "write" }, steps: [{ name: "t", run: "npm test" }] } },
      },
    },
    ["p.yml:test: id-token: write without an AWS session step (anything in the job could mint the token)"],
  ],
])("catches %s", (_what, workflows, expected) => {
  expect(secretProblems(workflows)).toEqual(expected);
});

test("the real pull-request workflow reads only the plan role and the plan token, on its plan steps", () => {
  const plan = real["plan.yml"];
  const uses: string[] = [];
  for (const [id, job] of Object.entries(plan.jobs ?? {}))
    for (const s of job.steps ?? [])
      for (const n of [...secretNames(s.env), ...secretNames(s.with)]) uses.push(`${id}:${s.id ?? s.name}:${n}`);
  expect(uses.sort()).toEqual([
    "plan:aws:AWS_PLAN_ROLE_*",
    "plan:mode:TF_API_TOKEN_PLAN",
    "plan:plan the keys stack, then the data stack unless it must wait for the keys:TF_API_TOKEN_PLAN",
  ]);
});

test("the deploy hands the XKS credential only to the keys stack's plan and apply steps, and the deploy credentials only to the gated apply jobs", () => {
  const steps: string[] = [];
  for (const [id, job] of Object.entries(real["deploy-environment.yml"].jobs ?? {}))
    for (const s of job.steps ?? [])
      for (const n of [...secretNames(s.env), ...secretNames(s.with)])
        if (/^(XKS_|AWS_DEPLOY|TF_API_TOKEN$)/.test(n)) steps.push(`${id}:${s.run ?? s.id}:${n}`);
  expect(steps.sort()).toEqual(
    [
      "apply-data:aws:AWS_DEPLOY_ROLE_*",
      'apply-data:tools/ci/apply-stack.sh "${ENV_NAME}-data":TF_API_TOKEN',
      "apply-keys:aws:AWS_DEPLOY_ROLE_*",
      'apply-keys:tools/ci/apply-stack.sh "${ENV_NAME}-keys":TF_API_TOKEN',
      'apply-keys:tools/ci/apply-stack.sh "${ENV_NAME}-keys":XKS_ACCESS_KEY_ID_*',
      'apply-keys:tools/ci/apply-stack.sh "${ENV_NAME}-keys":XKS_SECRET_ACCESS_KEY_*',
      'plan-keys:tools/ci/plan-stack.sh "${ENV_NAME}-keys":XKS_ACCESS_KEY_ID_*',
      'plan-keys:tools/ci/plan-stack.sh "${ENV_NAME}-keys":XKS_SECRET_ACCESS_KEY_*',
    ].sort(),
  );
});
