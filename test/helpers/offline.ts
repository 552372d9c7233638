/** Access to the offline Terraform run made once by the jest global setup (see global-setup.js). */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { PlanJson } from "../../tools/terraform/offline";

export interface OfflineStack {
  stack: string;
  ok: boolean;
  summary: string;
  seconds: number;
  dir: string;
}

export interface OfflineRun {
  /** Why Terraform was not run, when it was not. */
  readonly skipped?: string;
  readonly stacks: Readonly<Record<string, OfflineStack>>;
  /** What `npm run validate` printed. */
  readonly stdout: string;
  /** `terraform show -json` of a stack's plan (prod stacks only). */
  plan(stack: string): PlanJson;
}

export function offlineRun(): OfflineRun {
  const where = process.env.CMK_OFFLINE_RESULTS;
  let doc: { skipped?: string; results?: OfflineStack[] } = { skipped: "the jest global setup did not run" };
  if (where?.startsWith("{")) doc = JSON.parse(where) as typeof doc;
  else if (where && existsSync(where)) doc = JSON.parse(readFileSync(where, "utf8")) as typeof doc;
  const stacks = Object.fromEntries((doc.results ?? []).map((r) => [r.stack, r]));
  return {
    skipped: doc.skipped,
    stacks,
    stdout: process.env.CMK_OFFLINE_STDOUT && existsSync(process.env.CMK_OFFLINE_STDOUT) ? readFileSync(process.env.CMK_OFFLINE_STDOUT, "utf8") : "",
    plan: (stack) => JSON.parse(readFileSync(join(stacks[stack].dir, "plan.json"), "utf8")) as PlanJson,
  };
}
