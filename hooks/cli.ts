/**
 * CLI runner of the bootstrap program (bundled to `.build/hooks-bundle/hooks.js`): what the hook
 * wiring's `terraform_data` + `local-exec` runs, and what an operator runs by hand.
 *
 *   node hooks.js <step> --region <region> [--timeout-minutes <n>] <step flags>
 *
 * Steps and flags come from the contract (`hooks/contract.ts`; table in hooks/README.md).
 * Inputs are ids and names only, never secrets (passwords live in Secrets Manager).
 * Exit codes: 0 done (or already done), 1 failed (one line on stderr: `[step id] CODE: what.
 * Next: action`, no stack), 2 bad input (unknown step, unknown, missing or malformed flag).
 * Progress goes to stderr, one line per state change; the final line goes to stdout.
 *
 * The same bundle also exports the Lambda handler (`hooks.handler`), see lambda.ts.
 */
import { Command, CommanderError } from "commander";
import { createClients, type HookClients } from "./lib/clients";
import { formatDuration, realClock, type Clock } from "./lib/clock";
import { oneLineError } from "./lib/one-line";
import { RedactingLogger } from "./lib/logger";
import { RateLimiter, CUSTOM_KEY_STORE_RPS } from "./lib/rate-limiter";
import { visibleText } from "./lib/validate";
import { argsOf, kebab, parseStepInput, STEP_NAMES, type StepName } from "./contract";
import { STEP_RUNNERS } from "./dispatch";

export { handler } from "./lambda";

/** What `runCli` needs from the outside world (tests inject fakes). */
export interface CliDeps {
  readonly clients?: (region: string) => HookClients;
  readonly clock?: Clock;
  readonly stdout?: (line: string) => void;
  readonly stderr?: (line: string) => void;
  /** Where import-key-material reads the material and rotate-xks-credential the new credential. Default: standard input (refused when it is a terminal). */
  readonly stdin?: () => Promise<Uint8Array>;
  /** Extra CA certificates (PEM) the XKS proxy check trusts: tests only (KMS trusts public CAs only, so the CLI has no flag for it). */
  readonly xksExtraCaPem?: readonly string[];
}

/** Most a step reads from stdin (a Vault export of one key is well under 1 KiB). */
const STDIN_MAX_BYTES = 64 * 1024;

/**
 * Reads standard input to its end, bounded. A terminal is refused: typed key material would be
 * echoed and kept in the shell's scrollback; pipe it from the key manager instead.
 */
export async function readStdin(stream: NodeJS.ReadStream = process.stdin): Promise<Uint8Array> {
  if (stream.isTTY)
    throw new Error(
      "standard input is a terminal; pipe the secret from your key manager instead of typing it (docs/byok.md, docs/xks.md)",
    );
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += b.length;
    if (size > STDIN_MAX_BYTES)
      throw new Error(`standard input holds more than ${STDIN_MAX_BYTES} bytes; pipe one key only`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** Exit codes of the CLI contract. */
export const EXIT = { done: 0, failed: 1, badInput: 2 } as const;

/** Parses `argv` (without `node` and the script), runs the step, returns the exit code. */
export async function runCli(argv: readonly string[], deps: CliDeps = {}): Promise<number> {
  const stdout = deps.stdout ?? ((line: string) => process.stdout.write(`${line}\n`));
  const stderr = deps.stderr ?? ((line: string) => process.stderr.write(`${line}\n`));
  let chosen: { step: StepName; input: Record<string, unknown> } | undefined;

  const program = new Command("hooks")
    .description("CMK bootstrap program: idempotent deploy-time steps Terraform cannot do")
    .exitOverride()
    .configureOutput({ writeOut: (s) => stdout(s.trimEnd()), writeErr: (s) => stderr(visibleText(s.trimEnd())) });

  // Options are declared from the contract and values left as strings: parseStepInput checks them
  // (and applies defaults) exactly as it does for a Lambda event.
  for (const name of STEP_NAMES) {
    const cmd = program.command(name);
    for (const [arg, spec] of argsOf(name)) {
      const help = spec.kind === "id" ? "" : spec.kind === "int" ? `${spec.help} (default ${spec.default})` : spec.help;
      if (spec.kind === "flag") cmd.option(`--${kebab(arg)}`, help);
      // Required ids are plain options: parseStepInput names every missing one (and every bad value)
      // at once, where commander would stop at the first.
      else if (spec.kind === "id" && spec.required) cmd.option(`--${kebab(arg)} <value>`, `${spec.help} (required)`);
      else if (spec.kind === "id") cmd.option(`--${kebab(arg)} <value>`, spec.help);
      else cmd.option(`--${kebab(arg)} <n>`, help);
    }
    cmd.exitOverride().action((opts: Record<string, unknown>) => {
      chosen = { step: name, input: opts };
    });
  }

  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help / --version are not errors.
      if (err.exitCode === 0) return EXIT.done;
      return EXIT.badInput;
    }
    throw err;
  }
  if (!chosen) {
    stderr(`error: missing step; one of: ${STEP_NAMES.join(", ")}`);
    return EXIT.badInput;
  }
  const parsed = parseStepInput(chosen.step, chosen.input);
  if (!parsed.ok) {
    for (const p of parsed.problems) stderr(`error: ${p}`);
    return EXIT.badInput;
  }
  const { step, args } = parsed;

  const clock = deps.clock ?? realClock;
  const log = new RedactingLogger(stderr);
  const clients = (deps.clients ?? createClients)(args.region);
  const started = clock.now();
  try {
    const result = await STEP_RUNNERS[step](args, clients, {
      clock,
      log,
      timeoutMs: args.timeoutMinutes * 60_000,
      limiter: new RateLimiter(clock, CUSTOM_KEY_STORE_RPS),
      readMaterial: deps.stdin ?? (() => readStdin()),
      xksExtraCaPem: deps.xksExtraCaPem,
    });
    stdout(
      log.redact(
        `${step}: ${result.status === "ALREADY_DONE" ? "already done" : "done"} (${result.state}) in ${formatDuration(clock.now() - started)}`,
      ),
    );
    return EXIT.done;
  } catch (err) {
    stderr(log.redact(oneLineError(step, err)));
    return EXIT.failed;
  }
}
