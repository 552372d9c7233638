/**
 * `npm run doctor -- <env> [--json] [--repository owner/name] [--plan-role arn] [--deploy-role arn]`:
 * is the account ready for the environment's first deploy (docs/operations.md#doctor)? Exit codes
 * as status: 0 ready, 1 degraded or not fully checked, 2 broken, 64 usage, 70 internal.
 */
import type { Command } from "commander";
import { createOpsClients, destroyOpsClients } from "./clients";
import { processIo, runOpsCli, type CliIo } from "./cli-common";
import { runDoctor } from "./doctor";

export function doctorCli(
  argv: readonly string[],
  io: CliIo = processIo,
  tfc?: { baseUrl?: string; fetch?: typeof fetch },
): Promise<number> {
  return runOpsCli<{ json?: boolean; repository?: string; planRole?: string; deployRole?: string }>(
    "doctor",
    argv,
    io,
    (p: Command) =>
      p
        .description(
          "read-only checks before an environment's first deploy: quotas, service-linked roles, free addresses, named network resources, the CloudHSM CLI source, the state backend, GitHub OIDC",
        )
        .option(
          "--repository <owner/name>",
          "GitHub repository whose OIDC subjects the CI roles must trust (default: GITHUB_REPOSITORY)",
        )
        .option("--plan-role <arn>", "the pull-request plan role (default: AWS_PLAN_ROLE_<ENV>)")
        .option("--deploy-role <arn>", "the deploy role (default: AWS_DEPLOY_ROLE_<ENV>)"),
    async (env, clients, opts, progress) => {
      const stateRegion = env.backend.type === "s3" ? env.backend.region : undefined;
      const other =
        stateRegion && stateRegion !== env.region ? (io.clients ?? createOpsClients)(stateRegion) : undefined;
      try {
        const findings = await runDoctor(env, clients, {
          progress,
          repository: opts.repository,
          planRole: opts.planRole,
          deployRole: opts.deployRole,
          stateS3: other?.s3,
          tfc,
        });
        return { findings };
      } finally {
        if (other && !io.clients) destroyOpsClients(other);
      }
    },
  );
}

if (require.main === module) {
  void doctorCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
