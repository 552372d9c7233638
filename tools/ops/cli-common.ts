/**
 * What the status and doctor CLIs share: loading the environment, building clients, printing the
 * findings (table or JSON) and the exit codes of tools/ops/findings.ts.
 */
import { Command, CommanderError } from "commander";
import { internalErrorLine, isUserError } from "../../environments/errors";
import { formatValue } from "../../environments/validation/engine";
import type { ResolvedEnvironment } from "../../environments/resolve";
import { createOpsClients, destroyOpsClients, type OpsClients } from "./clients";
import { loadEnvironment } from "./env";
import { EXIT, exitCodeOf, renderJson, renderTable, type Finding } from "./findings";

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Builds the clients for a Region (tests pass mocked ones). */
  readonly clients?: (region: string) => OpsClients;
  readonly now?: Date;
}

/**
 * The options of `argv` that `cmd` does not know, and `argv` without them. commander stops at the
 * first unknown option; the operator commands report every problem at once instead, so unknown
 * options are taken out first and reported with the rest. A value that follows an option taking
 * one (`--window -1`) is that option's, not an unknown option.
 */
export function splitUnknownOptions(cmd: Command, argv: readonly string[]): { known: string[]; unknown: string[] } {
  // `unknown` holds unknown flags, and `--flag=value` of a flag that takes no value (reported as such).
  const byFlag = new Map<string, { required: boolean; optional: boolean }>();
  for (const o of cmd.options)
    for (const f of [o.long, o.short]) if (f) byFlag.set(f, { required: o.required, optional: o.optional });
  for (const f of ["-h", "--help"]) byFlag.set(f, { required: false, optional: false });
  const known: string[] = [];
  const unknown: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      known.push(...argv.slice(i));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      known.push(a);
      continue;
    }
    const flag = a.startsWith("--") ? a.split("=")[0] : a;
    const o = byFlag.get(flag);
    if (!o) {
      unknown.push(flag);
      continue;
    }
    if (!o.required && !o.optional && a.includes("=")) {
      unknown.push(a);
      continue;
    }
    known.push(a);
    if (o.required && !a.includes("=") && i + 1 < argv.length) known.push(argv[++i]);
  }
  return { known, unknown };
}

/** The problem line for each unknown option, with the options the command knows. */
export function unknownOptionProblems(cmd: Command, unknown: readonly string[]): string[] {
  const flags = cmd.options.map((o) => o.long).filter((f): f is string => !!f);
  return unknown.map((u) =>
    u.includes("=")
      ? `${u.split("=")[0]} takes no value (got ${JSON.stringify(u)})`
      : `unknown option ${u} (options: ${flags.join(", ")}, --help)`,
  );
}

export const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

/**
 * Runs an operator command: parses `argv` with `program`, whose action calls `check` with the
 * environment, clients and its options. Returns the exit code (never calls process.exit).
 */
export async function runOpsCli<O extends { json?: boolean }>(
  name: string,
  argv: readonly string[],
  io: CliIo,
  configure: (program: Command) => Command,
  check: (
    env: ResolvedEnvironment,
    clients: OpsClients,
    opts: O,
    progress: (line: string) => void,
  ) => Promise<{ findings: Finding[]; extra?: Record<string, unknown> }>,
): Promise<number> {
  let code: number = EXIT.healthy;
  const program = configure(new Command(name))
    .argument("<env>", "environment name (a shipped environment, or one in the ENV_CONFIG file)")
    .option("--json", "print the findings as JSON (for automation) instead of a table")
    .addHelpText(
      "after",
      `\nExit codes: ${EXIT.healthy} healthy (or ready), ${EXIT.degraded} degraded or not fully checked, ${EXIT.broken} broken, ${EXIT.usage} usage or configuration error, ${EXIT.internal} internal error.\nProgress goes to stderr; the table or --json to stdout. Credentials: the standard AWS chain (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL...). See docs/operations.md.`,
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .action(async (envName: string, opts: O) => {
      let env: ResolvedEnvironment | undefined;
      const problems = unknownOptionProblems(program, unknown);
      try {
        env = loadEnvironment(envName);
      } catch (e) {
        if (!isUserError(e)) throw e;
        problems.push(...e.lines);
      }
      if (problems.length || !env) {
        io.stderr(problems.map((p) => `${name}: ${p}\n`).join(""));
        code = EXIT.usage;
        return;
      }
      const clients = (io.clients ?? createOpsClients)(env.region);
      try {
        const progress = (line: string) => io.stderr(`${name}: ${line}\n`);
        const { findings, extra } = await check(env, clients, opts, progress);
        io.stdout(
          opts.json
            ? renderJson(name, env.name, findings, extra)
            : renderTable(`${name} ${env.name} (account ${env.account}, ${env.region})`, findings),
        );
        code = exitCodeOf(findings);
      } finally {
        if (!io.clients) destroyOpsClients(clients);
      }
    });
  const { known, unknown } = splitUnknownOptions(program, argv);
  try {
    await program.parseAsync(known, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      // A commander error (missing <env>, too many arguments) with the unknown options beside it.
      for (const p of unknownOptionProblems(program, unknown)) io.stderr(`${name}: ${p}\n`);
      return e.exitCode === 0 ? EXIT.healthy : EXIT.usage;
    }
    io.stderr(`${internalErrorLine(e)}\n`);
    if (process.env.CMK_DEBUG && e instanceof Error && e.stack) io.stderr(`${e.stack}\n`);
    return EXIT.internal;
  }
  return code;
}

/**
 * A command whose help, version and errors go line by line to `out` and `err` (trailing newlines
 * trimmed), which throws instead of exiting, and shows no help after an error (restore, teardown).
 */
export function lineOutput(cmd: Command, out: (line: string) => void, err: (line: string) => void): Command {
  return cmd
    .exitOverride()
    .configureOutput({ writeOut: (s) => out(s.trimEnd()), writeErr: (s) => err(s.trimEnd()) })
    .showHelpAfterError(false);
}

/**
 * Parses `argv` with `cmd` (made with {@link lineOutput}), its unknown options taken out first. Returns
 * the problem lines of the unknown options, to report with the command's other problems; or, when
 * commander stops (help: 0; a missing or extra argument: `usageExit`, after commander's own message),
 * the exit code, after `<name>: <problem>` on `err` for each unknown option and each problem
 * `flagProblems` finds in the options parsed so far (all problems at once, not one per run).
 */
export function parseWithUnknownOptions(
  name: string,
  cmd: Command,
  argv: readonly string[],
  err: (line: string) => void,
  usageExit: number,
  flagProblems: () => readonly string[] = () => [],
): { readonly unknownLines: string[] } | { readonly exitCode: number } {
  const { known, unknown } = splitUnknownOptions(cmd, argv);
  const unknownLines = unknownOptionProblems(cmd, unknown);
  try {
    cmd.parse(known, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      const lines = e.exitCode === 0 ? [] : [...unknownLines, ...flagProblems()];
      for (const p of lines) err(`${name}: ${p}`);
      return { exitCode: e.exitCode === 0 ? 0 : usageExit };
    }
    throw e;
  }
  return { unknownLines };
}

/**
 * A flag's value as a problem line shows it: quoted, control and invisible characters escaped (no
 * value may move the cursor or recolour the terminal), and cut after 160 characters when longer
 * than 1024, with its length.
 */
export const shownArg = (value: string): string => formatValue(value);
