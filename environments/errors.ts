/** Marks errors the user must fix; constructs' own PropsError (modules/core/errors.ts) carries it too. */
const USER_ERROR = Symbol.for("cmk-stacks.user-error");

/** Thrown for input the user must fix; CLIs print `lines` alone, one per problem, without a stack trace. */
export class ConfigError extends Error {
  readonly [USER_ERROR] = true;
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
/** A ConfigError, or a construct's PropsError: `lines` are the whole message. */
export function isUserError(e: unknown): e is Error & { readonly lines: readonly string[] } {
  return (
    typeof e === "object" &&
    e !== null &&
    (e as Record<symbol, unknown>)[USER_ERROR] === true &&
    Array.isArray((e as { lines?: unknown }).lines)
  );
}

export function reportError(e: unknown): void {
  if (isUserError(e)) {
    process.stderr.write(`${e.lines.join("\n")}\n`);
    process.exitCode = 1;
    return;
  }
  process.stderr.write(`${internalErrorLine(e)}\n`);
  if (process.env.CMK_DEBUG && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  process.exitCode = 2;
}
