/** jest 29 + ts-jest in transpile-only mode: fast, and `npm run typecheck` does the type-checking. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  testTimeout: 30000,
  // Two workers on the 2-core machines (jest would use one): the Terraform-backed suites wait on child processes.
  maxWorkers: 2,
  reporters: ["default", "<rootDir>/test/helpers/summary-reporter.js"],
  // The files that wait on the global setup's background runs go last (test/helpers/sequencer.js).
  testSequencer: "<rootDir>/test/helpers/sequencer.js",
  globalSetup: "<rootDir>/test/helpers/global-setup.js",
  globalTeardown: "<rootDir>/test/helpers/global-teardown.js",
};
