/**
 * The built command (`node .build/state-bucket.js`, as `npm run state-bucket` runs it): an
 * integration suite (test/helpers/projects.js). The tool against mocked clients runs in-process:
 * test/tools/state-bucket/state-bucket.test.ts.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { environments } from "../../../environments";

test("the built command (npm run state-bucket) refuses an unknown environment with one line and exit 1", () => {
  const r = spawnSync(
    process.execPath,
    [join(__dirname, "..", "..", "..", ".build", "state-bucket.js"), "no-such-env"],
    { encoding: "utf8", env: { PATH: process.env.PATH } },
  );
  expect(r.status).toBe(1);
  expect(r.stderr.trim()).toBe(
    `state-bucket: no environment "no-such-env" (environments: ${Object.keys(environments).join(", ")})`,
  );
});
