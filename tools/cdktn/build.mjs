// The CDK Terrain compatibility build (`npm run synth:cdktn`, docs/toolchain.md): the app's SAME
// source (main.ts and everything it imports) bundled with `cdktf` replaced by `cdktn` and
// `@cdktf/provider-aws/lib/...` by `@cdktn/provider-aws/lib/...`, the same deep path. Both are
// devDependencies: no shipped bundle may contain them (`compatOnlyPackages` in
// tools/test-only-packages.mjs refuses them in every build of tools/build.mjs); this build alone maps them in.
// `@cdktf/provider-tls` has no CDK Terrain edition on npm: it is bundled as it is, its own
// `require("cdktf")` mapped to cdktn like ours (its constructs extend cdktn's classes).
// The two stubs of the cdktf app bundle (modules/cdktf/bundle-stubs.json) are not applied: cdktn
// no longer loads archiver, and its stack-trace module exports more than the stub replaces
// (CDKTN_DISABLE_CREATION_STACK=1 is its own switch for the same saving).
import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLI_NODE_TARGET } from "../build-targets.mjs";
import { newest } from "../newest-mtime.mjs";
import { testOnlyPackages } from "../test-only-packages.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CDKTN_BUNDLE = join(root, ".build", "cdktn", "main.js");

/** cdktf module specifier -> its cdktn equivalent, or undefined when it is not a cdktf module. */
export function cdktnSpecifier(specifier) {
  if (specifier === "cdktf" || specifier.startsWith("cdktf/")) return `cdktn${specifier.slice("cdktf".length)}`;
  if (specifier.startsWith("@cdktf/provider-aws/") || specifier === "@cdktf/provider-aws")
    return `@cdktn/provider-aws${specifier.slice("@cdktf/provider-aws".length)}`;
  return undefined;
}

const requireFromRoot = createRequire(join(root, "package.json"));
const toCdktn = {
  name: "cdktf-to-cdktn",
  setup(b) {
    b.onResolve({ filter: /^(cdktf|@cdktf\/provider-aws)(\/|$)/ }, (a) => {
      const mapped = cdktnSpecifier(a.path);
      try {
        return { path: requireFromRoot.resolve(mapped) };
      } catch {
        return { errors: [{ text: `${a.path} (imported by ${a.importer}) has no CDK Terrain equivalent ${mapped}` }] };
      }
    });
  },
};

/** Builds .build/cdktn/main.js unless it is newer than every source (like tools/build.mjs). */
export async function buildCdktn({ force = false } = {}) {
  const sources = ["main.ts", "environments", "stacks", "modules", "packages", "package-lock.json", "tools/cdktn"];
  const since = Math.max(...sources.map((p) => newest(join(root, p))));
  if (!force && existsSync(CDKTN_BUNDLE) && statSync(CDKTN_BUNDLE).mtimeMs >= since) return CDKTN_BUNDLE;
  const { build } = await import("esbuild");
  await build({
    bundle: true,
    platform: "node",
    target: CLI_NODE_TARGET,
    format: "cjs",
    logLevel: "warning",
    entryPoints: { main: join(root, "main.ts") },
    outdir: dirname(CDKTN_BUNDLE),
    // The mapping first: a cdktf import never reaches the other plugins.
    plugins: [toCdktn, testOnlyPackages],
    minifyWhitespace: true,
    minifySyntax: true,
  });
  return CDKTN_BUNDLE;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildCdktn({ force: process.argv.includes("--force") });
}
