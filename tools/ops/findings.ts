/**
 * What status and doctor report: one finding per thing checked, its severity, what was seen, and
 * the fix. Shared rendering (a table for people, JSON for automation) and the exit code.
 */
import { awsErrorCode } from "../../hooks/lib/errors";

/**
 * - `ok`: as configured;
 * - `degraded`: works today, needs action (an old backup, a certificate near expiry, an alarm);
 * - `broken`: something is not working or will lose data without action (a disconnected key
 *   store, a key pending deletion, a missing resource the deploy needs);
 * - `unknown`: could not be checked (access denied, the API failed): says what and why.
 */
export type Severity = "ok" | "degraded" | "broken" | "unknown";

export interface Finding {
  /** The check, e.g. `key-store`, `hsms`, `backup`, `quota`. */
  readonly check: string;
  /** What it is about: a key alias, a key store name, a subnet id. */
  readonly subject: string;
  readonly severity: Severity;
  /** What was seen, one line. */
  readonly detail: string;
  /** The next action (every finding that is not ok has one). */
  readonly fix?: string;
}

/**
 * Exit codes of status and doctor (documented in docs/operations.md):
 * 0 every check ok; 1 degraded, or something could not be checked (the result is not known to be
 * healthy); 2 broken; 64 usage or configuration error (EX_USAGE, sysexits.h); 70 internal error.
 */
export const EXIT = { healthy: 0, degraded: 1, broken: 2, usage: 64, internal: 70 } as const;

export function exitCodeOf(findings: readonly Finding[]): number {
  if (findings.some((f) => f.severity === "broken")) return EXIT.broken;
  if (findings.some((f) => f.severity === "degraded" || f.severity === "unknown")) return EXIT.degraded;
  return EXIT.healthy;
}

/** `broken`, `degraded`, `unknown` (nothing found wrong, but something not checked) or `healthy`. */
export function overallOf(findings: readonly Finding[]): "healthy" | "degraded" | "broken" | "unknown" {
  if (findings.some((f) => f.severity === "broken")) return "broken";
  if (findings.some((f) => f.severity === "degraded")) return "degraded";
  if (findings.some((f) => f.severity === "unknown")) return "unknown";
  return "healthy";
}

const DENIED = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "UnauthorizedOperation",
  "UnauthorizedAccess",
  "AuthorizationError",
  "NotAuthorized",
  "UnrecognizedClientException",
  "InvalidClientTokenId",
  "ExpiredToken",
  "ExpiredTokenException",
]);

/** True for an error that says the caller may not make the call (or has no valid session). */
export function isAccessDenied(err: unknown): boolean {
  return (
    DENIED.has(awsErrorCode(err)) ||
    (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode === 403
  );
}

/**
 * The finding for a check that could not run: `action` is the IAM action (or API call) that
 * failed. Only the error's code is shown: AWS error messages can quote request parameters.
 */
export function notChecked(check: string, subject: string, action: string, err: unknown): Finding {
  const code = awsErrorCode(err);
  if (isAccessDenied(err)) {
    return {
      check,
      subject,
      severity: "unknown",
      detail: `not checked: ${action} was denied (${code})`,
      fix: `run with a role allowed ${action}, or check this by hand`,
    };
  }
  return {
    check,
    subject,
    severity: "unknown",
    detail: `not checked: ${action} failed (${code})`,
    fix: "re-run; if it persists, check the Region, the network path to the AWS endpoint and the service's health",
  };
}

const MARK: Record<Severity, string> = { ok: "ok", degraded: "DEGRADED", broken: "BROKEN", unknown: "UNKNOWN" };

/** A plain-text table (no colour, so it survives logs and copy-paste), followed by the fixes. */
export function renderTable(title: string, findings: readonly Finding[]): string {
  const rows = findings.map((f) => [MARK[f.severity], f.check, f.subject, f.detail]);
  const head = ["STATE", "CHECK", "SUBJECT", "DETAIL"];
  const widths = head.map((h, i) => Math.min(48, Math.max(h.length, ...rows.map((r) => (i < 3 ? r[i].length : 0)))));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c))
      .join("  ")
      .trimEnd();
  const fixes = findings.filter((f) => f.severity !== "ok" && f.fix).map((f) => `- ${f.check} ${f.subject}: ${f.fix}`);
  const out = [title, "", line(head), ...rows.map(line), "", `overall: ${overallOf(findings)}`];
  if (fixes.length) out.push("", "fixes:", ...fixes);
  return `${out.join("\n")}\n`;
}

/** The JSON document `--json` prints. */
export function renderJson(
  command: string,
  environment: string,
  findings: readonly Finding[],
  extra: Record<string, unknown> = {},
): string {
  return `${JSON.stringify({ command, environment, overall: overallOf(findings), exitCode: exitCodeOf(findings), ...extra, findings }, null, 2)}\n`;
}
