/**
 * The pull-request report: what each environment's plan job found, in redacted form, and the one
 * comment built from all of them. A stack's entry holds resource addresses, actions, and the
 * values that change with every secret masked (`describeChange` in the plan guard: Terraform's
 * sensitive marks, secret-named attributes, PEM private keys) and policies as the rights they
 * give: `terraform show -json` writes sensitive values in cleartext, so nothing is copied out of a
 * plan unmasked (https://developer.hashicorp.com/terraform/cli/commands/show). The plan itself
 * never leaves the job that made it; only these reports are uploaded between jobs.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { actionOf, describeChange, mdCode, mdText, SUMMARY_MARKER, type ResourceChange } from "@cmk-stacks/plan-guard";

/** Hidden line by which the workflow finds and updates the one comment (the guard's marker). */
export const COMMENT_MARKER = SUMMARY_MARKER;

/** What happened to one stack in one run. */
export type StackStatus = "planned" | "pending" | "failed" | "skipped";

/** One resource change, redacted: where, what, and the values that change with every secret masked. */
export interface RedactedChange {
  readonly address: string;
  readonly action: string;
  /** `attr: before → after` lines, policies as rights gained and lost (plain text, escaped when rendered). */
  readonly details?: readonly string[];
}

export interface StackReport {
  readonly stack: string;
  readonly status: StackStatus;
  /** Changes other than no-op (planned stacks only). */
  readonly changes?: readonly RedactedChange[];
  /** For pending stacks: the stack that must be applied first. For failed/skipped: what failed. */
  readonly note?: string;
  /** Planned stacks: the plan's digest (packages/plan-guard/digest.ts), to compare with the deploy's. */
  readonly digest?: string;
}

export interface EnvironmentReport {
  readonly env: string;
  readonly stacks: StackReport[];
  /** The plan guard's verdict on this environment's plans, when it ran. */
  guard?: { readonly exitCode: number; readonly summary: string };
}

/** Largest number of changes listed per stack (a comment holds at most 65,536 characters). */
export const MAX_LISTED = 150;

const STACK_NAME = /^[a-z0-9][a-z0-9-]{0,60}$/;

/** Reads a report file, or a new empty report when it does not exist yet. */
export function loadReport(file: string, env: string): EnvironmentReport {
  if (!existsSync(file)) return { env, stacks: [] };
  const r = JSON.parse(readFileSync(file, "utf8")) as EnvironmentReport;
  if (r.env !== env) throw new Error(`${file} is the report of "${r.env}", not "${env}"`);
  return r;
}

export function saveReport(file: string, report: EnvironmentReport): void {
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}

/**
 * The redacted change list of a `terraform show -json` document: address, action and the masked
 * value changes (see {@link describeChange}) of every resource change that is not a no-op.
 */
export function redactedChanges(plan: unknown): RedactedChange[] {
  const rc = (plan as { resource_changes?: unknown } | null)?.resource_changes;
  if (rc === undefined) return [];
  if (!Array.isArray(rc)) throw new Error("resource_changes is not a list");
  const out: RedactedChange[] = [];
  for (const c of rc as { address?: unknown; change?: { actions?: unknown } }[]) {
    const actions = c?.change?.actions;
    if (typeof c?.address !== "string" || !Array.isArray(actions) || !actions.every((a) => typeof a === "string")) {
      throw new Error("a resource change without an address or an action list");
    }
    const action = actionOf(actions as string[]);
    if (action === "no-op") continue;
    let details: string[] = [];
    try {
      details = describeChange(c as unknown as ResourceChange);
    } catch {
      details = ["(the values could not be read; see the plan in the job log)"];
    }
    out.push({ address: c.address, action, ...(details.length ? { details } : {}) });
  }
  return out;
}

/**
 * True when the data stack cannot be planned yet: the keys plan creates or changes an output that
 * a data stack reads (CDKTF's `cross-stack-output-*`). Before the keys stack is applied those
 * outputs are missing ("Unable to find remote state", "Unsupported attribute") or stale.
 */
export function dataStackMustWait(keysPlan: unknown): boolean {
  const outputs =
    (keysPlan as { output_changes?: Record<string, { actions?: string[] }> } | null)?.output_changes ?? {};
  return Object.entries(outputs).some(
    ([name, c]) =>
      name.startsWith("cross-stack-output-") && (c.actions ?? []).some((a) => a === "create" || a === "update"),
  );
}

/** Adds or replaces one stack's entry. */
export function recordStack(report: EnvironmentReport, entry: StackReport): EnvironmentReport {
  if (!STACK_NAME.test(entry.stack)) throw new Error(`stack name "${entry.stack}" is not a stack name`);
  return { ...report, stacks: [...report.stacks.filter((s) => s.stack !== entry.stack), entry] };
}

const cell = mdText;

/** Most value lines shown per change: all of them, a few, or none when the comment would be too long. */
type Detail = number;

function detailCell(c: RedactedChange, lines: Detail): string {
  const d = c.details ?? [];
  if (d.length === 0 || lines === 0) return "";
  const shown = d.slice(0, lines).map(mdText);
  if (d.length > shown.length) shown.push(mdText(`… ${d.length - shown.length} more`));
  return shown.join("<br>");
}

