/**
 * `npm run validate` end to end for the shipped environments: the real Terraform CLI and AWS
 * provider, offline. Skipped (with the reason in the test name) where no Terraform or mirror exists.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { findTerraform } from "../../tools/terraform/offline";

const tf = findTerraform();
const root = join(__dirname, "..", "..");
const run = tf.ok ? test : test.skip;
const name = tf.ok ? "npm run validate passes every shipped stack through terraform validate and plan" : `npm run validate (SKIPPED: ${tf.reason})`;

run(
  name,
  () => {
    const env = { ...process.env };
    delete env.ENV_CONFIG;
    const r = spawnSync(process.execPath, [join(root, ".build", "validate.js")], { cwd: root, env, encoding: "utf8" });
    const lines = r.stdout.trim().split("\n");
    const stackLines = lines.filter((l) => /^(ok|FAIL) /.test(l));
    expect(stackLines.map((l) => l.split(/\s+/)[1]).sort()).toEqual(["dev-data", "dev-keys", "prod-data", "prod-keys", "staging-data", "staging-keys"]);
    expect(stackLines.filter((l) => l.startsWith("FAIL"))).toEqual([]);
    expect(lines[lines.length - 1]).toBe("validate: 6 passed, 0 failed");
    expect(r.status).toBe(0);
  },
  180_000,
);
