/**
 * Local runner of the bootstrap hooks (bundled to `.build/hooks-bundle/hooks.js`).
 *
 * CONTRACT (Terraform `terraform_data` + `local-exec` runs exactly this):
 *
 *   node hooks.js <step> --region <region> [--timeout-minutes <n>] <step flags>
 *
 *   step                 flags (all required unless marked optional)
 *   initialize-cluster   --cluster-id --certificate-parameter --trust-anchor-parameter
 *   activate-cluster     --cluster-id --instance-id --admin-secret-arn --trust-anchor-parameter
 *   set-backup-retention --cluster-id [--days <7-379>, default 90]
 *   wait-hsms-active     --cluster-id [--min-hsms <n>, default 2]
 *   create-kmsuser       --cluster-id --instance-id --admin-secret-arn --kmsuser-secret-arn
 *                        --trust-anchor-parameter [--force]
 *   connect-key-store    --key-store-id
 *   reset-kmsuser-password --key-store-id --instance-id --admin-secret-arn --kmsuser-secret-arn
 *                        --trust-anchor-parameter [--force]   (operator-run recovery, not in the graph)
 *
 *   --region             AWS Region (required for every step)
 *   --timeout-minutes    overall budget of the step, default 45
 *
 * Inputs are ids and names only, never secrets (passwords live in Secrets Manager).
 * Exit codes: 0 done (or already done), 1 failed (one line on stderr: `[step id] CODE: what.
 * Next: action`, no stack), 2 bad input (unknown step, missing or malformed flag).
 * Progress goes to stderr, one line per state change; the final line goes to stdout.
 *
 * The same bundle also exports the Lambda handler (`hooks.handler`), see lambda.ts.
 */
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { createClients, type HookClients } from "./lib/clients";
import { formatDuration, realClock, type Clock } from "./lib/clock";
import { awsErrorCode, errorMessage } from "./lib/errors";
import { oneLineError } from "./lib/one-line";
import { RedactingLogger } from "./lib/logger";
import { RateLimiter, CUSTOM_KEY_STORE_RPS } from "./lib/rate-limiter";
import { checkStepArgs, kebab, STEPS, type StepArgs, type StepName } from "./registry";

export { handler } from "./lambda";

/** What `runCli` needs from the outside world (tests inject fakes). */
export interface CliDeps {
  readonly clients?: (region: string) => HookClients;
  readonly clock?: Clock;
  readonly stdout?: (line: string) => void;
  readonly stderr?: (line: string) => void;
}

/** Exit codes of the CLI contract. */
export const EXIT = { done: 0, failed: 1, badInput: 2 } as const;

const DEFAULT_TIMEOUT_MINUTES = 45;

/** Parses `argv` (without `node` and the script), runs the step, returns the exit code. */
export async function runCli(argv: readonly string[], deps: CliDeps = {}): Promise<number> {
  const stdout = deps.stdout ?? ((line: string) => process.stdout.write(`${line}\n`));
  const stderr = deps.stderr ?? ((line: string) => process.stderr.write(`${line}\n`));
  let chosen: { step: StepName; args: StepArgs; timeoutMinutes: number } | undefined;

  const program = new Command("hooks")
    .description("CMK bootstrap hooks: idempotent steps Terraform cannot do")
    .exitOverride()
    .configureOutput({ writeOut: (s) => stdout(s.trimEnd()), writeErr: (s) => stderr(s.trimEnd()) });

  for (const [name, def] of Object.entries(STEPS) as [StepName, (typeof STEPS)[StepName]][]) {
    const cmd = program.command(name).requiredOption("--region <region>", "AWS Region").option("--timeout-minutes <n>", "overall budget of the step", positiveInt, DEFAULT_TIMEOUT_MINUTES);
    for (const id of def.required) cmd.requiredOption(`--${kebab(id)} <value>`);
    if (name === "create-kmsuser") cmd.option("--force", "verify kmsuser on every HSM even if already verified");
    if (name === "reset-kmsuser-password") cmd.option("--force", "also reset a CONNECTED store (it is disconnected first: its keys are unusable until it reconnects)");
    if (name === "wait-hsms-active") cmd.option("--min-hsms <n>", "ACTIVE HSMs needed", positiveInt, 2);
    if (name === "set-backup-retention") cmd.option("--days <n>", "days CloudHSM keeps backups (7-379)", positiveInt, 90);
    cmd.exitOverride().action((opts: Record<string, unknown>) => {
      chosen = { step: name, args: toStepArgs(opts), timeoutMinutes: Number(opts.timeoutMinutes) };
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
    stderr(`error: missing step; one of: ${Object.keys(STEPS).join(", ")}`);
    return EXIT.badInput;
  }
  const problems = checkStepArgs(chosen.step, chosen.args);
  if (problems.length) {
    for (const p of problems) stderr(`error: ${p}`);
    return EXIT.badInput;
  }

  const clock = deps.clock ?? realClock;
  const log = new RedactingLogger(stderr);
  const clients = (deps.clients ?? createClients)(chosen.args.region);
  const started = clock.now();
  try {
    const result = await STEPS[chosen.step].run(chosen.args, clients, {
      clock,
      log,
      timeoutMs: chosen.timeoutMinutes * 60_000,
      limiter: new RateLimiter(clock, CUSTOM_KEY_STORE_RPS),
    });
    stdout(log.redact(`${chosen.step}: ${result.status === "ALREADY_DONE" ? "already done" : "done"} (${result.state}) in ${formatDuration(clock.now() - started)}`));
    return EXIT.done;
  } catch (err) {
    stderr(log.redact(oneLineError(chosen.step, err)));
    return EXIT.failed;
  }
}

/** Commander's parsed options as StepArgs (strings, numbers and booleans only). */
function toStepArgs(opts: Record<string, unknown>): StepArgs {
  const str = (k: string) => (typeof opts[k] === "string" ? (opts[k] as string) : undefined);
  return {
    region: str("region") ?? "",
    clusterId: str("clusterId"),
    keyStoreId: str("keyStoreId"),
    instanceId: str("instanceId"),
    adminSecretArn: str("adminSecretArn"),
    kmsuserSecretArn: str("kmsuserSecretArn"),
    certificateParameter: str("certificateParameter"),
    trustAnchorParameter: str("trustAnchorParameter"),
    force: opts.force === true,
    minHsms: typeof opts.minHsms === "number" ? opts.minHsms : undefined,
    days: typeof opts.days === "number" ? opts.days : undefined,
  };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`must be a positive integer. Received: ${value}`);
  return n;
}

if (require.main === module) {
  // On Node 20 the AWS SDK prints a 7-line NodeVersionSupportWarning at its first client; the
  // runner's output is its own lines only. (Set here, not in runCli: the Lambda runs Node 22+.)
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`[hooks] ${awsErrorCode(err)}: ${errorMessage(err)}\n`);
      process.exit(EXIT.failed);
    },
  );
}
