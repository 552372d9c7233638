/**
 * jest 29 + ts-jest in transpile-only mode: fast, and `npm run typecheck` does the type-checking.
 * Two projects, both run by `npm test` (docs/testing.md):
 * - "unit": every suite not listed in test/helpers/projects.js; in-process only (a child process
 *   throws: test/helpers/no-child-process.js), nothing in the background;
 * - "integration": the listed suites (Terraform, moto, npm, a shell, the built CLIs), with the
 *   background runs of their global setup (the offline plans, the emulator runs).
 * `npm test -- --selectProjects unit` runs one project; `npm test -- <file>` only that file's.
 */
const { INTEGRATION, integrationPatterns } = require("./test/helpers/projects");

const shared = {
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  // cdktf's archiver, loaded when first called rather than with cdktf (test/helpers/lazy-archiver.js).
  moduleNameMapper: { "^archiver$": "<rootDir>/test/helpers/lazy-archiver.js" },
};
// Run temp directory and the make-like build for both; the background runs for integration only.
// One setup module per project: jest runs each distinct module once, with the first test's project
// config (test/helpers/global-setup-unit.js says why that matters).
const hooks = (project) => ({
  globalSetup: `<rootDir>/test/helpers/global-setup-${project}.js`,
  globalTeardown: `<rootDir>/test/helpers/global-teardown-${project}.js`,
});
// cdktf's token creation stacks without jest's source maps (an Error's stack keeps them): a third of
// the CPU of a composition (test/helpers/plain-token-stacks.js).
const plainTokenStacks = "<rootDir>/test/helpers/plain-token-stacks.js";

module.exports = {
  testTimeout: 30000,
  // Two workers on the 2-core machines (jest would use one): the integration suites wait on child processes.
  maxWorkers: 2,
  reporters: ["default", "<rootDir>/test/helpers/summary-reporter.js"],
  // The suites that wait on the global setup's background runs go last (test/helpers/sequencer.js).
  testSequencer: "<rootDir>/test/helpers/sequencer.js",
  projects: [
    {
      ...shared,
      ...hooks("unit"),
      displayName: "unit",
      roots: ["<rootDir>/test"],
      testMatch: ["<rootDir>/test/**/*.test.ts"],
      testPathIgnorePatterns: ["/node_modules/", ...integrationPatterns],
      setupFilesAfterEnv: [plainTokenStacks, "<rootDir>/test/helpers/no-child-process.js"],
    },
    {
      ...shared,
      ...hooks("integration"),
      displayName: "integration",
      roots: ["<rootDir>/test"],
      testMatch: Object.keys(INTEGRATION).map((p) => `<rootDir>/${p}`),
      setupFilesAfterEnv: [plainTokenStacks],
    },
  ],
};
