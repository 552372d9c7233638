/** The restore command line as a function (the entry point only calls it), with injectable dependencies for tests. */
import { CloudHSMV2Client } from "@aws-sdk/client-cloudhsm-v2";
import { EC2Client } from "@aws-sdk/client-ec2";
import { Command } from "commander";
import { HOOKS } from "@cmk-stacks/aws-limits";
import { isUserError } from "../../environments/errors";
import type { ResolvedEnvironment } from "../../environments/resolve";
import { runCli as runHookCli } from "../../hooks/cli";
import { createClients } from "../../hooks/lib/clients";
import type { Clock } from "../../hooks/lib/clock";
import { SDK_RETRY_CONFIG } from "../../hooks/lib/retry";
import { ID_PATTERNS, isIsoTime } from "../../hooks/lib/validate";
import { lineOutput, parseWithUnknownOptions, shownArg } from "./cli-common";
import { loadEnvironment } from "./env";
import { findRestoreTargets, restoredSetting, type RestoreClients } from "./restore";

/** Exit codes: as teardown (0 done, 1 failed, 64 usage or configuration). */
export const RESTORE_EXIT = { done: 0, failed: 1, usage: 64 } as const;

export interface RestoreCliDeps {
  readonly out?: (line: string) => void;
  readonly err?: (line: string) => void;
  readonly clients?: (region: string) => { clients: RestoreClients; close: () => void };
  readonly clock?: Clock;
  readonly loadEnv?: (name: string) => ResolvedEnvironment;
}

interface Flags {
  backupId?: string;
  lastConnected?: string;
  subnetIds?: string;
  timeoutMinutes: string;
}

function program(out: (l: string) => void, err: (l: string) => void): Command {
  const cmd = new Command("restore")
    .description(
      "Restores an environment's CloudHSM key store whose cluster is lost (CLUSTER_NOT_FOUND, SUBNET_NOT_FOUND, INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET): a cluster from a READY backup with an HSM in each AZ, the same store pointed at it, connected, every key proven; then prints the cloudHsm.restored setting that reconciles Terraform without replacing anything.",
    )
    .argument("<env>", "environment name (a shipped environment, or one in the ENV_CONFIG file)")
    .option("--backup-id <id>", "backup to restore (default: the newest READY backup of the store's cluster)")
    .option(
      "--last-connected <time>",
      "when the store last connected, ISO 8601 UTC (CloudTrail ConnectCustomKeyStore); overrides the lookup; a backup newer than that skips the kmsuser password reset (default: the store's newest ConnectCustomKeyStore event in CloudTrail's 90-day event history; none found or no access: reset)",
    )
    .option(
      "--subnet-ids <ids>",
      "subnets of the restored cluster, comma-separated, one per HSM AZ (default: the environment's)",
    )
    .option(
      "--timeout-minutes <n>",
      `overall budget, ${HOOKS.RUN_TIMEOUT_MINUTES.min}-${HOOKS.RUN_TIMEOUT_MINUTES.max} (a re-run resumes where it stopped)`,
      String(HOOKS.RUN_TIMEOUT_MINUTES.max),
    )
    .addHelpText(
      "after",
      "\nExit codes: 0 restored, 1 failed (re-run: it resumes), 64 usage or configuration error.\nCredentials: the standard AWS chain. See docs/cloudhsm.md#restore.",
    );
  return lineOutput(cmd, out, err);
}

/** Every problem with the flags at once, each naming the flag. */
export function restoreFlagProblems(f: Flags): string[] {
  const p: string[] = [];
  if (f.backupId !== undefined && !ID_PATTERNS.backupId.test(f.backupId))
    p.push(`--backup-id must be a CloudHSM backup id (backup-...) (got ${shownArg(f.backupId)})`);
  if (f.lastConnected !== undefined && !isIsoTime(f.lastConnected))
    p.push(
      `--last-connected must be an ISO 8601 UTC time of a real day such as 2026-12-01T10:00:00Z (got ${shownArg(f.lastConnected)})`,
    );
  if (f.subnetIds !== undefined && !ID_PATTERNS.subnetIds.test(f.subnetIds))
    p.push(`--subnet-ids must be subnet ids separated by commas (got ${shownArg(f.subnetIds)})`);
  else if (f.subnetIds !== undefined && new Set(f.subnetIds.split(",")).size !== f.subnetIds.split(",").length)
    p.push(`--subnet-ids must name each subnet once, one per HSM AZ (got ${shownArg(f.subnetIds)})`);
  const t = Number(f.timeoutMinutes);
  if (!/^\d+$/.test(f.timeoutMinutes) || t < HOOKS.RUN_TIMEOUT_MINUTES.min || t > HOOKS.RUN_TIMEOUT_MINUTES.max)
    p.push(
      `--timeout-minutes must be a whole number from ${HOOKS.RUN_TIMEOUT_MINUTES.min} to ${HOOKS.RUN_TIMEOUT_MINUTES.max} (got ${shownArg(f.timeoutMinutes)})`,
    );
  return p;
}

