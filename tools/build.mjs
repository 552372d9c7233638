// Compiles the TypeScript entry points with esbuild (no type-checking: `npm run typecheck` does
// that), only when a source is newer than its output. The tools bundle our files and leave
// packages external (Node loads only the deep `@cdktf/provider-aws/lib/...` modules they use); the
// app bundles its packages too (see below). The hook bundle inlines the AWS SDK as well, so it
// runs anywhere with a bare Node (local runner, Lambda).
import { createWriteStream, existsSync, readFileSync, renameSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLI_NODE_TARGET, LAMBDA_NODE_TARGET } from "./build-targets.mjs";
import { newest } from "./newest-mtime.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, ".build");

/** name in .build -> entry source. Missing entries are skipped (not every tool exists yet). */
const tools = {
  main: "main.ts",
  config: "tools/config-cli.ts",
  schema: "tools/schema-cli.ts",
  docs: "tools/docs/cli.ts",
  validate: "tools/validate/cli.ts",
  bench: "tools/bench/cli.ts",
  "plan-guard": "packages/plan-guard/cli.ts",
  "xks-check": "tools/xks-check/cli.ts",
  ci: "tools/ci/cli.ts",
  deploy: "tools/deploy/cli.ts",
  "state-bucket": "tools/state-bucket/cli.ts",
  status: "tools/ops/status-cli.ts",
  doctor: "tools/ops/doctor-cli.ts",
  emulator: "tools/emulator/cli.ts",
  teardown: "tools/ops/teardown-cli.ts",
  "synth-cdktn": "tools/cdktn/cli.ts",
  restore: "tools/ops/restore-cli.ts",
};

const entryPoints = Object.fromEntries(
  Object.entries(tools)
    .filter(([, src]) => existsSync(join(root, src)))
    .map(([name, src]) => [name, join(root, src)]),
);

const hookOut = join(out, "hooks-bundle", "hooks.js");
// The Lambda's own bundle: the handler only, compiled for the function's runtime.
const lambdaOut = join(out, "hooks-lambda", "hooks.js");
const zipOut = join(out, "hooks-lambda.zip");

// Like make: nothing to do when every output is newer than every source (a synth right after
// another, or after `npm test` built it, skips esbuild's start-up: ~0.7 s).
const sourcesNewest = Math.max(
  ...["main.ts", "environments", "stacks", "modules", "tools", "packages", "hooks", "package-lock.json"].map((p) =>
    newest(join(root, p)),
  ),
);
// The hook steps use xks-check (rotate-xks-credential) and the rulebook: packages/ is a hook source too.
const hooksNewest = Math.max(
  newest(join(root, "hooks")),
  newest(join(root, "packages")),
  newest(join(root, "package-lock.json")),
);
const fresh = (o, since) => existsSync(o) && statSync(o).mtimeMs >= since;
if (
  !process.argv.includes("--force") &&
  Object.keys(entryPoints).every((n) => fresh(join(out, `${n}.js`), sourcesNewest)) &&
  fresh(hookOut, hooksNewest) &&
  fresh(lambdaOut, hooksNewest) &&
  fresh(zipOut, hooksNewest)
) {
  process.exit(0);
}

const { build } = await import("esbuild");
const { default: archiver } = await import("archiver");

const common = {
  bundle: true,
  platform: "node",
  target: CLI_NODE_TARGET,
  format: "cjs",
  logLevel: "warning",
  sourcemap: false,
};
// Every build refuses test-only packages (tools/test-only-packages.mjs).
const { testOnlyPackages, compatOnlyPackages } = await import("./test-only-packages.mjs");
common.plugins = [testOnlyPackages, compatOnlyPackages];

// The workspace packages (packages/*, `@cmk-stacks/<name>`) are TypeScript sources, not built
// modules Node could load: the tools bundle them even though other packages stay external. Only
// their entry point: a deep import of a package's internals is refused here as by the lint rule.
const workspacePackages = {
  name: "workspace-packages",
  setup(b) {
    b.onResolve({ filter: /^@cmk-stacks\// }, (a) => {
      const [, name, ...rest] = a.path.split("/");
      const dir = join(root, "packages", name);
      if (rest.length > 0 || !existsSync(join(dir, "package.json"))) {
        return {
          errors: [
            {
              text: `${a.path}: import a workspace package by its name only (its entry point, packages/<name>/index.ts), never its internals (imported by ${a.importer})`,
            },
          ],
        };
      }
      // Its TypeScript entry: `types` (packages/<name>/package.json; `main` would put it in the tarball).
      return { path: join(dir, JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).types) };
    });
  },
};

