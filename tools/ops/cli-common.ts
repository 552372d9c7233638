/**
 * What the status and doctor CLIs share: loading the environment, building clients, printing the
 * findings (table or JSON) and the exit codes of tools/ops/findings.ts.
 */
import { Command, CommanderError } from "commander";
import { internalErrorLine, isUserError } from "../../environments/errors";
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
  check: (env: ResolvedEnvironment, clients: OpsClients, opts: O, progress: (line: string) => void) => Promise<{ findings: Finding[]; extra?: Record<string, unknown> }>,
): Promise<number> {
  let code: number = EXIT.healthy;
  const program = configure(new Command(name))
    .argument("<env>", "environment name (a shipped environment, or one in the ENV_CONFIG file)")
    .option("--json", "print the findings as JSON (for automation) instead of a table")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .action(async (envName: string, opts: O) => {
      let env: ResolvedEnvironment;
      try {
        env = loadEnvironment(envName);
      } catch (e) {
        if (!isUserError(e)) throw e;
        io.stderr(`${name}: ${e.lines.join(`\n${name}: `)}\n`);
        code = EXIT.usage;
        return;
      }
      const clients = (io.clients ?? createOpsClients)(env.region);
      try {
        const progress = (line: string) => io.stderr(`${name}: ${line}\n`);
        const { findings, extra } = await check(env, clients, opts, progress);
        io.stdout(opts.json ? renderJson(name, env.name, findings, extra) : renderTable(`${name} ${env.name} (account ${env.account}, ${env.region})`, findings));
        code = exitCodeOf(findings);
      } finally {
        if (!io.clients) destroyOpsClients(clients);
      }
    });
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.healthy : EXIT.usage;
    io.stderr(`${internalErrorLine(e)}\n`);
    if (process.env.CMK_DEBUG && e instanceof Error && e.stack) io.stderr(`${e.stack}\n`);
    return EXIT.internal;
  }
  return code;
}
