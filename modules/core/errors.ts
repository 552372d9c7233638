/**
 * Invariants a construct guards itself. A construct refuses props it cannot build from with every
 * problem at once, one line each, in the format the configuration checks use:
 * `<where>.<prop>: <value> is not allowed (<why>)`. The CLIs print the lines alone (no stack trace),
 * exactly as they print configuration errors.
 */
const USER_ERROR = Symbol.for("cmk-stacks.user-error");

export class PropsError extends Error {
  readonly [USER_ERROR] = true;
  constructor(readonly lines: readonly string[]) {
    super(lines.join("\n"));
    this.name = "PropsError";
  }
}

/** Throws a PropsError when `problems` is not empty. */
export function throwIfProblems(problems: readonly string[]): void {
  if (problems.length) throw new PropsError(problems);
}

/** A value as error messages quote it. */
export function shown(value: unknown): string {
  if (value === undefined) return "(missing)";
  return typeof value === "string" ? `"${value}"` : JSON.stringify(value);
}
