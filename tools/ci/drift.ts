/**
 * The drift report of one environment: per stack, whether the real resources still match the
 * configuration on the default branch (a read-only plan with no changes), and if not, which
 * resources a deploy would change (address and action only, as in every CI report: plan JSON holds
 * sensitive values in cleartext).
 */
import type { EnvironmentReport } from "./report";

const cell = (s: string) => s.replace(/[|`<>]/g, (c) => `\\${c}`).replace(/\n/g, " ");

/** Markdown for the job summary, and whether any stack drifted or could not be checked. */
export function renderDrift(
  report: EnvironmentReport,
  stacks: readonly string[],
): { markdown: string; drifted: boolean; failed: boolean } {
  const lines = [`## Drift: ${report.env}`, ""];
  let drifted = false;
  let failed = false;
  for (const name of stacks) {
    const s = report.stacks.find((x) => x.stack === name);
    if (!s || s.status !== "planned") {
      failed = true;
      lines.push(`- \`${name}\`: ❌ not checked (${cell(s?.note ?? "the plan did not run")}: see the job log)`);
      continue;
    }
    const changes = s.changes ?? [];
    if (!changes.length) {
      lines.push(`- \`${name}\`: ✅ no drift`);
      continue;
    }
    drifted = true;
    lines.push(
      `- \`${name}\`: ⚠️ drift: a deploy of the default branch would make ${changes.length} change${changes.length === 1 ? "" : "s"}`,
      "",
      "  | action | address |",
      "  |---|---|",
      ...changes.slice(0, 150).map((c) => `  | ${c.action} | \`${cell(c.address)}\` |`),
    );
    if (changes.length > 150) lines.push("", `  _and ${changes.length - 150} more._`);
    lines.push("");
  }
  lines.push(
    "",
    "_Read-only plans (no apply, no state lock). Drift is either a change made outside Terraform (revert it, or bring it into the configuration) or a change merged but not deployed (run the deploy workflow)._",
  );
  return { markdown: lines.join("\n"), drifted, failed };
}
