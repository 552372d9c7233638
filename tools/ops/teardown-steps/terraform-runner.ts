/**
 * The real Terraform runner of the teardown: one working directory per stack,
 * `cdktf.out/teardown/<stack>/`, holding the synthesized stack's backend and provider blocks and
 * the phase's `removed` blocks, so it reads and writes the same state as `cdktf deploy`.
 *
 * State is read with `terraform state pull` (the backend's state document as stored, no refresh):
 * unlike `terraform show -json` it starts no provider, which saves ~2 s of CPU per read (the AWS
 * provider's schema is decoded at every start). That document holds every secret the state holds
 * (a generated CA key, sensitive variables): only the attributes the teardown needs (ids and a few
 * settings, never a secret) are kept, and nothing of it is printed or written.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isObject, type JsonObject, type PlanJson } from "@cmk-stacks/plan-guard";
import type { StateResource, TeardownConfig, TerraformRunner } from "./model";

/** The only state attributes the teardown reads. */
export const KEPT_ATTRIBUTES = [
  "id",
  "arn",
  "bucket",
  "key_id",
  "key_arn",
  "deletion_window_in_days",
  "custom_key_store_id",
  "custom_key_store_type",
  "cloud_hsm_cluster_id",
  "cluster_id",
  "hsm_id",
  // aws_scheduler_schedule (scale to zero): the teardown disables them by name and group.
  "name",
  "group_name",
] as const;

