/** `npm run restore -- <env> [--backup-id <id>]`: see tools/ops/restore-run-cli.ts and docs/cloudhsm.md#restore. */
import { runRestoreCli } from "./restore-run-cli";

void runRestoreCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
