// The integration project's global setup: a module of its own (see global-setup-unit.js for why).
const setup = require("./global-setup");

module.exports = (globalConfig, projectConfig) =>
  setup(globalConfig, { ...projectConfig, displayName: { name: "integration" } });
