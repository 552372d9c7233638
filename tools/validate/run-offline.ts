/**
 * Validates and plans synthesized stacks with the real Terraform CLI and AWS provider, offline:
 * each stack in a scratch copy (see tools/terraform), keys stacks first so that the data stacks'
 * remote state holds the keys stacks' outputs (placeholders named after each output where the
 * value is only known after apply).
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  findTerraform, init, plan, placeholderForOutput, placeholderOutputs, prepareScratch, showJson, validate,
  type PlanJson, type TerraformFound,
} from "../terraform/offline";

export interface StackResult {
  readonly stack: string;
  readonly ok: boolean;
  /** `validate ok, plan ok: 12 to add` or the first error. */
  readonly summary: string;
  readonly seconds: number;
  /** `terraform show -json` of the plan, when asked for (`savePlans`). */
  readonly plan?: PlanJson;
  /** The scratch directory (initialised; kept when the caller keeps the scratch root). */
  readonly dir: string;
}

export interface ValidateOfflineOptions {
  /** Which stacks' plans to render as JSON (`terraform show -json`, about 2 s each). @default none */
  readonly savePlans?: (stack: string) => boolean;
  /** Which stacks to run. @default all */
  readonly only?: (stack: string) => boolean;
  /**
   * Skip the separate `terraform validate`: `terraform plan` runs the same validation walk before
   * planning, so this only drops one provider start (~4 s of CPU) per stack. @default false
   */
  readonly planOnly?: boolean;
  /** Called as each stack finishes. */
  readonly report?: (r: StackResult) => void;
}

interface StackJson {
  variable?: Record<string, { default?: unknown }>;
  output?: Record<string, unknown>;
  provider?: { aws?: { region?: string; allowed_account_ids?: string[] }[] };
}

/** Format-valid dummies for variables without defaults (never real secrets: this is offline). */
function dummyFor(name: string): string {
  if (/access_key_id/.test(name)) return "AAAAAAAAAAAAAAAAAAAAAAAA";
  if (/secret/.test(name)) return "a".repeat(43);
  return "placeholder";
}

function writeVarFile(dir: string, stack: StackJson): void {
  const vars = Object.entries(stack.variable ?? {}).filter(([, v]) => v.default === undefined);
  if (vars.length) writeFileSync(join(dir, "offline.auto.tfvars.json"), JSON.stringify(Object.fromEntries(vars.map(([k]) => [k, dummyFor(k)]))));
}

/** `Plan: 3 to add, 0 to change, 0 to destroy.` (or "No changes") from plan's text output. */
function planLine(stdout: string): string {
  const m = /Plan: (\d+) to add, (\d+) to change, (\d+) to destroy/.exec(stdout);
  if (!m) return /No changes/.test(stdout) ? "no changes" : "planned";
  const reads = (stdout.match(/will be read during apply/g) ?? []).length;
  return `${m[1]} to add, ${m[2]} to change, ${m[3]} to destroy${reads ? `, ${reads} read during apply` : ""}`;
}

/** The outputs a data stack's remote state reads: from the keys plan when rendered, else placeholders by name. */
function outputsOf(keys: StackJson, keysPlan: PlanJson | undefined): Record<string, unknown> {
  const provider = keys.provider?.aws?.[0];
  const loc = { region: provider?.region ?? "us-east-1", account: provider?.allowed_account_ids?.[0] ?? "123456789012" };
  if (keysPlan) return placeholderOutputs(keysPlan, loc);
  return Object.fromEntries(Object.keys(keys.output ?? {}).map((name) => [name, placeholderForOutput(name, loc)]));
}

