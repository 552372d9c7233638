/**
 * Validates and plans synthesized stacks with the real Terraform CLI and AWS provider, offline:
 * each stack in a scratch copy (see tools/terraform), all of them together in one Terraform run,
 * the data stacks' remote state holding placeholders named after each keys-stack output.
 */
import type { PlanJson } from "@cmk-stacks/plan-guard";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  copyProviderInstallation,
  findTerraform,
  init,
  modulePlan,
  plan,
  placeholderForOutput,
  prepareScratch,
  showJson,
  validate,
  writeModuleRoot,
  type TerraformFound,
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
  /** Which stacks' plans to return as JSON (`terraform show -json`). @default none */
  readonly savePlans?: (stack: string) => boolean;
  /** Which stacks to run. @default all */
  readonly only?: (stack: string) => boolean;
  /**
   * Skip the separate `terraform validate`: `terraform plan` runs the same validation walk before
   * planning, so this only drops one provider start (~4 s of CPU) per stack. @default false
   */
  readonly planOnly?: boolean;
  /** Called as each stack finishes (not at the end of its phase). */
  readonly report?: (r: StackResult) => void;
  /** Called when a phase starts its Terraform run, to say what is being waited for. */
  readonly progress?: (line: string) => void;
}

interface StackJson {
  variable?: Record<string, { default?: unknown; type?: string }>;
  output?: Record<string, unknown>;
  provider?: { aws?: { region?: string; allowed_account_ids?: string[] }[] };
}

/** Format-valid dummies for variables without defaults (never real secrets: this is offline). */
function dummyFor(name: string, type?: string): string {
  if (type === "bool") return "true";
  if (/access_key_id/.test(name)) return "AAAAAAAAAAAAAAAAAAAAAAAA";
  if (/secret/.test(name)) return "a".repeat(43);
  return "placeholder";
}

function writeVarFile(dir: string, stack: StackJson): void {
  const vars = dummyArgs(stack);
  if (Object.keys(vars).length) writeFileSync(join(dir, "offline.auto.tfvars.json"), JSON.stringify(vars));
}

/** `Plan: 3 to add, 0 to change, 0 to destroy.` (or "No changes") from plan's text output. */
function planLine(stdout: string): string {
  const m = /Plan: (\d+) to add, (\d+) to change, (\d+) to destroy/.exec(stdout);
  if (!m) return /No changes/.test(stdout) ? "no changes" : "planned";
  const reads = (stdout.match(/will be read during apply/g) ?? []).length;
  return `${m[1]} to add, ${m[2]} to change, ${m[3]} to destroy${reads ? `, ${reads} read during apply` : ""}`;
}

/** The outputs a data stack's remote state reads: placeholders named after each keys-stack output. */
function outputsOf(keys: StackJson): Record<string, unknown> {
  const provider = keys.provider?.aws?.[0];
  const loc = {
    region: provider?.region ?? "us-east-1",
    account: provider?.allowed_account_ids?.[0] ?? "123456789012",
  };
  return Object.fromEntries(Object.keys(keys.output ?? {}).map((name) => [name, placeholderForOutput(name, loc)]));
}

async function runStack(
  json: StackJson,
  dir: string,
  stack: string,
  remoteStates: Record<string, Record<string, unknown>>,
  tf: TerraformFound,
  initialised: { dir?: string },
  savePlan: boolean,
  planOnly: boolean,
): Promise<StackResult> {
  const start = Date.now();
  const done = (ok: boolean, summary: string, planJson?: PlanJson): StackResult => ({
    stack,
    ok,
    summary,
    seconds: (Date.now() - start) / 1000,
    dir,
    ...(planJson ? { plan: planJson } : {}),
  });
  try {
    const prepared = prepareScratch(json, dir, { remoteStates, terraform: tf });
    if (prepared.missingProviders.length)
      return done(false, `needs providers the offline mirror does not hold: ${prepared.missingProviders.join(", ")}`);
    writeVarFile(dir, json);
    // After the first `terraform init`, reuse its result (a combined run's fallback re-runs
    // prepared copies that already have it).
    if (existsSync(join(dir, ".terraform.lock.hcl"))) {
      // already installed
    } else if (initialised.dir && existsSync(join(initialised.dir, ".terraform.lock.hcl"))) {
      copyProviderInstallation(initialised.dir, dir);
    } else {
      await init(dir);
      initialised.dir ??= dir;
    }
    if (!planOnly) await validate(dir);
    const planned = await plan(dir, { out: "offline.tfplan" });
    const deferred = prepared.deferredDataSources.length
      ? ` (${prepared.deferredDataSources.length} AWS data reads deferred to apply)`
      : "";
    const planJson = savePlan ? await showJson(dir, "offline.tfplan") : undefined;
    return done(true, `${planOnly ? "" : "validate ok, "}plan ok: ${planLine(planned.stdout)}${deferred}`, planJson);
  } catch (e) {
    return done(false, (e as Error).message.split(dir).join(stack));
  }
}

