/**
 * What `npm run synth -- --verbose` (and `npm run compliance`) adds to the one summary line: every
 * suppressed compliance finding with its rule, where it is and the written reason, so a reviewer
 * sees what was waived and why, not just a count.
 */
import type { Finding } from "../modules/compliance";

/** True when the command line or the environment asks for the detailed report. */
export function verboseRequested(
  argv: readonly string[] = process.argv,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return argv.includes("--verbose") || env.CMK_VERBOSE === "1";
}

/** One line per suppressed finding, sorted by rule then path. */
export function suppressedLines(findings: readonly Finding[]): string[] {
  return findings
    .filter((f) => f.suppressedBecause)
    .sort((a, b) => a.ruleId.localeCompare(b.ruleId) || a.path.localeCompare(b.path))
    .map((f) => `  suppressed ${f.ruleId} (${f.title}) at ${f.path}: ${f.suppressedBecause}`);
}
