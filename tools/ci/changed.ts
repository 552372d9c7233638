/**
 * Which environments a push changed: the synthesized stacks of the pushed commit compared with
 * those of the commit before it. Only what Terraform reads counts: each stack's `cdk.tf.json`, its
 * `assets/` (hook bundles, Lambda zips) and its dependency lock file, byte for byte. A docs-only or test-only change leaves
 * every stack identical, so the deploy matrix is empty and nobody is asked to approve anything.
 * Anything that cannot be compared (no synthesized output for the previous commit: the first push,
 * a force push, a synthesis that failed) counts as changed: deploying too much is safe, deploying
 * too little is not.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { CiEnvironment, MatrixEntry } from "./envs";
import { matrixOf } from "./envs";

/**
 * What Terraform or a CLI writes into a stack directory after synthesis: never compared. The
 * dependency lock file is compared: synthesis writes the committed one (stacks/lock-files.ts), and
 * a changed one changes the provider version every plan installs.
 */
const IGNORED = new Set([".terraform", "terraform.tfstate", "terraform.tfstate.backup"]);

/** Every file of a stack directory (relative path -> contents), or undefined when the stack is missing. */
function stackFiles(outdir: string, stack: string): Map<string, Buffer> | undefined {
  const root = join(outdir, "stacks", stack);
  if (!existsSync(join(root, "cdk.tf.json"))) return undefined;
  const files = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (d === root && IGNORED.has(e.name)) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() || statSync(p).isFile()) files.set(relative(root, p), readFileSync(p));
    }
  };
  walk(root);
  return files;
}

/** Why a stack differs between two synthesized outputs, or undefined when it is identical. */
export function stackDifference(before: string, after: string, stack: string): string | undefined {
  const a = stackFiles(after, stack);
  const b = stackFiles(before, stack);
  if (!a) return b ? "removed" : undefined;
  if (!b) return "new (not in the previous commit's synthesized output)";
  const changed: string[] = [];
  for (const [path, content] of a) {
    const old = b.get(path);
    if (!old) changed.push(`${path} added`);
    else if (!old.equals(content)) changed.push(`${path} changed`);
  }
  for (const path of b.keys()) if (!a.has(path)) changed.push(`${path} removed`);
  if (!changed.length) return undefined;
  return changed.length > 3 ? `${changed.slice(0, 3).join(", ")} and ${changed.length - 3} more` : changed.join(", ");
}

/** One run of the deploy workflow, as `GET /repos/{owner}/{repo}/actions/workflows/{id}/runs` lists it. */
interface WorkflowRun {
  readonly id?: unknown;
  readonly head_sha?: unknown;
  readonly status?: unknown;
  readonly conclusion?: unknown;
}

/**
 * Whether the commit before this push is a safe base to compare with: the deploy run before this
 * one must have finished successfully on exactly that commit. Otherwise a change could be lost: a
 * failed or rejected deploy, or a push whose pending run GitHub replaced with a newer one (a
 * concurrency group keeps one pending run), would never be deployed by later pushes that do not
 * touch the same environment. Returns the reason when it is not.
 */
export function untrustedBase(runsJson: unknown, currentRunId: number, before: string): string | undefined {
  const runs = (runsJson as { workflow_runs?: unknown } | null)?.workflow_runs;
  if (!Array.isArray(runs)) return "the earlier deploy runs could not be read";
  const previous = (runs as WorkflowRun[])
    .filter((r) => typeof r.id === "number" && r.id < currentRunId)
    .sort((a, b) => (b.id as number) - (a.id as number))[0];
  if (!previous) return "no earlier deploy run";
  if (previous.status !== "completed") return `the previous deploy run ${String(previous.id)} has not completed`;
  if (previous.conclusion !== "success")
    return `the previous deploy run ${String(previous.id)} ended ${String(previous.conclusion)}`;
  if (previous.head_sha !== before)
    return `the previous deploy run ${String(previous.id)} deployed ${String(previous.head_sha).slice(0, 12)}, not the commit before this push (a run in between was replaced or skipped)`;
  return undefined;
}

export interface ChangedEnvironments {
  /** The matrix: the changed environments in registration order. */
  readonly matrix: MatrixEntry[];
  /** One line per environment: deployed and why, or unchanged. */
  readonly lines: string[];
}

/**
 * The environments whose stacks (`<env>-keys`, `<env>-data`) differ between the two outputs.
 * `before` undefined or without a `stacks/` folder: every environment counts as changed.
 */
export function changedEnvironments(
  envs: readonly CiEnvironment[],
  before: string | undefined,
  after: string,
  distrust?: string,
): ChangedEnvironments {
  if (!existsSync(join(after, "stacks")))
    throw new Error(`${after}: no synthesized stacks (run npm run synth with CDKTF_OUTDIR=${after} first)`);
  const comparable = before !== undefined && existsSync(join(before, "stacks"));
  const changed: CiEnvironment[] = [];
  const lines: string[] = [];
  for (const e of envs) {
    if (distrust !== undefined) {
      changed.push(e);
      lines.push(`${e.env}: deploy (${distrust}: every environment is deployed)`);
      continue;
    }
    if (!comparable) {
      changed.push(e);
      lines.push(`${e.env}: deploy (nothing to compare with: no synthesized output of the previous commit)`);
      continue;
    }
    const diffs = [`${e.env}-keys`, `${e.env}-data`]
      .map((s) => [s, stackDifference(before, after, s)] as const)
      .filter(([, d]) => d !== undefined);
    if (diffs.length) {
      changed.push(e);
      lines.push(`${e.env}: deploy (${diffs.map(([s, d]) => `${s}: ${d}`).join("; ")})`);
    } else lines.push(`${e.env}: unchanged, not deployed`);
  }
  return { matrix: matrixOf(changed), lines };
}