/** Terraform's `Plan: 1 to add, 0 to change, 0 to destroy` counts, from a plan's JSON. */
function jsonPlanLine(p: PlanJson): string {
  let add = 0;
  let change = 0;
  let destroy = 0;
  let reads = 0;
  for (const c of p.resource_changes ?? []) {
    const a = c.change.actions.join(",");
    if (a === "create") add++;
    else if (a === "update") change++;
    else if (a === "delete") destroy++;
    else if (a === "delete,create" || a === "create,delete") {
      add++;
      destroy++;
    } else if (a === "read") reads++;
  }
  if (!add && !change && !destroy && !reads) return "no changes";
  return `${add} to add, ${change} to change, ${destroy} to destroy${reads ? `, ${reads} read during apply` : ""}`;
}

/**
 * Format-valid dummies for a stack's variables without defaults (module arguments), and for those
 * whose default is null: inputs only the first apply needs (the XKS credential, read only when the
 * store is created), and these plans are first applies.
 */
function dummyArgs(stack: StackJson): Record<string, string> {
  return Object.fromEntries(
    Object.entries(stack.variable ?? {})
      .filter(([, v]) => v.default === undefined || v.default === null)
      .map(([k, v]) => [k, dummyFor(k, v.type)]),
  );
}

interface PhaseItem {
  readonly stack: string;
  readonly json: StackJson;
  readonly remote: Record<string, Record<string, unknown>>;
}

interface PhaseContext {
  readonly scratch: string;
  readonly tf: TerraformFound;
  readonly initialised: { dir?: string };
  /** The one `terraform init` of the run (the first phase to get there starts it). */
  initialising?: Promise<string>;
  readonly planOnly: boolean;
  readonly save: (stack: string) => boolean;
  /** Every result, the moment it is known. */
  readonly report: (r: StackResult) => void;
  readonly progress: (line: string) => void;
}

/**
 * Validates and plans a set of stacks that do not depend on each other in ONE Terraform run: each
 * stack is prepared in `scratch/<stack>` as before, and a root in `scratch/<root>` calls them all
 * as modules (tools/terraform/combine.ts). Most of an offline plan's cost is loading the AWS
 * provider's schema, once per Terraform process whatever the configuration's size, so this is
 * 2-3x cheaper than a run per stack. When the combined run fails, every stack is run on its own,
 * so each failure is reported against its stack with Terraform's own message.
 */