function defaultClients(region: string): { clients: RestoreClients; close: () => void } {
  const hooks = createClients(region);
  const ec2 = new EC2Client({ region, ...SDK_RETRY_CONFIG });
  return {
    clients: { ...hooks, ec2 },
    close: () => {
      for (const c of [hooks.kms, hooks.ssm, hooks.secrets, hooks.cloudtrail, ec2] as { destroy?: () => void }[])
        c.destroy?.();
      (hooks.cloudhsm as unknown as CloudHSMV2Client).destroy?.();
    },
  };
}

/** Runs `npm run restore -- <env> ...`; resolves with the exit code. */
export async function runRestoreCli(argv: readonly string[], deps: RestoreCliDeps = {}): Promise<number> {
  const out = deps.out ?? ((l: string) => console.log(l));
  const err = deps.err ?? ((l: string) => console.error(l));
  const cmd = program(out, err);
  const parsed = parseWithUnknownOptions("restore", cmd, argv, err, RESTORE_EXIT.usage, () =>
    restoreFlagProblems(cmd.opts<Flags>()),
  );
  if ("exitCode" in parsed) return parsed.exitCode;
  const { unknownLines } = parsed;
  const f = cmd.opts<Flags>();
  const problems = [...unknownLines, ...restoreFlagProblems(f)];
  let env: ResolvedEnvironment | undefined;
  try {
    env = (deps.loadEnv ?? loadEnvironment)(cmd.args[0]);
  } catch (e) {
    if (!isUserError(e)) throw e;
    problems.push(...e.lines);
  }
  if (problems.length || !env) {
    for (const p of problems) err(`restore: ${p}`);
    return RESTORE_EXIT.usage;
  }
  const hsm = env.cloudHsm;
  const made = (deps.clients ?? defaultClients)(env.region);
  try {
    const found = await findRestoreTargets(env, made.clients, f.subnetIds?.split(","));
    if (!found.targets || !hsm) {
      for (const p of found.problems) err(`restore: ${p}`);
      return RESTORE_EXIT.usage;
    }
    const t = found.targets;
    // The step itself, through the hook runner (its checks, redacting logger and bounded waits).
    const args = [
      "restore-key-store",
      "--region",
      env.region,
      "--key-store-id",
      t.keyStoreId,
      "--subnet-ids",
      t.subnetIds.join(","),
      "--hsm-type",
      hsm.hsmType,
      ...(hsm.hsmType === "hsm1.medium" ? [] : ["--mode", hsm.mode]),
      ...(f.backupId ? ["--backup-id", f.backupId] : []),
      ...(f.lastConnected ? ["--last-connected", f.lastConnected] : []),
      "--instance-id",
      t.instanceId,
      "--admin-secret-arn",
      t.adminSecretArn,
      "--kmsuser-secret-arn",
      t.kmsuserSecretArn,
      "--trust-anchor-parameter",
      t.trustAnchorParameter,
      "--timeout-minutes",
      f.timeoutMinutes,
    ];
    const code = await runHookCli(args, {
      clients: () => made.clients,
      ...(deps.clock ? { clock: deps.clock } : {}),
      stdout: out,
      stderr: err,
    });
    if (code !== 0) {
      // Repointed but not finished (e.g. the kmsuser reset could not reach the new HSMs: the
      // admin host is admitted to the restored cluster's security group only by Terraform).
      const partial =
        code === 2 ? undefined : await restoredSetting(env, made.clients, t.keyStoreId).catch(() => undefined);
      if (partial)
        err(
          [
            `restore: the store already uses the restored cluster ${partial.clusterId}. Set cloudHsm.restored to`,
            JSON.stringify(partial, null, 2),
            "and apply the keys stack (it imports the cluster and admits the admin host to its security group), then run npm run restore again: it resumes. docs/cloudhsm.md#restore",
          ].join("\n"),
        );
      return code === 2 ? RESTORE_EXIT.usage : RESTORE_EXIT.failed;
    }
    const setting = await restoredSetting(env, made.clients, t.keyStoreId);
    if (!setting) {
      err("restore: the store does not use a restored cluster after the step; check it with npm run status");
      return RESTORE_EXIT.failed;
    }
    out(
      [
        "",
        `Now reconcile Terraform: in environment ${env.name}, set cloudHsm.restored to`,
        JSON.stringify(setting, null, 2),
        "then npm run plan: the plan guard shows the restore (the restored cluster and HSMs imported, the lost ones forgotten, nothing replaced); apply it. docs/cloudhsm.md#restore",
      ].join("\n"),
    );
    return RESTORE_EXIT.done;
  } catch (e) {
    err(`restore: ${e instanceof Error ? e.message : String(e)}`);
    return RESTORE_EXIT.failed;
  } finally {
    made.close();
  }
}
