/** The guard's terminal output: one line per decision. */
import { oneLine } from "./markdown";
import type { Finding, GuardResult } from "./model";

/** `BLOCKED [stack] address (action): why. Avoid: fix.` and, when allowlist entries named it, why they did not match. */
export function blockLine(f: Finding): string {
  return `BLOCKED [${f.stack}] ${f.address} (${f.action}): ${f.why}. Avoid: ${f.fix}.${f.notAllowed?.length ? ` Not allowed: ${f.notAllowed.join("; ")}.` : ""}`;
}

/** All lines for a result: each plan's digest, blocked, allowed, risky (`RISKY ...: what. Advice: what to check.`), warnings, then a verdict. */
export function formatResult(r: GuardResult): string[] {
  const lines = [
    ...r.stacks
      .filter((s) => s.digest)
      .map((s) => `PLAN [${s.stack}] ${s.digest} (an allowlist entry's digest names exactly this plan)`),
    ...r.inputErrors.map((e) => `ERROR ${e}`),
    ...r.blocked.map(blockLine),
    ...r.allowed.map(
      ({ finding: f, entry }) =>
        `ALLOWED [${f.stack}] ${f.address} (${f.action}): ${f.rule}, allowed by allowlist entry ${entry.index}: ${entry.reason}`,
    ),
    // A risky line carries its advice: what the reviewer should check for this resource type.
    ...r.risky.map((f) => `RISKY [${f.stack}] ${f.address} (${f.action}): ${f.why}. Advice: ${f.fix}.`),
    ...r.warnings.map((w) => `WARNING ${w}`),
  ];
  const n = r.stacks.reduce((s, x) => s + x.resources, 0);
  const verdict =
    r.exitCode === 2
      ? `plan-guard: input errors (exit 2)${r.blocked.length ? `; ${r.blocked.length} blocked change(s) in what could be read` : ""}`
      : r.exitCode === 1
        ? `plan-guard: ${r.blocked.length} blocked change(s) in ${r.stacks.length} plan(s) (exit 1)`
        : `plan-guard: nothing blocked in ${r.stacks.length} plan(s), ${n} resource change(s) checked${r.allowed.length ? `, ${r.allowed.length} allowed by the allowlist` : ""}`;
  // Plan text (addresses, values) must not start a new log line: that could forge a verdict or a workflow command.
  return [...lines.map(oneLine), verdict];
}
