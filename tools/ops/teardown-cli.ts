/** `npm run teardown -- <env> [--execute]`: see tools/ops/teardown.ts and docs/operations.md. */
import { runTeardownCli } from "./teardown-run-cli";

void runTeardownCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
