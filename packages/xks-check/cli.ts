/**
 * `xks-check [--env <name> | --endpoint https://<name> --uri-path <path> --region <region> --key <id>...]`
 * (see README.md). Exit 0 all checks passed, 1 a check failed, 2 bad input.
 */
import { runCli } from "./run-cli";

// On Node 20 the AWS SDK prints a 7-line NodeVersionSupportWarning at its first client (the
// Secrets Manager read of --credential-secret); the tool's output is its own lines only.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // A bug, not a proxy problem: one line, exit 2, and only the message (never request headers).
    console.error(`xks-check: internal error: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 2;
  },
);
