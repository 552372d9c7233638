// ESLint 9 flat config: the recommended sets plus the rules that catch real bugs in this project.
// The TypeScript sources are linted with type information (typescript-eslint's project service over
// tsconfig.json) for the promise rules only: an un-awaited AWS call or Terraform run fails silently.
// The rest of recommendedTypeChecked (no-unsafe-* on every JSON.parse result) is not enabled.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";
import packageBoundaries from "./tools/eslint-rules/package-boundaries.cjs";

/** The package root is 10x slower to load than its deep paths (README "Speed"). */
const providerRoot = {
  name: "@cdktf/provider-aws",
  message: "Import the resource from @cdktf/provider-aws/lib/<resource> (the package root loads ~2,200 modules).",
};
/** AGPL, for the policy tests only: never in anything we ship or bundle (tools/test-only-packages.mjs). */
const testOnly = {
  group: ["@cloud-copilot/*"],
  message: "@cloud-copilot/iam-simulate and its data (AGPL) are for tests only: never import them outside test/.",
};
/** Constructs take plain props; stacks/ maps an environment onto them. */
const environmentsFromModules = {
  group: ["**/environments", "**/environments/**"],
  message:
    "modules/ must not import from environments/ (types included): take plain props and let stacks/ map the environment.",
};

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      ".build/",
      "cdktf.out/",
      "cdktn.out/",
      ".cdktf.out.partial-*/",
      "coverage/",
      ".gen/",
      ".scratch/",
      "packages/*/dist/",
      "schema/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      eqeqeq: ["error", "always"],
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrorsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
        },
      ],
      "@typescript-eslint/no-explicit-any": "error",
      "no-restricted-imports": ["error", { paths: [providerRoot], patterns: [testOnly] }],
    },
  },
  {
    files: ["modules/**"],
    rules: {
      "no-restricted-imports": ["error", { paths: [providerRoot], patterns: [testOnly, environmentsFromModules] }],
    },
  },
  {
    // Packages are self-contained; everything else uses a package through its entry point
    // (tools/eslint-rules/package-boundaries.cjs). Tests may reach package internals.
    files: ["**/*.ts", "**/*.js", "**/*.mjs", "**/*.cjs"],
    ignores: ["test/**"],
    plugins: { cmk: { rules: { "package-boundaries": packageBoundaries } } },
    rules: { "cmk/package-boundaries": ["error", { root: import.meta.dirname }] },
  },
  {
    files: ["test/**"],
    languageOptions: { globals: { ...globals.jest } },
    rules: {
      // Tests may hand the code under test deliberately malformed input.
      "@typescript-eslint/no-explicit-any": "off",
      "no-restricted-imports": ["error", { paths: [providerRoot] }],
    },
  },
  {
    // Plain JavaScript (build scripts, jest config and helpers): not in tsconfig.json, so no type information.
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
