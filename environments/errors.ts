/** Thrown for input the user must fix; CLIs print `lines` alone, one per problem, without a stack trace. */
export class ConfigError extends Error {
  constructor(readonly lines: readonly string[]) {
    super(lines.join("\n"));
    this.name = "ConfigError";
  }
}

/** The one line printed for an error that is not the user's: a bug to report, never a stack trace. */
export function internalErrorLine(e: unknown): string {
  const text = (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split("\n")[0].slice(0, 300);
  return `internal error: ${text} (a bug in cmk-stacks, not in your configuration: please report it with the command you ran; CMK_DEBUG=1 prints the stack trace)`;
}

/** Prints an error as the CLIs do: ConfigError lines (exit 1), or one internal-error line (exit 2). */
export function reportError(e: unknown): void {
  if (e instanceof ConfigError) {
    process.stderr.write(`${e.lines.join("\n")}\n`);
    process.exitCode = 1;
    return;
  }
  process.stderr.write(`${internalErrorLine(e)}\n`);
  if (process.env.CMK_DEBUG && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  process.exitCode = 2;
}
