// Builds the bundles once (the hook bundle is a CDKTF asset the stacks reference).
const { execFileSync } = require("node:child_process");
const { join } = require("node:path");

module.exports = async () => {
  execFileSync(process.execPath, [join(__dirname, "..", "..", "tools", "build.mjs")], { stdio: "inherit" });
};
