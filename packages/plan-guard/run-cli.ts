/** The plan guard's command line, as a function (the entry point `cli.ts` only calls it). */
import { existsSync, writeFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { loadAllowlist } from "./allowlist";
import { describeChange } from "./changes";
import { classifyPlans } from "./classify";
import { formatResult } from "./format";
import { loadLiveClusters } from "./live-clusters";
import { oneLine } from "./markdown";
import { actionOf } from "./plan-index";
import { InputError, type Allowlist, type LoadedPlan } from "./model";
import { readPlanFile } from "./read";
import { renderSummary } from "./summary";
import { mdText } from "./markdown";
import { IAM } from "@cmk-stacks/aws-limits";
import {
  checkLastUse,
  DEFAULT_LAST_USE_TIMEOUT_MS,
  MAX_LAST_USE_TIMEOUT_S,
  lastUseLines,
  lastUseMarkdown,
  lastUseTargets,
  sdkLastUsageReader,
  type LastUseClock,
  type LastUseEntry,
  type LastUsageReader,
} from "./last-use";

/** Where the command line writes (injectable for tests). */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** The clock allowlist expiry dates are checked against (tests). @default - the system clock */
  readonly now?: () => Date;
  /** Where `--last-use` reads GetKeyLastUsage (tests inject one). @default - the AWS SDK's KMS client, when installed */
  readonly lastUseReader?: () => Promise<LastUsageReader | { readonly unavailable: string }>;
  /** The clock of `--last-use`'s rate limit and deadline (tests). @default - the system clock */
  readonly lastUseClock?: LastUseClock;
}

const DEFAULT_ALLOWLIST = "plan-guard.allow.json";

/** A flag's value in a problem line: quoted and escaped (no control character reaches the terminal), long ones cut. */
const shown = (v: string): string =>
  v.length > 200 ? `${JSON.stringify(v.slice(0, 160))}... (${v.length} characters)` : JSON.stringify(v);

interface Options {
  allowlist?: string;
  summary?: string;
  markdown?: boolean;
  quiet?: boolean;
  changes?: boolean;
  lastUse?: boolean;
  lastUseTimeout?: string;
  region?: string;
  cloudhsmClusters?: string;
}

function program(io: CliIo): Command {
  return (
    new Command("plan-guard")
      .description(
        "Fails when Terraform plans would delete, replace or forget key- or data-bearing resources, or make keys unusable.",
      )
      .argument("<plan.json...>", "`terraform show -json` output, one file per stack; `name=path` names the stack")
      .option("--allowlist <file>", `committed allowlist (default: ${DEFAULT_ALLOWLIST} when it exists)`)
      .option("--summary <file>", "write the Markdown summary for a pull-request comment")
      .option("--markdown", "print the Markdown summary on stdout instead of the line report")
      .option("--quiet", "print only blocked changes, errors and the verdict")
      .option(
        "--cloudhsm-clusters <file>",
        "output of `aws cloudhsmv2 describe-clusters`: names the HSM AWS put in place of one the plan would re-create",
      )
      .option(
        "--changes",
        "also print every change with the values it sets (secrets masked, policies as rights gained and lost)",
      )
      .option(
        "--last-use",
        "with read-only AWS credentials: for every key the plans delete, disable, narrow or repoint, when KMS last saw it used and for what (GetKeyLastUsage); never changes the verdict",
      )
      .option(
        "--last-use-timeout <seconds>",
        `bound on all --last-use requests together (default ${DEFAULT_LAST_USE_TIMEOUT_MS / 1000})`,
      )
      .option(
        "--region <region>",
        "--last-use: the Region of keys whose ARN the plan does not show (default: AWS_REGION)",
      )
      // Unknown options are reported with every other input error (runCli), not one per run.
      .allowUnknownOption()
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
      .showHelpAfterError(false)
  );
}

