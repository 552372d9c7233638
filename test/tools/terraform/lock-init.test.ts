/**
 * How the committed dependency lock files behave in a real `terraform init` (the CLI and the
 * mirrored provider, offline), and why `npm run validate` plans without them:
 * - a lock entry without hashes (what terraform-locks/ holds: no registry here to take them from)
 *   pins the version: init installs exactly it and records the package's hash for the platform;
 * - a synthesized stack's directory with its lock (6.25.0, which the mirror lacks) cannot be
 *   initialised offline; the offline copy (prepareScratch) leaves the lock out and requires the
 *   mirrored version instead, so validate plans with the mirror.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lockFileText, parseLockFile } from "../../../stacks/lock-files";
import { findTerraform, init, prepareScratch, terraform } from "../../../tools/terraform/offline";
import { keysStack } from "./fixtures";

const found = findTerraform();
const skip = process.env.CMK_SKIP_TERRAFORM ? "CMK_SKIP_TERRAFORM is set" : found.ok ? undefined : found.reason;
const t = skip ? test.skip : test;
if (skip) console.warn(`SKIPPED the lock file init tests: ${skip}`);

const AWS = "registry.terraform.io/hashicorp/aws";
const work = mkdtempSync(join(tmpdir(), "cmk-lock-init-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

t(
  "a lock entry without hashes pins the version; init installs it and records its hash",
  async () => {
    if (!found.ok) return;
    const mirrored = found.providers[AWS];
    const major = Number(mirrored.split(".")[0]);
    const constraint = `>= ${major}.0.0, < ${major + 1}.0.0`;
    const stack = keysStack() as { terraform: { required_providers: { aws: { version: string } } } };
    const dir = join(work, "pinned");
    prepareScratch(stack, dir, { terraform: found });
    // The scratch copy pins the mirrored version exactly; put back a range, as synthesis writes one.
    const config = JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) as typeof stack;
    config.terraform.required_providers.aws.version = constraint;
    writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(config));
    writeFileSync(
      join(dir, ".terraform.lock.hcl"),
      lockFileText(new Map([[AWS, { version: mirrored, constraints: constraint, hashes: [] }]])),
    );
    await init(dir);
    const locked = parseLockFile(readFileSync(join(dir, ".terraform.lock.hcl"), "utf8")).get(AWS);
    expect(locked).toEqual({ version: mirrored, constraints: constraint, hashes: [expect.stringMatching(/^h1:/)] });
  },
  120_000,
);

t(
  "the synthesized directory with its committed lock cannot init offline; the offline copy plans with the mirror",
  async () => {
    if (!found.ok) return;
    const synthesized = join(work, "synthesized");
    const stack = keysStack() as { terraform: { required_providers: { aws: { version: string } }; backend?: unknown } };
    stack.terraform.required_providers.aws.version = ">= 6.25.0, < 7.0.0";
    delete stack.terraform.backend;
    prepareScratch(stack, synthesized, { terraform: found });
    writeFileSync(
      join(synthesized, "cdk.tf.json"),
      JSON.stringify({ ...stack, provider: { aws: [{ region: "eu-west-1" }] } }),
    );
    cpSync(
      join(__dirname, "..", "..", "..", "terraform-locks", "dev-keys.terraform.lock.hcl"),
      join(synthesized, ".terraform.lock.hcl"),
    );
    const r = await terraform(synthesized, ["init", "-backend=false", "-input=false", "-no-color"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.replace(/\s+/g, " ")).toContain("the previously-selected version 6.25.0 is no longer available");

    const offline = join(work, "offline");
    prepareScratch(stack, offline, { terraform: found });
    expect(existsSync(join(offline, ".terraform.lock.hcl"))).toBe(false);
    expect(
      JSON.parse(readFileSync(join(offline, "cdk.tf.json"), "utf8")).terraform.required_providers.aws.version,
    ).toBe(found.providers[AWS]);
    await init(offline);
    expect(parseLockFile(readFileSync(join(offline, ".terraform.lock.hcl"), "utf8")).get(AWS)?.version).toBe(
      found.providers[AWS],
    );
  },
  120_000,
);