function stackSection(s: StackReport, lines: Detail): string[] {
  switch (s.status) {
    case "pending":
      return [
        `#### \`${s.stack}\`: ⏳ planned after ${s.note ?? "the keys stack"} is applied`,
        "",
        `Its inputs come from ${s.note ?? "the keys stack"}, whose plan above creates or changes them. The deploy workflow applies the keys stack, then plans this stack, runs the plan guard on that plan and applies it.`,
        "",
      ];
    case "failed":
      return [`#### \`${s.stack}\`: ❌ ${cell(s.note ?? "plan failed")} (see the job log)`, ""];
    case "skipped":
      return [`#### \`${s.stack}\`: not planned (${cell(s.note ?? "an earlier step failed")})`, ""];
    case "planned": {
      const changes = s.changes ?? [];
      if (!changes.length) return [`#### \`${s.stack}\`: no changes`, ""];
      const shown = changes.slice(0, MAX_LISTED);
      const rows = [
        `#### \`${s.stack}\`: ${changes.length} change${changes.length === 1 ? "" : "s"}`,
        "",
        "| action | address | what changes |",
        "|---|---|---|",
        ...shown.map((c) => `| ${cell(c.action)} | ${mdCode(c.address)} | ${detailCell(c, lines)} |`),
      ];
      if (changes.length > shown.length)
        rows.push("", `_and ${changes.length - shown.length} more (see the job log)._`);
      return [...rows, ""];
    }
  }
}

/**
 * A planned stack's plan digest, on its own line: a deploy applies only a plan with the digest its
 * approvers saw in the job summary, and a reviewer can compare that with this one.
 */
export function digestLines(s: StackReport): string[] {
  return s.status === "planned" && s.digest && /^sha256:[0-9a-f]{64}$/.test(s.digest)
    ? [`Plan digest of \`${s.stack}\`: \`${s.digest}\``, ""]
    : [];
}

/** Every environment's reports found in `dir` (`<env>.json`). */
export function loadReports(dir: string): EnvironmentReport[] {
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith(".json")) files.push(join(d, e.name));
    }
  };
  walk(dir);
  return files
    .map((f) => JSON.parse(readFileSync(f, "utf8")) as EnvironmentReport)
    .sort((a, b) => a.env.localeCompare(b.env));
}

export interface CommentInput {
  /** Every environment the run was meant to plan, in order. */
  readonly envs: readonly string[];
  readonly reports: readonly EnvironmentReport[];
  /** Result of the synth-and-test job (`success`, `failure`, `cancelled`, `skipped`). */
  readonly synth: string;
  /** Link to the workflow run, for the logs. */
  readonly runUrl?: string;
  /**
   * Longest text to render: value lines are cut (12 per change, then 4, 1, none) until it fits.
   * @default - {@link COMMENT_LIMIT}, a pull-request comment's limit
   */
  readonly maxLength?: number;
}

/** GitHub refuses comments longer than 65,536 characters; keep room for the digest line and other additions. */
export const COMMENT_LIMIT = 60_000;
/** Value lines per change tried in turn until the comment fits. */
const DETAIL_LEVELS: readonly Detail[] = [12, 4, 1, 0];

/** True when the run must fail the check: a blocked or unreadable plan, a failed job or stack. */
export function failed(input: CommentInput): boolean {
  if (input.synth !== "success") return true;
  return input.envs.some((env) => {
    const r = input.reports.find((x) => x.env === env);
    return (
      !r || !r.guard || r.guard.exitCode !== 0 || r.stacks.some((s) => s.status === "failed" || s.status === "skipped")
    );
  });
}

/**
 * The one pull-request comment: verdict, then per environment the stacks (each change with the
 * values it changes), the guard and the picture. Value lines are cut when the whole would exceed
 * `maxLength`, and the comment says so.
 */
export function renderComment(input: CommentInput): string {
  const max = input.maxLength ?? COMMENT_LIMIT;
  let text = "";
  for (const level of DETAIL_LEVELS) {
    text = renderAt(input, level);
    if (text.length <= max) return text;
  }
  return text;
}

function renderAt(input: CommentInput, lines: Detail): string {
  const out = [COMMENT_MARKER];
  const bad = failed(input);
  const pending = input.reports.flatMap((r) => r.stacks.filter((s) => s.status === "pending"));
  out.push(
    `## Plans: ${bad ? "❌ action needed" : "✅ nothing blocked"}${pending.length ? ` (${pending.length} stack${pending.length === 1 ? "" : "s"} planned after the keys are applied)` : ""}`,
    "",
  );
  if (input.synth !== "success") {
    out.push(
      `❌ Synthesis and tests: ${cell(input.synth)}. No stack could be planned${input.runUrl ? `: see [the run](${input.runUrl})` : ""}.`,
      "",
    );
    return out.join("\n");
  }
  for (const env of input.envs) {
    const r = input.reports.find((x) => x.env === env);
    out.push(`### ${env}`, "");
    if (!r) {
      out.push(
        `❌ The plan job did not finish, so nothing was reviewed for ${env}${input.runUrl ? `: see [the run](${input.runUrl})` : ""}.`,
        "",
      );
      continue;
    }
    for (const s of r.stacks) out.push(...stackSection(s, lines), ...digestLines(s));
    if (!r.guard) out.push("❌ The plan guard did not run.", "");
    else {
      // The guard's own Markdown (verdict, blocked/risky tables, Mermaid picture) minus its marker.
      const body = r.guard.summary
        .replace(COMMENT_MARKER, "")
        .trim()
        .replace(/^## /gm, "#### ")
        .replace(/^### /gm, "##### ");
      out.push("<details open><summary>Plan guard</summary>", "", body, "", "</details>", "");
    }
  }
  if (lines < DETAIL_LEVELS[0])
    out.push(
      `_Values are cut to ${lines === 0 ? "none" : `${lines} line${lines === 1 ? "" : "s"}`} per change to fit GitHub's size limit for this text._`,
      "",
    );
  out.push(
    "_Values Terraform marks sensitive, and attributes named like secrets, read (sensitive); policies are shown as the rights they give. The plan JSON holds sensitive values in cleartext and never leaves its job._",
  );
  return out.join("\n");
}
