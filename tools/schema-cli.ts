/**
 * `npm run schema`: writes `schema/environment.schema.json`, the JSON Schema of `ENV_CONFIG` files,
 * from the zod schema in `environments/schema.ts` (editors complete and check environment files
 * with it: `"$schema": "./schema/environment.schema.json"`). `--check` only compares and exits 1
 * when the file is out of date.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { environmentJsonSchemaText } from "../environments/schema";
import { reportError } from "../environments/errors";

const file = join(__dirname, "..", "schema", "environment.schema.json");
try {
  const text = environmentJsonSchemaText();
  let current = "";
  try {
    current = readFileSync(file, "utf8");
  } catch {
    // absent: written below (or reported as out of date with --check)
  }
  if (process.argv.includes("--check")) {
    if (current !== text) {
      process.stderr.write("schema/environment.schema.json is out of date: run npm run schema\n");
      process.exitCode = 1;
    }
  } else if (current !== text) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    process.stdout.write("wrote schema/environment.schema.json\n");
  }
} catch (e) {
  reportError(e);
}
