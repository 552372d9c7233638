/** Runs the real Terraform CLI in a scratch directory prepared by `prepareScratch`, offline. */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { findTerraform } from "./find";
import type { PlanJson } from "@cmk-stacks/plan-guard";
import { SCRATCH_FILES, writeCliConfig } from "./scratch";

/** Exit code and output of one Terraform run. */
export interface TerraformRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@link terraform}. */
export interface TerraformRunOptions {
  /** Extra environment variables (applied last). */
  readonly env?: Record<string, string>;
  /** Kill the run after this many milliseconds (default 120 s). */
  readonly timeoutMs?: number;
}

/** Variables that would change what Terraform does behind our back (extra args, another data dir, a plugin cache). */
const STRIPPED =
  /^(TF_CLI_ARGS.*|TF_DATA_DIR|TF_WORKSPACE|TF_PLUGIN_CACHE_DIR|TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE|TF_CLI_CONFIG_FILE|TF_REGISTRY_.*|AWS_PROFILE|AWS_DEFAULT_PROFILE|AWS_CONFIG_FILE|AWS_SHARED_CREDENTIALS_FILE|HTTPS?_PROXY|https?_proxy|NO_PROXY|no_proxy)$/;

/**
 * The environment of every run: the scratch dir's CLI config (mirror only), no checkpoint calls,
 * the Go collector off unless GOGC is set,
 * no plugin cache, and a loopback proxy that refuses connections, so neither Terraform nor the
 * provider can reach a non-loopback address even if a configuration asks for it.
 */
export function terraformEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !STRIPPED.test(k)) env[k] = v;
  return {
    ...env,
    TF_CLI_CONFIG_FILE: join(dir, SCRATCH_FILES.cliConfig),
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    AWS_EC2_METADATA_DISABLED: "true",
    HTTPS_PROXY: "http://127.0.0.1:9",
    HTTP_PROXY: "http://127.0.0.1:9",
    NO_PROXY: "",
    // Offline runs are short-lived and CPU-bound: most of a run is decoding the AWS provider's
    // 13 MB schema, and Go's collector costs ~30% of that. Off, a plan peaks near 700 MB.
    GOGC: env.GOGC ?? "off",
    ...extra,
  };
}

/** The first lines of Terraform's complaint, for a one-line error message. */
export function firstError(run: TerraformRun): string {
  const text = `${run.stderr}\n${run.stdout}`;
  const lines = text
    .split("\n")
    .map((l) => l.replace(/^[│╷╵\s]+/, "").trim())
    .filter(Boolean);
  const i = lines.findIndex((l) => l.startsWith("Error:"));
  return (i >= 0 ? lines.slice(i, i + 3) : lines.slice(0, 3)).join(" ") || `exit code ${run.code}`;
}

/**
 * Runs `terraform <args>` in `dir` with {@link terraformEnv}. Resolves with the exit code and
 * output whatever the code; rejects only when the binary cannot be started or times out.
 */
export function terraform(dir: string, args: readonly string[], opts: TerraformRunOptions = {}): Promise<TerraformRun> {
  const found = findTerraform();
  if (!found.ok) return Promise.reject(new Error(`cannot run Terraform offline: ${found.reason}`));
  if (!existsSync(join(dir, SCRATCH_FILES.cliConfig))) writeCliConfig(dir, found.mirror);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(found.bin, args, {
      cwd: dir,
      env: terraformEnv(dir, opts.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      // A SIGKILLed Terraform cannot stop its provider plugins (~500 MB each): they would outlive
      // the run as orphans. Kill them first, then Terraform.
      for (const pid of childPids(child.pid)) killQuietly(pid);
      child.kill("SIGKILL");
      reject(new Error(`terraform ${args[0] ?? ""} timed out after ${opts.timeoutMs ?? 120000} ms in ${dir}`));
    }, opts.timeoutMs ?? 120000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${found.bin}: ${e.message}`));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}

/** Direct children of `pid` (Linux /proc; elsewhere none are found and only Terraform is killed). */
function childPids(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  try {
    return readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          // Field 4 of /proc/<pid>/stat is the parent pid; the command name (field 2) may hold spaces.
          const stat = readFileSync(`/proc/${d}/stat`, "utf8");
          return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid;
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

async function mustSucceed(dir: string, args: string[], what: string): Promise<TerraformRun> {
  const run = await terraform(dir, args);
  if (run.code !== 0) throw new Error(`terraform ${what} failed in ${dir}: ${firstError(run)}`);
  return run;
}

/** `terraform init -backend=false -input=false -no-color`: installs providers from the mirror (symlinks, no copy). Rejects on failure. */
export function init(dir: string): Promise<TerraformRun> {
  return mustSucceed(dir, ["init", "-backend=false", "-input=false", "-no-color"], "init");
}

/** `terraform validate -no-color`. Rejects on failure with Terraform's first error. */
export function validate(dir: string): Promise<TerraformRun> {
  return mustSucceed(dir, ["validate", "-no-color"], "validate");
}

/** Options of {@link plan}. */
export interface PlanOptions {
  /** Plan file to write (relative to `dir` or absolute). */
  readonly out: string;
  /** Refresh against AWS: must stay false offline (the default). */
  readonly refresh?: false;
  /** State to plan against (e.g. from `stateFromPlan`); default: no state, everything is created. */
  readonly stateFile?: string;
}

/**
 * `terraform plan -refresh=false -lock=false -out=<out> [-state=<stateFile>]`. Rejects on failure.
 * `-state` is deprecated in favour of a backend `path`, but the scratch copy has no backend and the
 * flag still works in 1.x; Terraform only prints a warning.
 */
export function plan(dir: string, opts: PlanOptions): Promise<TerraformRun> {
  const args = ["plan", "-input=false", "-no-color", "-lock=false", "-refresh=false", `-out=${opts.out}`];
  if (opts.stateFile) args.push(`-state=${opts.stateFile}`);
  return mustSucceed(dir, args, "plan");
}

/** `terraform show -json <planFile>`, parsed. */
export async function showJson(dir: string, planFile: string): Promise<PlanJson> {
  const run = await mustSucceed(dir, ["show", "-json", "-no-color", planFile], "show");
  return JSON.parse(run.stdout) as PlanJson;
}

/** The subset of `terraform providers schema -json` that {@link stateFromPlan} uses to type placeholders. */
export interface ProviderSchemasJson {
  provider_schemas?: Record<
    string,
    {
      resource_schemas?: Record<string, { version?: number; block?: SchemaBlock }>;
      data_source_schemas?: Record<string, { version?: number; block?: SchemaBlock }>;
    }
  >;
}

/** A schema block: attributes with their cty types, nested blocks with their nesting mode. */
export interface SchemaBlock {
  attributes?: Record<string, { type?: unknown; nested_type?: { nesting_mode?: string } }>;
  block_types?: Record<string, { nesting_mode?: string; block?: SchemaBlock }>;
}

/** `terraform providers schema -json` in an initialised dir (about 2 s and 13 MB for hashicorp/aws). */
export async function providerSchemas(dir: string): Promise<ProviderSchemasJson> {
  const run = await mustSucceed(dir, ["providers", "schema", "-json"], "providers schema");
  return JSON.parse(run.stdout) as ProviderSchemasJson;
}
