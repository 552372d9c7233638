// Compiles the TypeScript entry points with esbuild (no type-checking: `npm run typecheck` does
// that). Our own files are bundled, packages stay external so Node loads only the deep
// `@cdktf/provider-aws/lib/...` modules each entry really uses. The hook bundle is the exception:
// it inlines the AWS SDK so it runs anywhere with a bare Node (local runner, Lambda).
import { build } from "esbuild";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, ".build");

/** name in .build -> entry source. Missing entries are skipped (not every tool exists yet). */
const tools = {
  main: "main.ts",
  config: "tools/config-cli.ts",
  validate: "tools/validate/cli.ts",
  bench: "tools/bench/cli.ts",
  "plan-guard": "tools/plan-guard/cli.ts",
  "xks-check": "tools/xks-check/cli.ts",
};

const entryPoints = Object.fromEntries(
  Object.entries(tools)
    .filter(([, src]) => existsSync(join(root, src)))
    .map(([name, src]) => [name, join(root, src)]),
);

const common = { bundle: true, platform: "node", target: "node20", format: "cjs", logLevel: "warning", sourcemap: false };

await build({ ...common, entryPoints, outdir: out, packages: "external" });

const hookEntry = join(root, "hooks/cli.ts");
if (existsSync(hookEntry)) {
  await build({ ...common, entryPoints: { "hooks": hookEntry }, outdir: join(out, "hooks-bundle"), minify: true, legalComments: "none" });
}