const { main: mainEntry, ...toolEntries } = entryPoints;
await build({
  ...common,
  plugins: [testOnlyPackages, compatOnlyPackages, workspacePackages],
  entryPoints: toolEntries,
  outdir: out,
  packages: "external",
});

// The app (run by every synth) is bundled WITH its packages: one file to compile instead of ~600
// modules to resolve, and two things cdktf does that synthesis does not need are replaced:
// - `archiver` (loaded by cdktf's asset code, ~120 ms): archives are made above, never at synth;
// - token creation-stack capture (a full stack trace per token, ~150 ms): it only decorates
//   cdktf's own errors about misused tokens, which the jest suite (unbundled cdktf) still shows.
// Same output byte for byte (test/stacks/main-cli.test.ts compares both).
// The replacements are listed, with their reasons, in modules/cdktf/bundle-stubs.json (one place
// for every cdktf internal this project relies on: modules/cdktf/internals.ts).
const { stubs } = JSON.parse(readFileSync(join(root, "modules", "cdktf", "bundle-stubs.json"), "utf8"));
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const synthOnly = {
  name: "synth-only",
  setup(b) {
    for (const [i, stub] of stubs.entries()) {
      if (stub.module) {
        b.onResolve({ filter: new RegExp(`^${escape(stub.module)}$`) }, () => ({
          path: String(i),
          namespace: "synth-only",
        }));
      } else {
        const file = new RegExp(`${stub.file.split("/").map(escape).join("[\\\\/]")}$`);
        b.onLoad({ filter: file }, () => ({ contents: stub.contents, loader: "js" }));
      }
    }
    b.onLoad({ filter: /.*/, namespace: "synth-only" }, (args) => ({
      contents: stubs[Number(args.path)].contents,
      loader: "js",
    }));
  },
};
if (mainEntry) {
  await build({
    ...common,
    entryPoints: { main: mainEntry },
    outdir: out,
    plugins: [testOnlyPackages, compatOnlyPackages, synthOnly],
    minifyWhitespace: true,
    minifySyntax: true,
  });
}

// The hook bundle inlines the SDK, so it takes most of the build time: rebuild it only when a
// hook source or the lock file changed since it was last written.
const hookEntry = join(root, "hooks/main.ts");
if (existsSync(hookEntry) && !fresh(hookOut, hooksNewest)) {
  await build({
    ...common,
    entryPoints: { hooks: hookEntry },
    outdir: join(out, "hooks-bundle"),
    minify: true,
    legalComments: "none",
  });
}
const lambdaEntry = join(root, "hooks/lambda.ts");
if (existsSync(lambdaEntry) && !fresh(lambdaOut, hooksNewest)) {
  await build({
    ...common,
    target: LAMBDA_NODE_TARGET,
    entryPoints: { hooks: lambdaEntry },
    outdir: join(out, "hooks-lambda"),
    minify: true,
    legalComments: "none",
  });
}

// The Lambda runner's code: the Lambda bundle as a zip, made here once rather than by cdktf's
// ARCHIVE asset at every synth (which zips in a child Node process, ~0.4 s a run). Fixed entry
// date and mode, so the same bundle always gives the same bytes and hash (no spurious update).
if (existsSync(lambdaOut) && !fresh(zipOut, statSync(lambdaOut).mtimeMs)) {
  const tmp = `${zipOut}.tmp`;
  await new Promise((resolve, reject) => {
    const zip = archiver("zip", { zlib: { level: 9 } });
    const stream = createWriteStream(tmp);
    stream.on("close", resolve);
    zip.on("error", reject);
    zip.pipe(stream);
    zip.file(lambdaOut, { name: "hooks.js", date: new Date("1980-01-01T00:00:00Z"), mode: 0o644 });
    void zip.finalize();
  });
  renameSync(tmp, zipOut);
}
