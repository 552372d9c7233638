/**
 * No false green: `npm run validate` where it cannot run Terraform (here: a `terraform` that does
 * not answer `terraform version -json`) fails under `--require-terraform` and whenever `CI` is set,
 * and skips (exit 0, saying nothing was validated) only on a laptop.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { terraformRequired } from "../../../tools/validate/cli";

const root = join(__dirname, "..", "..", "..");
const work = mkdtempSync(join(tmpdir(), "cmk-require-tf-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const broken = join(work, "terraform");
writeFileSync(broken, "#!/bin/sh\nexit 1\n");
chmodSync(broken, 0o755);

function validate(args: string[], ci?: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, TERRAFORM_BIN: broken, PATH: work, HOME: work };
  delete env.CI;
  if (ci !== undefined) env.CI = ci;
  const r = spawnSync(process.execPath, [join(root, ".build", "validate.js"), ...args], {
    cwd: root,
    encoding: "utf8",
    env,
  });
  return { code: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

const failedLine = `validate: FAILED: Terraform validation could not run: ${broken} did not answer \`terraform version -json\` (build the provider mirror as the README says (Development > Offline Terraform: terraform providers mirror), or pass TF_PLUGIN_MIRROR=<dir>)`;

test.each([
  ["--require-terraform", ["--require-terraform"], undefined],
  ["CI=true", [], "true"],
  ["CI=1", [], "1"],
])("fails (exit 2, one line on stderr) with %s", (_what, args, ci) => {
  expect(validate(args, ci)).toEqual({ code: 2, stdout: "", stderr: failedLine });
});

test.each([
  ["no CI", undefined],
  ["CI=false", "false"],
  ["CI=", ""],
])("on a laptop (%s) it skips, saying nothing was validated", (_what, ci) => {
  const r = validate([], ci);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(
    `validate: SKIPPED: ${broken} did not answer \`terraform version -json\` (nothing was validated; build the provider mirror as the README says (Development > Offline Terraform: terraform providers mirror), or pass TF_PLUGIN_MIRROR=<dir>)`,
  );
});

test("terraformRequired: the flag, or CI set to anything but empty, 0 or false", () => {
  expect(terraformRequired(true, {})).toBe(true);
  expect(terraformRequired(undefined, { CI: "true" })).toBe(true);
  expect(terraformRequired(undefined, { CI: "TRUE" })).toBe(true);
  expect(terraformRequired(undefined, { CI: "False" })).toBe(false);
  expect(terraformRequired(undefined, { CI: " 0 " })).toBe(false);
  expect(terraformRequired(undefined, {})).toBe(false);
});

test(".ci/run and the pull-request workflow require Terraform", () => {
  const run = spawnSync("grep", ["-c", "npm run validate -- --require-terraform", join(root, ".ci", "run")], {
    encoding: "utf8",
  });
  expect(run.stdout.trim()).toBe("1");
  const plan = spawnSync(
    "grep",
    ["-c", "npm run validate -- --require-terraform", join(root, ".github", "workflows", "plan.yml")],
    { encoding: "utf8" },
  );
  expect(plan.stdout.trim()).toBe("1");
});
