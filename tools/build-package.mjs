// Builds a workspace package's command (packages/<name>) into one self-contained file,
// packages/<name>/dist/<bin>.js: its TypeScript, the workspace packages it imports by name and every
// npm package it uses are bundled (nothing else of the repository: checked below), so the published
// package has no runtime dependencies and installs from its tarball alone
// (`npm install --offline <tarball>` in any repository).
// Run by the package's `prepack` script (`npm pack --workspace packages/<name>`) or by hand:
//   node tools/build-package.mjs packages/plan-guard
// The repository's own `npm run plan:guard` / `npm run xks:check` keep using tools/build.mjs.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { CLI_NODE_TARGET } from "./build-targets.mjs";
import { testOnlyPackages } from "./test-only-packages.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = resolve(process.argv[2] ?? process.cwd());
const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
const bins = Object.entries(typeof pkg.bin === "string" ? { [pkg.name]: pkg.bin } : (pkg.bin ?? {}));
if (bins.length !== 1) {
  console.error(`build-package: ${join(dir, "package.json")}: bin must name exactly one command`);
  process.exit(2);
}
const [[, binPath]] = bins;
const outfile = join(dir, binPath);
const dist = dirname(outfile);

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
const result = await build({
  entryPoints: [join(dir, "cli.ts")],
  outfile,
  bundle: true,
  platform: "node",
  target: CLI_NODE_TARGET,
  format: "cjs",
  logLevel: "warning",
  sourcemap: false,
  minify: true,
  // Licence texts go to THIRD-PARTY-LICENSES.txt (below), whole, rather than as comment fragments.
  legalComments: "none",
  metafile: true,
  absWorkingDir: root, // metafile paths are relative to it
  banner: { js: "#!/usr/bin/env node" },
  plugins: [testOnlyPackages],
  // Optional peer dependencies stay out of the bundle: loaded at run time only by the option that
  // needs them (plan-guard --last-use imports @aws-sdk/client-kms when asked, and says per key that
  // it could not check when the SDK is not installed), so the published command stays small.
  external: Object.keys(pkg.peerDependencies ?? {}),
});
// Self-contained: the bundle holds the package's own files, npm packages and the workspace packages
// (packages/<name>, imported by name), never the rest of the repository (environments/, tools/, ...).
const own = relative(root, dir);
const strays = Object.keys(result.metafile.inputs)
  .map((input) => relative(root, resolve(root, input)))
  .filter(
    (p) => !p.split(sep).includes("node_modules") && !p.startsWith(own + sep) && !/^packages[\\/][^\\/]+[\\/]/.test(p),
  );
if (strays.length > 0) {
  rmSync(dist, { recursive: true, force: true });
  console.error(
    `build-package: ${pkg.name} bundles files from outside packages/ (a package imports nothing outside its folder but packages by name):\n  ${strays.join("\n  ")}`,
  );
  process.exit(2);
}
// The package is Apache-2.0 like the repository: ship the licence text with it.
copyFileSync(join(root, "LICENSE"), join(dist, "LICENSE"));

// Every npm package that went into the bundle, with its licence text (MIT, Apache-2.0 and the like
// require the notice to travel with the code): name@version, licence, then the package's LICENSE file.
const packageDirs = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const parts = relative(root, resolve(root, input)).split(sep);
  const at = parts.lastIndexOf("node_modules");
  // A workspace package this one imports by name (`@cmk-stacks/aws-limits`) is bundled too: named like the others.
  if (at < 0 && parts[0] === "packages" && join(root, parts[0], parts[1]) !== dir)
    packageDirs.add(join(root, parts[0], parts[1]));
  if (at < 0) continue;
  const name = parts[at + 1].startsWith("@") ? parts.slice(at + 1, at + 3) : [parts[at + 1]];
  packageDirs.add(join(root, ...parts.slice(0, at + 1), ...name));
}
const notices = [...packageDirs]
  .map((d) => {
    const p = JSON.parse(readFileSync(join(d, "package.json"), "utf8"));
    const file = readdirSync(d).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    const text =
      file && existsSync(join(d, file))
        ? readFileSync(join(d, file), "utf8").trim()
        : `(no licence file in the package; package.json says ${p.license})`;
    return { id: `${p.name}@${p.version}`, text: `${p.name}@${p.version} (${p.license ?? "see below"})\n\n${text}\n` };
  })
  .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
const header = `${pkg.name} bundles the following packages in ${binPath}.\n`;
writeFileSync(
  join(dist, "THIRD-PARTY-LICENSES.txt"),
  [header, ...notices.map((n) => n.text)].join(`\n${"-".repeat(72)}\n\n`),
);