/**
 * Runs the plan guard and resolves with its exit code: 0 nothing blocked, 1 blocked, 2 unreadable
 * or invalid input (usage, plan or allowlist). Never throws for a user's mistake.
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo = { out: (l) => console.log(l), err: (l) => console.error(l) },
): Promise<number> {
  const cmd = program(io);
  try {
    cmd.parse([...argv], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  const opts = cmd.opts<Options>();
  const inputErrors: string[] = [];
  const plans: LoadedPlan[] = [];
  const known = cmd.options.map((o) => o.long).filter((f): f is string => f !== undefined);
  for (const arg of cmd.args.filter((a) => a.startsWith("-") && a !== "-"))
    inputErrors.push(`unknown option ${shown(arg.split("=")[0])} (options: ${known.join(", ")}, --help)`);
  for (const arg of cmd.args.filter((a) => !a.startsWith("-") || a === "-")) {
    try {
      plans.push(readPlanFile(arg));
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      inputErrors.push(e.message);
    }
  }
  const seen = new Map<string, number>();
  const named = plans.map((p) => {
    // Two files with the same stack name would mix their allowlist matches: number the later ones.
    const n = (seen.get(p.stack) ?? 0) + 1;
    seen.set(p.stack, n);
    return n === 1 ? p : { ...p, stack: `${p.stack}#${n}` };
  });
  let allowlist: Allowlist | undefined;
  const allowFile = opts.allowlist ?? (existsSync(DEFAULT_ALLOWLIST) ? DEFAULT_ALLOWLIST : undefined);
  if (allowFile) {
    try {
      allowlist = loadAllowlist(allowFile);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      inputErrors.push(e.message);
    }
  }
  // The flags' problems are input errors too: reported with the others, all at once.
  let timeoutMs = DEFAULT_LAST_USE_TIMEOUT_MS;
  if (opts.lastUseTimeout !== undefined) {
    const seconds = Number(opts.lastUseTimeout);
    if (!/^[0-9]+$/.test(opts.lastUseTimeout) || seconds < 1 || seconds > MAX_LAST_USE_TIMEOUT_S)
      inputErrors.push(
        `--last-use-timeout: ${shown(opts.lastUseTimeout)} is not a whole number of seconds (1 or more, at most ${MAX_LAST_USE_TIMEOUT_S})`,
      );
    else timeoutMs = seconds * 1000;
  }
  if (opts.region !== undefined && !IAM.REGION.regex.test(opts.region))
    inputErrors.push(`--region: ${shown(opts.region)} is not ${IAM.REGION.allowed}`);
  let cloudHsmClusters;
  if (opts.cloudhsmClusters) {
    try {
      cloudHsmClusters = loadLiveClusters(opts.cloudhsmClusters);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      inputErrors.push(e.message);
    }
  }
  const result = classifyPlans(named, allowlist, {
    inputErrors,
    ...(io.now ? { now: io.now() } : {}),
    ...(cloudHsmClusters ? { cloudHsmClusters } : {}),
  });
  for (const e of result.inputErrors) io.err(`plan-guard: ${e}`);
  let lastUse: LastUseEntry[] | undefined;
  // Invalid input asks AWS nothing.
  if (opts.lastUse && result.inputErrors.length === 0) {
    const reader = await (io.lastUseReader ?? sdkLastUsageReader)();
    lastUse = await checkLastUse(lastUseTargets(named), reader, {
      timeoutMs,
      defaultRegion: opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
      ...(io.lastUseClock ? { clock: io.lastUseClock } : {}),
    });
  }
  const summary = renderSummary(result) + (lastUse ? lastUseMarkdown(lastUse, mdText) : "");
  if (opts.summary) {
    try {
      writeFileSync(opts.summary, summary);
    } catch (e) {
      io.err(
        `plan-guard: ${opts.summary}: cannot write the summary (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
      return 2;
    }
  }
  if (opts.changes && !opts.quiet) {
    for (const p of named) {
      for (const rc of p.plan.resource_changes ?? []) {
        const action = actionOf(rc.change.actions);
        if (action === "no-op" || action === "read") continue;
        io.out(oneLine(`CHANGE [${p.stack}] ${rc.address} (${action})`));
        for (const l of describeChange(rc)) io.out(`    ${oneLine(l)}`);
      }
    }
  }
  if (opts.markdown) io.out(summary);
  else {
    const all = formatResult(result).filter((l) => !l.startsWith("ERROR "));
    // The last-use lines go before the verdict (the last line); plan text never starts a line.
    const lines = lastUse ? [...all.slice(0, -1), ...lastUseLines(lastUse).map(oneLine), ...all.slice(-1)] : all;
    for (const l of opts.quiet
      ? lines.filter(
          (x) =>
            x.startsWith("BLOCKED") ||
            x.startsWith("plan-guard:") ||
            x.startsWith("LAST-USE") ||
            (result.blocked.length > 0 && x.startsWith("PLAN ")),
        )
      : lines)
      io.out(l);
  }
  return result.exitCode;
}
