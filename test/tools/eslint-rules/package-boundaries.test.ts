/**
 * The lint rule that keeps the workspace packages self-contained (tools/eslint-rules/package-boundaries.cjs):
 * it fires on every way out of a package and every way into one that is not its name, and the
 * repository's eslint.config.mjs applies it everywhere but the tests.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Linter } from "eslint";
import tseslint from "typescript-eslint";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const rule = require("../../../tools/eslint-rules/package-boundaries.cjs");

const repo = join(__dirname, "..", "..", "..");
/** A repository of its own: package `a` declares commander and the workspace package `b`. */
const root = mkdtempSync(join(tmpdir(), "pkg-boundaries-"));
beforeAll(() => {
  const write = (path: string, text: string): void => {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write(
    "packages/a/package.json",
    JSON.stringify({ name: "@cmk-stacks/a", devDependencies: { commander: "14.0.3", "@cmk-stacks/b": "0.1.0" } }),
  );
  write("packages/b/package.json", JSON.stringify({ name: "@cmk-stacks/b" }));
  for (const dir of ["tools", "environments", "hooks"]) mkdirSync(join(root, dir), { recursive: true });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The rule's messages for `code` as file `path` of that repository. */
function lint(path: string, code: string): string[] {
  const linter = new Linter({ configType: "flat", cwd: root });
  const config = [
    {
      files: ["**/*.ts"],
      languageOptions: { parser: tseslint.parser as Linter.Parser, sourceType: "module" as const },
      plugins: { cmk: { rules: { "package-boundaries": rule } } },
      rules: { "cmk/package-boundaries": ["error", { root }] as Linter.RuleEntry },
    },
  ];
  return linter.verify(code, config, { filename: join(root, path) }).map((m) => m.message);
}

describe("inside packages/a/", () => {
  const inA = "packages/a/rules/probe.ts";
  test.each([
    [
      'import { plan } from "../../../tools/terraform/offline";',
      '"../../../tools/terraform/offline" leaves packages/a/',
    ],
    [
      'import type { EnvironmentConfig } from "../../../environments/types";',
      '"../../../environments/types" leaves packages/a/',
    ],
    ['export * from "../../b/model";', '"../../b/model" leaves packages/a/'],
    ['export { x } from "../../../hooks/x";', '"../../../hooks/x" leaves packages/a/'],
    ['async function f() { return import("../../../environments"); }', '"../../../environments" leaves packages/a/'],
    ["async function f() { return import(`../../../environments`); }", '"../../../environments" leaves packages/a/'],
    ['const m = require("../../../tools/ci/cli");', '"../../../tools/ci/cli" leaves packages/a/'],
    ['import x = require("../../../hooks/lib/errors");', '"../../../hooks/lib/errors" leaves packages/a/'],
    [
      'type T = import("../../../environments/types").EnvironmentConfig;',
      '"../../../environments/types" leaves packages/a/',
    ],
    ['import "../..";', '"../.." leaves packages/a/'],
    [
      'import { x } from "/srv/repo/environments/types";',
      '"/srv/repo/environments/types" is a path into the repository, not a package',
    ],
    ['import { x } from "environments/types";', '"environments/types" is a path into the repository, not a package'],
    ['import { z } from "zod";', '"zod": zod is not declared in packages/a/package.json'],
    [
      'import { s } from "@aws-sdk/client-kms/dist-cjs/x";',
      '"@aws-sdk/client-kms/dist-cjs/x": @aws-sdk/client-kms is not declared in packages/a/package.json',
    ],
    [
      'import { rule } from "@cmk-stacks/b/rules";',
      '"@cmk-stacks/b/rules" reaches into @cmk-stacks/b: import the package by its name ("@cmk-stacks/b")',
    ],
  ])("refuses %s", (code, start) => {
    const messages = lint(inA, code);
    expect(messages).toHaveLength(1);
    expect(messages[0].startsWith(start)).toBe(true);
  });

  test("allows its own files, Node built-ins and declared packages by name", () => {
    const code = [
      'import { actionOf } from "../plan-index";',
      'import { a } from "./probe-2";',
      'export * from "../model";',
      'import { readFileSync } from "node:fs";',
      'import { join } from "path";',
      'import { Command } from "commander";',
      'import { rule } from "@cmk-stacks/b";',
      'async function f() { return import("../lazy"); }',
      "async function g(p: string) { return import(p); }",
    ].join("\n");
    expect(lint(inA, code)).toEqual([]);
  });
});

describe("outside the packages", () => {
  test.each([
    [
      "tools/ci/probe.ts",
      'import { classifyPlans } from "../../packages/b/classify";',
      '"../../packages/b/classify" is a path into packages/b/: import the package by its name ("@cmk-stacks/b")',
    ],
    [
      "tools/ci/probe.ts",
      'import { classifyPlans } from "../../packages/b";',
      '"../../packages/b" is a path into packages/b/: import the package by its name ("@cmk-stacks/b")',
    ],
    [
      "tools/bench/probe.ts",
      'async function f() { return import("../../packages/b/bench"); }',
      '"../../packages/b/bench" is a path into packages/b/',
    ],
    [
      "hooks/steps/probe.ts",
      'import type { XksCheckOptions } from "../../packages/a/model";',
      '"../../packages/a/model" is a path into packages/a/: import the package by its name ("@cmk-stacks/a")',
    ],
    ["main.ts", 'export * from "./packages/b/index";', '"./packages/b/index" is a path into packages/b/'],
    [
      "tools/ci/probe.ts",
      'import { digest } from "@cmk-stacks/b/digest";',
      '"@cmk-stacks/b/digest" reaches into @cmk-stacks/b: import the package by its name ("@cmk-stacks/b")',
    ],
  ])("%s: refuses %s", (path, code, start) => {
    const messages = lint(path, code);
    expect(messages).toHaveLength(1);
    expect(messages[0].startsWith(start)).toBe(true);
  });

  test("allows a package by its name, and anything else", () => {
    expect(
      lint(
        "tools/ci/probe.ts",
        'import { classifyPlans, type PlanJson } from "@cmk-stacks/b";\nimport { x } from "../terraform/offline";\nimport { z } from "zod";',
      ),
    ).toEqual([]);
  });
});

test("the repository's eslint.config.mjs applies it to everything but the tests, and it fires there", () => {
  // A child process: ESLint loads its flat config with import(), which jest's module sandbox does not provide.
  const script = `
    import { ESLint } from "eslint";
    const eslint = new ESLint({ cwd: process.cwd() });
    const files = ["packages/plan-guard/classify.ts", "packages/xks-check/rules/x.ts", "tools/ci/cli.ts", "hooks/steps/x.ts", "stacks/x.ts", "environments/x.ts", "main.ts", "tools/build.mjs", "test/packages/plan-guard/rules.test.ts"];
    const on = {};
    for (const f of files) on[f] = (await eslint.calculateConfigForFile(f)).rules?.["cmk/package-boundaries"]?.[0] ?? 0;
    // Plain JavaScript files go through the same config without type information: a quick end-to-end run.
    const probes = [
      ["packages/plan-guard/probe.mjs", 'import { offline } from "../../tools/terraform/offline.ts";\\nexport { offline };\\n'],
      ["tools/probe.mjs", 'import { classifyPlans } from "../packages/plan-guard/classify.ts";\\nexport { classifyPlans };\\n'],
    ];
    const fired = {};
    for (const [filePath, code] of probes) fired[filePath] = (await eslint.lintText(code, { filePath }))[0].messages.map((m) => m.ruleId + ": " + m.message);
    console.log(JSON.stringify({ on, fired }));
  `;
  const out = JSON.parse(
    execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: repo, encoding: "utf8" }),
  ) as { on: Record<string, number>; fired: Record<string, string[]> };
  expect(out.on).toEqual({
    "packages/plan-guard/classify.ts": 2,
    "packages/xks-check/rules/x.ts": 2,
    "tools/ci/cli.ts": 2,
    "hooks/steps/x.ts": 2,
    "stacks/x.ts": 2,
    "environments/x.ts": 2,
    "main.ts": 2,
    "tools/build.mjs": 2,
    "test/packages/plan-guard/rules.test.ts": 0,
  });
  expect(out.fired).toEqual({
    "packages/plan-guard/probe.mjs": [
      expect.stringMatching(
        /^cmk\/package-boundaries: "\.\.\/\.\.\/tools\/terraform\/offline\.ts" leaves packages\/plan-guard\//,
      ),
    ],
    "tools/probe.mjs": [
      expect.stringMatching(
        /^cmk\/package-boundaries: "\.\.\/packages\/plan-guard\/classify\.ts" is a path into packages\/plan-guard\/: import the package by its name \("@cmk-stacks\/plan-guard"\)/,
      ),
    ],
  });
}, 60_000);
