/**
 * The command-line runner's entry (the hook bundle `hooks.js`, tools/build.mjs): starts `runCli` on
 * the process's arguments. Kept apart from hooks/cli.ts so that code importing `runCli` (the
 * `restore` command, tests) never starts the runner too: inside a bundle, `require.main === module`
 * is true for every inlined module.
 */
import { awsErrorCode, errorMessage } from "./lib/errors";
import { EXIT, runCli } from "./cli";

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
