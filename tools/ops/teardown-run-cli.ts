/** The teardown's command line as a function (the entry point only calls it), with injectable dependencies for tests. */
import { createInterface } from "node:readline/promises";
import { existsSync } from "node:fs";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { FSxClient } from "@aws-sdk/client-fsx";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { Command } from "commander";
import { realClock, type Clock } from "../../hooks/lib/clock";
import { CUSTOM_KEY_STORE_RPS, RateLimiter } from "../../hooks/lib/rate-limiter";
import { SDK_RETRY_CONFIG } from "../../hooks/lib/retry";
import { CLOUDWATCH, inRange, KMS } from "@cmk-stacks/aws-limits";
import { ConfigError } from "../../environments/errors";
import { lineOutput, parseWithUnknownOptions, shownArg } from "./cli-common";
import { createOpsClients, destroyOpsClients } from "./clients";
import { loadEnvironment } from "./env";
import { runTeardown } from "./teardown";
import type { TeardownClients, TeardownIo, TeardownOptions, TerraformRunner } from "./teardown-steps/model";
import { createTerraformRunner } from "./teardown-steps/terraform-runner";

/** What the command line needs from outside (tests replace each). */
export interface TeardownCliDeps {
  readonly out?: (line: string) => void;
  readonly err?: (line: string) => void;
  readonly confirm?: TeardownIo["confirm"];
  /** Clients for a Region; default: the operator's session (tools/ops/clients.ts) plus CloudWatch Logs and FSx. */
  readonly clients?: (region: string) => { clients: TeardownClients; close: () => void };
  readonly terraform?: TerraformRunner;
  readonly clock?: Clock;
  /** Region of an environment; default: its resolved configuration. */
  readonly regionOf?: (env: string) => string;
  readonly pollMs?: number;
  readonly maxWaitMs?: number;
}

interface Flags {
  execute?: boolean;
  yes?: boolean;
  deleteObjects?: boolean;
  deleteFileSystems?: boolean;
  deleteBackups?: boolean;
  unusedFor: string;
  force?: boolean;
  window?: string;
  cloudtrailLogGroup?: string;
  alarmTopic?: string;
  withoutAlarm?: boolean;
  allowlist?: string;
}

function program(out: (l: string) => void, err: (l: string) => void): Command {
  const cmd = new Command("teardown")
    .description(
      "Takes an environment down in AWS's order: data stack, keys (scheduled for deletion), key stores and CloudHSM clusters, keys stack. Dry run unless --execute; every run continues from where things are.",
    )
    .argument("<env>", "environment name (dev, staging, prod, or one from ENV_CONFIG)")
    .option("--execute", "act (default: describe what would be done)")
    .option("--yes", "do not ask before each phase acts (automation)")
    .option("--delete-objects", "delete every object version and delete marker of non-empty buckets")
    .option("--delete-file-systems", "let Terraform delete FSx file systems (back their volumes up first)")
    .option("--delete-backups", "delete the CloudHSM backups that still hold key material once the cluster is gone")
    .option("--unused-for <days>", "refuse to delete a key used within this many days", "30")
    .option("--force", "delete keys used within --unused-for all the same")
    .option(
      "--window <days>",
      `pending window for key deletion, ${KMS.DELETION_WINDOW_DAYS.min}-${KMS.DELETION_WINDOW_DAYS.max} days (default: each key's configured window)`,
    )
    .option(
      "--cloudtrail-log-group <name>",
      "CloudWatch Logs group of the account's CloudTrail trail, for the alarm on use of a key pending deletion",
    )
    .option("--alarm-topic <arn>", "SNS topic that alarm notifies")
    .option("--without-alarm", "schedule key deletion without that alarm")
    .option("--allowlist <file>", "committed plan-guard allowlist (default: plan-guard.allow.json when it exists)")
    .addHelpText(
      "after",
      "\nExit codes: 0 finished, or a dry run with nothing refused; 1 refused or failed (nothing more applied), 3 waiting for AWS (run again on the day printed), 64 usage or configuration error.\nSee docs/operations.md#teardown.",
    );
  return lineOutput(cmd, out, err);
}

