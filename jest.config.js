/** jest 29 + ts-jest in transpile-only mode: fast, and `npm run typecheck` does the type-checking. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  testTimeout: 30000,
  reporters: ["default", "<rootDir>/test/helpers/summary-reporter.js"],
  globalSetup: "<rootDir>/test/helpers/global-setup.js",
};