async function runPhase(items: readonly PhaseItem[], root: string, ctx: PhaseContext): Promise<StackResult[]> {
  const start = Date.now();
  const results: StackResult[] = [];
  const add = (r: StackResult) => {
    results.push(r);
    ctx.report(r);
  };
  const ready: { item: PhaseItem; dir: string; deferred: number }[] = [];
  for (const item of items) {
    const dir = join(ctx.scratch, item.stack);
    const fail = (summary: string) =>
      add({ stack: item.stack, ok: false, summary, seconds: (Date.now() - start) / 1000, dir });
    try {
      const prepared = prepareScratch(item.json, dir, { remoteStates: item.remote, terraform: ctx.tf });
      if (prepared.missingProviders.length) {
        fail(`needs providers the offline mirror does not hold: ${prepared.missingProviders.join(", ")}`);
        continue;
      }
      writeVarFile(dir, item.json);
      ready.push({ item, dir, deferred: prepared.deferredDataSources.length });
    } catch (e) {
      fail((e as Error).message.split(dir).join(item.stack));
    }
  }
  if (ready.length === 0) return results;
  ctx.progress(`validate: planning ${ready.map(({ item }) => item.stack).join(", ")} in one Terraform run...`);
  try {
    // `terraform init` once, then every scratch copy gets its result, so each can also run alone.
    ctx.initialising ??= init(ready[0].dir).then(() => {
      ctx.initialised.dir = ready[0].dir;
      return ready[0].dir;
    });
    const from = await ctx.initialising;
    for (const { dir } of ready) {
      if (dir !== from) copyProviderInstallation(from, dir);
    }
    const rootDir = join(ctx.scratch, root);
    writeModuleRoot(
      rootDir,
      from,
      ready.map(({ item }) => ({
        name: item.stack,
        source: `../${item.stack}`,
        args: dummyArgs(item.json),
        outputs: Object.fromEntries(
          Object.entries(item.json.output ?? {}).map(([name, o]) => [
            name,
            { sensitive: (o as { sensitive?: boolean }).sensitive === true },
          ]),
        ),
      })),
    );
    await Promise.all([ctx.planOnly ? undefined : validate(rootDir), plan(rootDir, { out: "offline.tfplan" })]);
    const combined = await showJson(rootDir, "offline.tfplan");
    const seconds = (Date.now() - start) / 1000;
    for (const { item, dir, deferred } of ready) {
      const mine = modulePlan(combined, item.stack);
      const note = deferred ? ` (${deferred} AWS data reads deferred to apply)` : "";
      add({
        stack: item.stack,
        ok: true,
        summary: `${ctx.planOnly ? "" : "validate ok, "}plan ok: ${jsonPlanLine(mine)}${note}`,
        seconds,
        dir,
        ...(ctx.save(item.stack) ? { plan: mine } : {}),
      });
    }
    return results;
  } catch {
    // One stack's error fails the combined run: run each stack alone for a precise report.
    ctx.progress(
      `validate: the combined run of ${ready.map(({ item }) => item.stack).join(", ")} failed; running each stack on its own...`,
    );
    const queue = [...ready];
    const worker = async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const { item, dir } = next;
        add(
          await runStack(
            item.json,
            dir,
            item.stack,
            item.remote,
            ctx.tf,
            ctx.initialised,
            ctx.save(item.stack),
            ctx.planOnly,
          ),
        );
      }
    };
    await Promise.all([worker(), worker()]);
    return results;
  }
}

/**
 * Runs every stack in `outdir/stacks` together in one Terraform run (see {@link runPhase}). A data
 * stack's remote state holds placeholders named after each keys-stack output (the keys plan
 * cannot know them either: they are attributes of resources not yet created), so no stack waits
 * for another's plan. One run rather than one for the keys stacks and one for the data stacks at
 * the same time: the same results and about the same wall time (`terraform plan` walks the graph
 * on both cores), with one load of the AWS provider's schema for `plan` and one for `show`
 * instead of two each (the test suite's offline run: 16.9 s -> 12.3 s of Terraform CPU).
 * Each stack keeps its own initialised scratch copy in `scratch/<stack>`.
 */
export async function validateOffline(
  outdir: string,
  scratch: string,
  opts: ValidateOfflineOptions = {},
): Promise<StackResult[]> {
  const tf = findTerraform();
  if (!tf.ok) throw new Error(tf.reason);
  mkdirSync(scratch, { recursive: true });
  const all = readdirSync(join(outdir, "stacks"))
    .filter((s) => existsSync(join(outdir, "stacks", s, "cdk.tf.json")))
    .sort();
  const wanted = opts.only ?? (() => true);
  const stacks = all.filter(wanted);
  const read = (s: string) => JSON.parse(readFileSync(join(outdir, "stacks", s, "cdk.tf.json"), "utf8")) as StackJson;
  const results: StackResult[] = [];
  const ctx: PhaseContext = {
    scratch,
    tf,
    initialised: {},
    planOnly: opts.planOnly === true,
    save: opts.savePlans ?? (() => false),
    report: (r) => {
      results.push(r);
      opts.report?.(r);
    },
    progress: opts.progress ?? (() => undefined),
  };
  const isKeys = (s: string) => s.endsWith("-keys");
  const remoteFor = (stack: string) => {
    const keysStack = `${stack.replace(/-(keys|data)$/, "")}-keys`;
    return all.includes(keysStack) ? { [keysStack]: outputsOf(read(keysStack)) } : {};
  };
  await runPhase(
    stacks.map((stack) => ({ stack, json: read(stack), remote: isKeys(stack) ? {} : remoteFor(stack) })),
    "_stacks",
    ctx,
  );
  return results;
}
