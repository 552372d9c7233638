/** Thrown for input the user must fix; CLIs print `lines` alone, one per problem, without a stack trace. */
export class ConfigError extends Error {
  constructor(readonly lines: readonly string[]) {
    super(lines.join("\n"));
    this.name = "ConfigError";
  }
}
