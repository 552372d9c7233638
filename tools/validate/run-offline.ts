/**
 * Validates and plans synthesized stacks with the real Terraform CLI and AWS provider, offline:
 * each stack in a scratch copy (see tools/terraform), keys stacks first so their planned outputs
 * (with placeholders for values only known after apply) feed the data stacks' remote state.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findTerraform, init, plan, prepareScratch, showJson, placeholderOutputs, validate, type PlanJson, type TerraformFound } from "../terraform/offline";

export interface StackResult {
  readonly stack: string;
  readonly ok: boolean;
  /** `validate ok, plan ok: 12 to add` or the first error. */
  readonly summary: string;
  readonly seconds: number;
  readonly plan?: PlanJson;
}

/** Format-valid dummies for variables without defaults (never real secrets: this is offline). */
function dummyFor(name: string): string {
  if (/access_key_id/.test(name)) return "AAAAAAAAAAAAAAAAAAAAAAAA";
  if (/secret/.test(name)) return "a".repeat(43);
  return "placeholder";
}

function writeVarFile(dir: string, stack: { variable?: Record<string, { default?: unknown }> }): void {
  const vars = Object.entries(stack.variable ?? {}).filter(([, v]) => v.default === undefined);
  if (vars.length) writeFileSync(join(dir, "offline.auto.tfvars.json"), JSON.stringify(Object.fromEntries(vars.map(([k]) => [k, dummyFor(k)]))));
}

function countActions(p: PlanJson): string {
  const counts: Record<string, number> = {};
  for (const rc of p.resource_changes ?? []) {
    const a = rc.change.actions.join("+");
    counts[a] = (counts[a] ?? 0) + 1;
  }
  return Object.entries(counts).map(([a, n]) => `${n} ${a === "create" ? "to add" : a}`).join(", ") || "no changes";
}

async function runStack(outdir: string, scratch: string, stack: string, remoteStates: Record<string, Record<string, unknown>>, tf: TerraformFound): Promise<StackResult> {
  const start = Date.now();
  const json = JSON.parse(readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8")) as { variable?: Record<string, { default?: unknown }> };
  const dir = join(scratch, stack);
  try {
    const prepared = prepareScratch(json, dir, { remoteStates, terraform: tf });
    if (prepared.missingProviders.length) {
      return { stack, ok: false, seconds: (Date.now() - start) / 1000, summary: `needs providers the offline mirror does not hold: ${prepared.missingProviders.join(", ")}` };
    }
    // Assets (the hook bundle) are referenced by path from local-exec commands only; copy nothing.
    writeVarFile(dir, json);
    await init(dir);
    await validate(dir);
    await plan(dir, { out: "offline.tfplan" });
    const planJson = await showJson(dir, "offline.tfplan");
    const deferred = prepared.deferredDataSources.length ? ` (${prepared.deferredDataSources.length} AWS data reads deferred to apply)` : "";
    return { stack, ok: true, seconds: (Date.now() - start) / 1000, summary: `validate ok, plan ok: ${countActions(planJson)}${deferred}`, plan: planJson };
  } catch (e) {
    return { stack, ok: false, seconds: (Date.now() - start) / 1000, summary: (e as Error).message.replace(`${dir}`, stack) };
  }
}

/**
 * Runs every stack in `outdir/stacks`, environment by environment (keys before data), two
 * environments at a time (the machines have 2 cores). Calls `report` as each stack finishes.
 */
export async function validateOffline(outdir: string, scratch: string, report: (r: StackResult) => void = () => undefined): Promise<StackResult[]> {
  const tf = findTerraform();
  if (!tf.ok) throw new Error(tf.reason);
  mkdirSync(scratch, { recursive: true });
  const stacks = readdirSync(join(outdir, "stacks")).filter((s) => existsSync(join(outdir, "stacks", s, "cdk.tf.json")));
  const envs = [...new Set(stacks.map((s) => s.replace(/-(keys|data)$/, "")))].sort();
  const results: StackResult[] = [];
  const queue = [...envs];
  const worker = async () => {
    for (let env = queue.shift(); env !== undefined; env = queue.shift()) {
      const remote: Record<string, Record<string, unknown>> = {};
      const keys = `${env}-keys`;
      if (stacks.includes(keys)) {
        const r = await runStack(outdir, scratch, keys, {}, tf);
        results.push(r);
        report(r);
        if (r.plan) remote[keys] = placeholderOutputs(r.plan);
      }
      for (const other of stacks.filter((s) => s.startsWith(`${env}-`) && s !== keys)) {
        const r = await runStack(outdir, scratch, other, remote, tf);
        results.push(r);
        report(r);
      }
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}