/** Options of {@link createTerraformRunner}. */
export interface TerraformRunnerOptions {
  /** Project root holding cdktf.out. @default process.cwd() */
  readonly root?: string;
  /** Terraform binary. @default "terraform" on PATH */
  readonly bin?: string;
  /** Environment of every Terraform run. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Changes the written configuration (tests: the emulator's provider settings and a local backend). */
  readonly transform?: (config: JsonObject, stack: string) => JsonObject;
  /** Extra `terraform init` arguments. */
  readonly initArgs?: readonly string[];
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(
  bin: string,
  dir: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd: dir,
      env: { ...env, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${bin}: ${e.message}`));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}

/** Terraform's first error lines (it never prints sensitive values in errors or plans). */
function firstError(r: Run): string {
  const lines = `${r.stderr}\n${r.stdout}`
    .split("\n")
    .map((l) => l.replace(/^[│╷╵\s]+/, "").trim())
    .filter(Boolean);
  const i = lines.findIndex((l) => l.startsWith("Error:"));
  return (i >= 0 ? lines.slice(i, i + 3) : lines.slice(0, 3)).join(" ") || `exit code ${r.code}`;
}

/** The address Terraform gives a resource instance of a stored state (`module.m.aws_kms_key.k["a"]`). */
function storedAddress(r: JsonObject, indexKey: unknown): string {
  const base = `${typeof r.module === "string" && r.module ? `${r.module}.` : ""}${r.mode === "data" ? "data." : ""}${String(r.type)}.${String(r.name)}`;
  if (typeof indexKey === "number") return `${base}[${indexKey}]`;
  if (typeof indexKey === "string") return `${base}[${JSON.stringify(indexKey)}]`;
  return base;
}

/**
 * Managed resources of a state, with only {@link KEPT_ATTRIBUTES}: either the stored state document
 * (`terraform state pull`, format 4: `resources[].instances[].attributes`,
 * https://developer.hashicorp.com/terraform/cli/commands/state/pull) or a `terraform show -json`
 * document (`values.root_module`, https://developer.hashicorp.com/terraform/internals/json-format).
 */
export function stateResources(doc: unknown): StateResource[] {
  const outList: StateResource[] = [];
  const keep = (address: string, type: string, values: JsonObject): void => {
    const kept: Record<string, unknown> = {};
    for (const k of KEPT_ATTRIBUTES) if (values[k] !== undefined && values[k] !== null) kept[k] = values[k];
    outList.push({ address, type, values: kept });
  };
  const walk = (m: unknown): void => {
    if (!isObject(m)) return;
    for (const r of Array.isArray(m.resources) ? m.resources : []) {
      if (!isObject(r) || r.mode !== "managed" || typeof r.address !== "string" || typeof r.type !== "string") continue;
      keep(r.address, r.type, isObject(r.values) ? r.values : {});
    }
    for (const c of Array.isArray(m.child_modules) ? m.child_modules : []) walk(c);
  };
  if (isObject(doc) && isObject(doc.values)) walk(doc.values.root_module);
  else if (isObject(doc) && Array.isArray(doc.resources)) {
    for (const r of doc.resources) {
      if (!isObject(r) || r.mode !== "managed" || typeof r.type !== "string" || typeof r.name !== "string") continue;
      for (const i of Array.isArray(r.instances) ? r.instances : []) {
        if (!isObject(i)) continue;
        keep(storedAddress(r, i.index_key), r.type, isObject(i.attributes) ? i.attributes : {});
      }
    }
  }
  return outList;
}

/** A runner for the stacks synthesized under `<root>/cdktf.out/stacks`. */
export function createTerraformRunner(opts: TerraformRunnerOptions = {}): TerraformRunner {
  const root = opts.root ?? process.cwd();
  const bin = opts.bin ?? "terraform";
  const env = opts.env ?? process.env;
  const initialised = new Set<string>();
  /**
   * The last `show` of each plan file: its bytes' SHA-256 and Terraform's JSON text. The phase
   * shows a plan twice (to review it, then to check the file is still the reviewed plan before the
   * apply); when the file's bytes are unchanged the second read is the same document, and it is
   * parsed again from the first run's text instead of starting Terraform and the provider (~2 s of
   * CPU). Any change to the file's bytes runs `terraform show` again.
   */
  const shown = new Map<string, { sha256: string; json: string }>();
  const digestOf = (file: string): string => createHash("sha256").update(readFileSync(file)).digest("hex");

  const write = async (stack: string, config: TeardownConfig): Promise<string> => {
    const source = join(root, "cdktf.out", "stacks", stack, "cdk.tf.json");
    if (!existsSync(source))
      throw new Error(
        `${source} does not exist: run \`npm run synth\` first (the teardown uses the synthesized stack's backend and provider)`,
      );
    const synthesized = JSON.parse(readFileSync(source, "utf8")) as JsonObject;
    const base: JsonObject = {
      terraform: synthesized.terraform ?? {},
      ...(synthesized.provider ? { provider: synthesized.provider } : {}),
    };
    if (config.removed.length) base.removed = config.removed as unknown as JsonObject[];
    const doc = opts.transform ? opts.transform(base, stack) : base;
    const dir = join(root, "cdktf.out", "teardown", stack);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "cdk.tf.json"), `${JSON.stringify(doc, null, 2)}\n`);
    if (!initialised.has(dir)) {
      const r = await run(bin, dir, ["init", "-input=false", "-no-color", ...(opts.initArgs ?? [])], env, 10 * 60_000);
      if (r.code !== 0) throw new Error(`terraform init failed for ${stack} in ${dir}: ${firstError(r)}`);
      initialised.add(dir);
    }
    return dir;
  };

  return {
    async state(stack) {
      const dir = await write(stack, { removed: [] });
      const r = await run(bin, dir, ["state", "pull"], env, 10 * 60_000);
      if (r.code !== 0) throw new Error(`terraform state pull failed for ${stack}: ${firstError(r)}`);
      // No state yet: Terraform prints nothing.
      return stateResources(r.stdout.trim() ? JSON.parse(r.stdout) : null);
    },
    prepare: write,
    async plan(dir, planFile) {
      shown.delete(join(dir, planFile));
      const r = await run(bin, dir, ["plan", "-input=false", "-no-color", `-out=${planFile}`], env, 60 * 60_000);
      if (r.code !== 0) throw new Error(`terraform plan failed in ${dir}: ${firstError(r)}`);
    },
    async show(dir, planFile) {
      const file = join(dir, planFile);
      const before = existsSync(file) ? digestOf(file) : undefined;
      const last = shown.get(file);
      if (before !== undefined && last?.sha256 === before) return JSON.parse(last.json) as PlanJson;
      const r = await run(bin, dir, ["show", "-json", "-no-color", planFile], env, 10 * 60_000);
      if (r.code !== 0) throw new Error(`terraform show failed in ${dir}: ${firstError(r)}`);
      // Kept only if the file did not change while Terraform read it.
      if (before !== undefined && existsSync(file) && digestOf(file) === before)
        shown.set(file, { sha256: before, json: r.stdout });
      else shown.delete(file);
      return JSON.parse(r.stdout) as PlanJson;
    },
    async apply(dir, planFile) {
      shown.delete(join(dir, planFile));
      const r = await run(bin, dir, ["apply", "-input=false", "-no-color", planFile], env, 3 * 60 * 60_000);
      if (r.code !== 0)
        throw new Error(
          `terraform apply failed in ${dir}: ${firstError(r)}; run the teardown again to see where things are`,
        );
    },
  };
}
