/**
 * `npm run status -- <env> [--json] [--drift]`: the health of a deployed environment
 * (docs/operations.md#status). Exit 0 healthy, 1 degraded or not fully checked, 2 broken,
 * 64 usage or configuration error, 70 internal error.
 */
import type { Command } from "commander";
import { processIo, runOpsCli, type CliIo } from "./cli-common";
import { terraformDriftRunner } from "./drift";
import { runStatus, type DriftRunner } from "./status";

export function statusCli(
  argv: readonly string[],
  io: CliIo = processIo,
  drift: DriftRunner = terraformDriftRunner(),
): Promise<number> {
  return runOpsCli<{ json?: boolean; drift?: boolean }>(
    "status",
    argv,
    io,
    (p: Command) =>
      p
        .description("read-only health of a deployed environment: key stores, HSMs, backups, XKS, keys, alarms, drift")
        .option(
          "--drift",
          "also run terraform plan -detailed-exitcode in each synthesized stack (needs backend access; minutes)",
        ),
    async (env, clients, opts, progress) => ({
      findings: await runStatus(env, clients, { progress, now: io.now, drift: opts.drift ? drift : undefined }),
    }),
  );
}

if (require.main === module) {
  void statusCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
