// The unit project's global setup. jest runs each distinct globalSetup module ONCE per run, with the
// config of the first test that names it (@jest/core runGlobalHook): with one module for both
// projects, a run whose first test was a unit test never started the integration project's
// background runs, and the suites waiting for them were skipped. One module per project fixes it.
const setup = require("./global-setup");

module.exports = (globalConfig, projectConfig) =>
  setup(globalConfig, { ...projectConfig, displayName: { name: "unit" } });
