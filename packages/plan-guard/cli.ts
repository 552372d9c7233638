/**
 * `plan-guard <plan.json...> [--allowlist plan-guard.allow.json] [--summary out.md] [--markdown]`
 * (see README.md). Exit 0 nothing blocked, 1 blocked, 2 invalid input.
 */
import { runCli } from "./run-cli";

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // A bug, not a user mistake: still one line, and exit 2 so CI never reads it as "nothing blocked".
    console.error(`plan-guard: internal error: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 2;
  },
);
