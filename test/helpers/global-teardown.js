// Stops the background offline Terraform run if a filtered test run finished before it, and
// removes its scratch directory (kept with CMK_KEEP_WORK=1, for a look at the plans), then this
// run's temporary directory with everything the tests left in it (test/helpers/run-temp.js).
const { rmSync } = require("node:fs");
const { dirname } = require("node:path");
const { removeRunTemp } = require("./run-temp");

module.exports = async () => {
  const child = globalThis.__cmkOfflineChild;
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
  }
  if (process.env.CMK_OFFLINE && !process.env.CMK_KEEP_WORK) {
    const { results } = JSON.parse(process.env.CMK_OFFLINE);
    rmSync(dirname(results), { recursive: true, force: true });
  }
  removeRunTemp();
};
