// Compiles the TypeScript entry points with esbuild (no type-checking: `npm run typecheck` does
// that). Our own files are bundled, packages stay external so Node loads only the deep
// `@cdktf/provider-aws/lib/...` modules each entry really uses. The hook bundle is the exception:
// it inlines the AWS SDK so it runs anywhere with a bare Node (local runner, Lambda).
import { build } from "esbuild";
import { existsSync, readdirSync, statSync } from "node:fs";
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

/** Newest modification time among the files under `dir` (recursively). */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

// The hook bundle inlines the SDK, so it takes most of the build time: rebuild it only when a
// hook source or the lock file changed since it was last written.
const hookEntry = join(root, "hooks/cli.ts");
const hookOut = join(out, "hooks-bundle", "hooks.js");
const hookFresh =
  existsSync(hookOut) &&
  statSync(hookOut).mtimeMs >= Math.max(newest(join(root, "hooks")), statSync(join(root, "package-lock.json")).mtimeMs);
if (existsSync(hookEntry) && !hookFresh) {
  await build({ ...common, entryPoints: { "hooks": hookEntry }, outdir: join(out, "hooks-bundle"), minify: true, legalComments: "none" });
}
