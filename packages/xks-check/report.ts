/** The report as text: a header, the table, one line per problem with its fix, the verdict. */
import type { XksCheckReport } from "./model";

/** Lines to print on stdout. Holds only names, ids, figures and fixes: never the credential. */
export function formatReport(report: XksCheckReport): string[] {
  const head = ["CHECK", "RESULT", "DETAIL"];
  const body = report.rows.map((r) => [r.check, r.verdict, r.detail]);
  const w0 = Math.max(head[0].length, ...body.map((r) => r[0].length));
  const w1 = Math.max(head[1].length, ...body.map((r) => r[1].length));
  const line = (c: string[]): string => `${c[0].padEnd(w0)}  ${c[1].padEnd(w1)}  ${c[2]}`.trimEnd();
  const fails = report.rows.filter((r) => r.verdict === "FAIL").length;
  const warns = report.rows.filter((r) => r.verdict === "WARN").length;
  const out = [
    `xks-check: ${report.target}${report.via ? ` via ${report.via}` : ""}`,
    "",
    line(head),
    ...body.map(line),
    "",
  ];
  for (const r of report.rows)
    if (r.fix && (r.verdict === "FAIL" || r.verdict === "WARN")) out.push(`${r.verdict} ${r.fix}`);
  out.push(
    fails > 0
      ? `xks-check: ${fails} failure(s), ${warns} warning(s): KMS would not connect or use these keys as they are (exit 1)`
      : `xks-check: all checks passed${warns > 0 ? ` with ${warns} warning(s)` : ""} (exit 0)`,
  );
  return out;
}