/** Every problem with the flags at once, each naming the flag. */
export function flagProblems(f: Flags): string[] {
  const p: string[] = [];
  if (!/^\d+$/.test(f.unusedFor)) p.push(`--unused-for must be a whole number of days (got ${shownArg(f.unusedFor)})`);
  const window = KMS.DELETION_WINDOW_DAYS;
  if (f.window !== undefined && (!/^\d+$/.test(f.window) || !inRange(window, Number(f.window))))
    p.push(
      `--window must be a whole number of days from ${window.min} to ${window.max}, KMS's pending window (got ${shownArg(f.window)})`,
    );
  if (f.withoutAlarm && (f.cloudtrailLogGroup || f.alarmTopic))
    p.push("--without-alarm cannot be combined with --cloudtrail-log-group or --alarm-topic");
  if (f.alarmTopic !== undefined && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(f.alarmTopic))
    p.push(`--alarm-topic must be an SNS topic ARN (got ${shownArg(f.alarmTopic)})`);
  if (f.cloudtrailLogGroup !== undefined && !CLOUDWATCH.LOG_GROUP_NAME.regex.test(f.cloudtrailLogGroup))
    p.push(`--cloudtrail-log-group must be a CloudWatch Logs group name (got ${shownArg(f.cloudtrailLogGroup)})`);
  if (f.yes && !f.execute) p.push("--yes only makes sense with --execute");
  return p;
}

async function ttyConfirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

function defaultClients(region: string): { clients: TeardownClients; close: () => void } {
  const ops = createOpsClients(region);
  const logs = new CloudWatchLogsClient({ region, ...SDK_RETRY_CONFIG });
  const fsx = new FSxClient({ region, ...SDK_RETRY_CONFIG });
  const scheduler = new SchedulerClient({ region, ...SDK_RETRY_CONFIG });
  return {
    clients: { kms: ops.kms, s3: ops.s3, cloudhsm: ops.cloudhsm, cloudwatch: ops.cloudwatch, logs, fsx, scheduler },
    close: () => {
      destroyOpsClients(ops);
      logs.destroy();
      fsx.destroy();
      scheduler.destroy();
    },
  };
}

/** Runs the command line; resolves with the exit code: 0 finished or dry run, 1 refused or failed, 3 waiting for AWS, 64 usage or configuration error (as status and doctor). */
export async function runTeardownCli(argv: readonly string[], deps: TeardownCliDeps = {}): Promise<number> {
  const out = deps.out ?? ((l: string) => console.log(l));
  const err = deps.err ?? ((l: string) => console.error(l));
  const cmd = program(out, err);
  const parsed = parseWithUnknownOptions("teardown", cmd, argv, err, 64, () => flagProblems(cmd.opts<Flags>()));
  if ("exitCode" in parsed) return parsed.exitCode;
  const { unknownLines } = parsed;
  const f = cmd.opts<Flags>();
  const env = cmd.args[0];
  const problems = [...unknownLines, ...flagProblems(f)];
  let region: string | undefined;
  try {
    region = deps.regionOf ? deps.regionOf(env) : loadEnvironment(env).region;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.message.split("\n"));
  }
  if (problems.length || !region) {
    for (const p of problems) err(`teardown: ${p}`);
    return 64;
  }
  const opts: TeardownOptions = {
    env,
    region,
    execute: Boolean(f.execute),
    yes: Boolean(f.yes),
    deleteObjects: Boolean(f.deleteObjects),
    deleteFileSystems: Boolean(f.deleteFileSystems),
    deleteBackups: Boolean(f.deleteBackups),
    unusedForDays: Number(f.unusedFor),
    force: Boolean(f.force),
    withoutAlarm: Boolean(f.withoutAlarm),
    ...(f.window !== undefined ? { pendingWindowDays: Number(f.window) } : {}),
    ...(f.cloudtrailLogGroup ? { cloudTrailLogGroup: f.cloudtrailLogGroup } : {}),
    ...(f.alarmTopic ? { alarmTopicArn: f.alarmTopic } : {}),
  };
  const clock = deps.clock ?? realClock;
  const made = (deps.clients ?? defaultClients)(region);
  const allowlistFile = f.allowlist ?? (existsSync("plan-guard.allow.json") ? "plan-guard.allow.json" : undefined);
  const confirm =
    deps.confirm ??
    (async (q: string) => {
      const yes = await ttyConfirm(q);
      if (!yes && !process.stdin.isTTY) err("teardown: no terminal to confirm on: pass --yes to confirm in advance");
      return yes;
    });
  try {
    const result = await runTeardown(opts, {
      clients: made.clients,
      terraform: deps.terraform ?? createTerraformRunner(),
      io: { out, confirm },
      clock,
      kmsLimiter: new RateLimiter(clock, CUSTOM_KEY_STORE_RPS, 1000),
      ...(allowlistFile ? { allowlistFile } : {}),
      ...(deps.pollMs !== undefined ? { pollMs: deps.pollMs } : {}),
      ...(deps.maxWaitMs !== undefined ? { maxWaitMs: deps.maxWaitMs } : {}),
    });
    return result.exitCode;
  } catch (e) {
    err(`teardown: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    made.close();
  }
}
