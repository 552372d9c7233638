/** The Markdown summary posted on a pull request (one comment, found again by its marker). */
import type { AllowedFinding, Finding, GuardAction, GuardResult } from "./model";
import { renderMermaid } from "./mermaid";
import { MAX_EDGES } from "./graph";
import { mdCode, mdText } from "./markdown";

/** Hidden line that lets a workflow find and update the one summary comment. */
export const SUMMARY_MARKER = "<!-- plan-guard-summary -->";

const COLUMNS: readonly GuardAction[] = [
  "create",
  "update",
  "replace",
  "delete",
  "forget",
  "read",
  "no-op",
  "drift",
  "unknown",
];

/** Findings quote plan values (addresses, principals, attribute names): escaped, never Markdown. */
const cell = mdText;

function findingRow(f: Finding, extra?: string): string {
  const fix = extra ?? `${f.fix}${f.notAllowed?.length ? `. Not allowed: ${f.notAllowed.join("; ")}` : ""}`;
  return `| ${cell(f.stack)} | ${mdCode(f.address)} | ${f.action} | ${cell(f.why)} | ${cell(fix)} |`;
}

/** Renders the summary: verdict, counts per stack, blocked and risky changes first, then the diagram. */
export function renderSummary(r: GuardResult): string {
  const out: string[] = [SUMMARY_MARKER];
  const verdict =
    r.exitCode === 2
      ? "⚠️ input errors: the plans could not all be checked"
      : r.exitCode === 1
        ? `❌ ${r.blocked.length} blocked change${r.blocked.length === 1 ? "" : "s"}`
        : "✅ nothing blocked";
  out.push(`## Plan guard: ${verdict}`, "");
  if (r.inputErrors.length) out.push("### Input errors", "", ...r.inputErrors.map((e) => `- ${cell(e)}`), "");
  if (r.blocked.length) {
    out.push(
      "### Blocked",
      "",
      "| stack | address | action | why it loses data or keys | how to avoid it |",
      "|---|---|---|---|---|",
      ...r.blocked.map((f) => findingRow(f)),
      "",
    );
    out.push(
      "A blocked change goes through only when `plan-guard.allow.json` lists its address with a reason and the plan's digest (below) or an expiry date.",
      "",
    );
  }
  if (r.allowed.length) {
    out.push(
      "### Allowed by the allowlist",
      "",
      "| stack | address | action | why it was blocked | allowance reason |",
      "|---|---|---|---|---|",
    );
    const scope = (e: AllowedFinding["entry"]) =>
      [e.digest ? "for this plan only (digest)" : "", e.expires ? `until ${e.expires}` : ""].filter(Boolean).join(", ");
    out.push(
      ...r.allowed.map((a) => findingRow(a.finding, `entry ${a.entry.index} (${scope(a.entry)}): ${a.entry.reason}`)),
      "",
    );
  }
  if (r.risky.length) {
    out.push(
      "### Risky (review)",
      "",
      "| stack | address | action | what changes | note |",
      "|---|---|---|---|---|",
      ...r.risky.map((f) => findingRow(f)),
      "",
    );
  }
  if (r.warnings.length) out.push("### Warnings", "", ...r.warnings.map((w) => `- ${cell(w)}`), "");
  out.push("### Changes per stack", "");
  const cols = COLUMNS.filter((c) => r.stacks.some((s) => s.counts[c]));
  if (r.stacks.length === 0) out.push("No plans were read.", "");
  else {
    out.push(
      `| stack | ${cols.join(" | ")} | resources | plan digest |`,
      `|---|${cols.map(() => "---:").join("|")}|---:|---|`,
    );
    for (const s of r.stacks)
      out.push(
        `| ${cell(s.stack)} | ${cols.map((c) => String(s.counts[c] ?? 0)).join(" | ")} | ${s.resources} | ${s.digest ? mdCode(s.digest) : ""} |`,
      );
    out.push("");
  }
  out.push("### Keys touched and their consumers", "");
  const diagram = renderMermaid(r);
  if (diagram) {
    out.push(diagram, "");
    if (r.graph.edges.length >= MAX_EDGES) out.push(`_Only the first ${MAX_EDGES} dependencies are drawn._`, "");
  } else out.push("No key, alias, key store or cluster changes, and no consumer of one changes.", "");
  return out.join("\n");
}
