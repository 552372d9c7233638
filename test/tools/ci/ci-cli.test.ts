/**
 * The built CI tool and the built main program, run as the workflows run them (`node .build/ci.js`,
 * `node .build/main.js`): an integration suite (test/helpers/projects.js). The rest of the CI
 * helpers' tests run in-process: test/tools/ci/ci.test.ts.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ciEnvironments } from "../../../tools/ci/envs";
import { changedEnvironments } from "../../../tools/ci/changed";
import { environments } from "../../../environments";

const work = mkdtempSync(join(tmpdir(), "cmk-ci-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

test("`npm run -s envs` prints the matrix entries", () => {
  const r = spawnSync(process.execPath, [join(__dirname, "..", "..", "..", ".build", "ci.js"), "envs"], {
    encoding: "utf8",
  });
  expect(JSON.parse(r.stdout)).toEqual([
    { env: "dev", secretSuffix: "DEV" },
    { env: "staging", secretSuffix: "STAGING" },
    { env: "prod", secretSuffix: "PROD" },
  ]);
});

test("the same commit synthesized twice is identical: a push that changes no stack deploys nothing", () => {
  const envs = ciEnvironments(environments);
  const a = mkdtempSync(join(work, "synth-a-"));
  const b = mkdtempSync(join(work, "synth-b-"));
  const main = join(__dirname, "..", "..", "..", ".build", "main.js");
  for (const d of [a, b]) {
    const r = spawnSync(process.execPath, [main], {
      encoding: "utf8",
      env: { ...process.env, CDKTF_OUTDIR: d, CMK_REQUIRE_REMOTE_STATE: "1" },
    });
    expect(r.status).toBe(0);
  }
  expect(changedEnvironments(envs, a, b).matrix).toEqual([]);
}, 60_000);
