/**
 * `npm run docs`: regenerates the configuration reference in `docs/configuration.md` (between its
 * markers) from the environment schema and the constraint tables (tools/docs/config-reference.ts).
 * `--check` only compares and exits 1 when the page is out of date (test/tools/docs/config-reference.test.ts
 * does the same in the test suite).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { reportError } from "../../environments/errors";
import { replaceBetweenMarkers } from "./config-reference";
import { CONFIGURATION_PAGE, configurationReference } from "./configuration";

function main(): void {
  const file = join(__dirname, "..", CONFIGURATION_PAGE);
  const current = readFileSync(file, "utf8");
  const next = replaceBetweenMarkers(current, configurationReference());
  if (process.argv.includes("--check")) {
    if (current !== next) {
      process.stderr.write(`${CONFIGURATION_PAGE} is out of date: run npm run docs\n`);
      process.exitCode = 1;
    }
  } else if (current !== next) {
    writeFileSync(file, next);
    process.stdout.write(`wrote ${CONFIGURATION_PAGE}\n`);
  }
}

try {
  main();
} catch (e) {
  reportError(e);
}