async function runStack(json: StackJson, dir: string, stack: string, remoteStates: Record<string, Record<string, unknown>>, tf: TerraformFound, initialised: { dir?: string }, savePlan: boolean, planOnly: boolean): Promise<StackResult> {
  const start = Date.now();
  const done = (ok: boolean, summary: string, planJson?: PlanJson): StackResult => ({ stack, ok, summary, seconds: (Date.now() - start) / 1000, dir, ...(planJson ? { plan: planJson } : {}) });
  try {
    const prepared = prepareScratch(json, dir, { remoteStates, terraform: tf });
    if (prepared.missingProviders.length) return done(false, `needs providers the offline mirror does not hold: ${prepared.missingProviders.join(", ")}`);
    writeVarFile(dir, json);
    // Every stack needs the same single provider: after the first `terraform init`, copy its
    // result (a symlink into the mirror and the lock file) instead of initialising again.
    if (initialised.dir && existsSync(join(initialised.dir, ".terraform.lock.hcl"))) {
      cpSync(join(initialised.dir, ".terraform"), join(dir, ".terraform"), { recursive: true, verbatimSymlinks: true });
      cpSync(join(initialised.dir, ".terraform.lock.hcl"), join(dir, ".terraform.lock.hcl"));
    } else {
      await init(dir);
      initialised.dir ??= dir;
    }
    if (!planOnly) await validate(dir);
    const planned = await plan(dir, { out: "offline.tfplan" });
    // The human-readable plan, for whoever keeps the scratch copy (cheaper than `show -json`).
    writeFileSync(join(dir, "plan.txt"), planned.stdout);
    const deferred = prepared.deferredDataSources.length ? ` (${prepared.deferredDataSources.length} AWS data reads deferred to apply)` : "";
    const planJson = savePlan ? await showJson(dir, "offline.tfplan") : undefined;
    return done(true, `${planOnly ? "" : "validate ok, "}plan ok: ${planLine(planned.stdout)}${deferred}`, planJson);
  } catch (e) {
    return done(false, (e as Error).message.split(dir).join(stack));
  }
}

/**
 * Runs every stack in `outdir/stacks` in `scratch/<stack>`, environment by environment (keys
 * before data), two environments at a time (the machines have 2 cores).
 */
export async function validateOffline(outdir: string, scratch: string, opts: ValidateOfflineOptions = {}): Promise<StackResult[]> {
  const tf = findTerraform();
  if (!tf.ok) throw new Error(tf.reason);
  mkdirSync(scratch, { recursive: true });
  const wanted = opts.only ?? (() => true);
  const stacks = readdirSync(join(outdir, "stacks")).filter((s) => existsSync(join(outdir, "stacks", s, "cdk.tf.json")) && wanted(s));
  // Largest environments first (longest-processing-time order keeps both workers busy to the end).
  const size = (env: string) => stacks.filter((s) => s.startsWith(`${env}-`)).reduce((n, s) => n + statSync(join(outdir, "stacks", s, "cdk.tf.json")).size, 0);
  const envs = [...new Set(stacks.map((s) => s.replace(/-(keys|data)$/, "")))].sort((a, b) => size(b) - size(a) || a.localeCompare(b));
  const read = (s: string) => JSON.parse(readFileSync(join(outdir, "stacks", s, "cdk.tf.json"), "utf8")) as StackJson;
  const save = opts.savePlans ?? (() => false);
  const results: StackResult[] = [];
  const initialised: { dir?: string } = {};
  const finish = (r: StackResult) => {
    results.push(r);
    opts.report?.(r);
    return r;
  };
  const queue = [...envs];
  const worker = async () => {
    for (let env = queue.shift(); env !== undefined; env = queue.shift()) {
      const remote: Record<string, Record<string, unknown>> = {};
      const keys = `${env}-keys`;
      let keysOk = true;
      if (stacks.includes(keys)) {
        const json = read(keys);
        const r = finish(await runStack(json, join(scratch, keys), keys, {}, tf, initialised, save(keys), opts.planOnly === true));
        keysOk = r.ok;
        remote[keys] = outputsOf(json, r.plan);
      } else if (existsSync(join(outdir, "stacks", keys, "cdk.tf.json"))) {
        // Keys stack not selected: its outputs as placeholders named after each output.
        remote[keys] = outputsOf(read(keys), undefined);
      }
      for (const other of stacks.filter((s) => s.replace(/-(keys|data)$/, "") === env && s !== keys)) {
        // A data stack reads the keys stack's outputs: without a keys plan there is nothing to check it against.
        if (!keysOk) finish({ stack: other, ok: false, summary: `not planned: ${keys} failed`, seconds: 0, dir: join(scratch, other) });
        else finish(await runStack(read(other), join(scratch, other), other, remote, tf, initialised, save(other), opts.planOnly === true));
      }
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}
