/**
 * Access to the offline Terraform run the jest global setup starts in the background
 * (see global-setup.js): tests decide synchronously whether to skip, then wait for the run.
 */
import type { PlanJson } from "@cmk-stacks/plan-guard";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { findTerraform } from "../../tools/terraform/offline";

export interface OfflineStack {
  stack: string;
  ok: boolean;
  summary: string;
  seconds: number;
  dir: string;
}

export interface OfflineRun {
  readonly stacks: Readonly<Record<string, OfflineStack>>;
  /** What `npm run validate` printed. */
  readonly stdout: string;
  /** `terraform show -json` of a stack's plan (prod stacks, first-keys and staging-keys, see global-setup.js). */
  plan(stack: string): PlanJson;
}

/** Why the Terraform-backed tests are skipped here, or undefined when they run. */
export function offlineSkipReason(): string | undefined {
  if (process.env.CMK_SKIP_TERRAFORM) return "CMK_SKIP_TERRAFORM is set";
  const tf = findTerraform();
  if (!tf.ok) return tf.reason;
  if (!process.env.CMK_OFFLINE) return "the jest global setup did not start the offline run";
  return undefined;
}

/**
 * Waits (up to 4 minutes) for the background run to finish, then reads its results. With
 * `only`, waits only until those stacks are done (each writes `<scratch>/<stack>/result.json`).
 */
export async function offlineRun(only?: readonly string[]): Promise<OfflineRun> {
  const paths = JSON.parse(process.env.CMK_OFFLINE ?? "{}") as {
    results: string;
    stdout: string;
    stderr: string;
    exit: string;
  };
  const deadline = Date.now() + 240_000;
  const scratch = join(paths.results, "..", "scratch");
  const partDone = () => only !== undefined && only.every((s) => existsSync(join(scratch, s, "result.json")));
  while (!existsSync(paths.exit) && !partDone()) {
    if (Date.now() > deadline) throw new Error("the offline Terraform run did not finish within 4 minutes");
    await new Promise((r) => setTimeout(r, 250));
  }
  if (partDone() && !existsSync(paths.exit)) {
    const part = Object.fromEntries(
      (only ?? []).map((s) => [s, JSON.parse(readFileSync(join(scratch, s, "result.json"), "utf8")) as OfflineStack]),
    );
    return {
      stacks: part,
      stdout: "",
      plan: (stack) => JSON.parse(readFileSync(join(part[stack].dir, "plan.json"), "utf8")) as PlanJson,
    };
  }
  if (!existsSync(paths.results)) {
    throw new Error(
      `the offline Terraform run wrote no results (exit ${readFileSync(paths.exit, "utf8")}): ${readFileSync(paths.stderr, "utf8").slice(0, 500)}`,
    );
  }
  const doc = JSON.parse(readFileSync(paths.results, "utf8")) as { results: OfflineStack[] };
  const stacks = Object.fromEntries(doc.results.map((r) => [r.stack, r]));
  return {
    stacks,
    stdout: readFileSync(paths.stdout, "utf8"),
    plan: (stack) => JSON.parse(readFileSync(join(stacks[stack].dir, "plan.json"), "utf8")) as PlanJson,
  };
}
