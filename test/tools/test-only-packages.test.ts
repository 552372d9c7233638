import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = join(__dirname, "..", "..");
const IMPORT = /(from\s+|require\(\s*|import\(\s*)["']@cloud-copilot\//;

function* sources(path: string): Generator<string> {
  if (statSync(path).isDirectory()) {
    for (const e of readdirSync(path)) if (e !== "node_modules") yield* sources(join(path, e));
  } else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(path)) yield path;
}

test("no shipped source (app, tools, packages, hooks) imports the AGPL test-only evaluator", () => {
  const importing = ["main.ts", "environments", "stacks", "modules", "hooks", "tools", "packages"]
    .flatMap((p) => [...sources(join(root, p))])
    .filter((f) => IMPORT.test(readFileSync(f, "utf8")))
    .map((f) => relative(root, f));
  expect(importing).toEqual([]);
});

test("the build refuses a bundle that would contain it (the plugin every build in tools/build.mjs uses)", () => {
  const script = `
    import { build } from "esbuild";
    import { testOnlyPackages } from "./tools/test-only-packages.mjs";
    for (const packages of ["external", undefined]) {
      try {
        await build({ stdin: { contents: 'import { runSimulation } from "@cloud-copilot/iam-simulate"; console.log(runSimulation);', resolveDir: process.cwd(), sourcefile: "leak.ts", loader: "ts" },
          bundle: true, platform: "node", write: false, packages, plugins: [testOnlyPackages], logLevel: "silent" });
        console.log("bundled");
      } catch (e) { console.log(e.errors[0].text); }
    }`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" })
    .trim()
    .split("\n");
  expect(out).toEqual([
    `@cloud-copilot/iam-simulate is a test-only package (AGPL-licensed devDependency): it must never enter a bundle (imported by ${join(root, "leak.ts")})`,
    `@cloud-copilot/iam-simulate is a test-only package (AGPL-licensed devDependency): it must never enter a bundle (imported by ${join(root, "leak.ts")})`,
  ]);
});

test("the shipped builds refuse CDK Terrain (devDependencies of the compatibility build only)", () => {
  const script = `
    import { build } from "esbuild";
    import { compatOnlyPackages } from "./tools/test-only-packages.mjs";
    for (const spec of ["cdktn", "cdktn/lib/_tokens", "@cdktn/provider-aws/lib/kms-key"]) {
      try {
        await build({ stdin: { contents: 'import * as x from "' + spec + '"; console.log(x);', resolveDir: process.cwd(), sourcefile: "leak.ts", loader: "ts" },
          bundle: true, platform: "node", write: false, packages: "external", plugins: [compatOnlyPackages], logLevel: "silent" });
        console.log("bundled");
      } catch (e) { console.log(e.errors[0].text); }
    }`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" })
    .trim()
    .split("\n");
  expect(out).toEqual(
    ["cdktn", "cdktn/lib/_tokens", "@cdktn/provider-aws/lib/kms-key"].map(
      (spec) =>
        `${spec} is CDK Terrain, a devDependency of the compatibility build only (npm run synth:cdktn, docs/toolchain.md): shipped code imports cdktf (imported by ${join(root, "leak.ts")})`,
    ),
  );
});
