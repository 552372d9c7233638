/**
 * plan-guard and xks-check as packages: each workspace is packed (`npm pack --workspace`, which
 * runs its `prepack` build), the tarball installed OFFLINE in a directory outside this repository
 * (an empty npm cache, `--offline`: nothing can be fetched, so the tarball must carry everything),
 * and its command run there with `npx`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(__dirname, "..", "..");

/** The supported Node.js LTS lines, as the repository's own package.json names them. */
const ROOT_ENGINES = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { engines: { node: string } })
  .engines.node;

test.each(["plan-guard", "xks-check"])(
  "%s names the repository's Node.js LTS lines in engines and its README",
  (dir) => {
    expect(ROOT_ENGINES).toBe("^22.12.0 || ^24.0.0 || ^26.0.0");
    const manifest = JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8")) as {
      engines: { node: string };
    };
    expect(manifest.engines).toEqual({ node: ROOT_ENGINES });
    const readme = readFileSync(join(root, "packages", dir, "README.md"), "utf8");
    expect(readme).not.toMatch(/Node(\.js)? 20\+/);
    expect(readme).toContain("Node.js 22, 24 or 26");
  },
);

/** The environment for a child npm: none of the `npm test` run's npm_* settings (workspace, prefix...). */
function npmEnv(cache: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return {
    ...env,
    npm_config_cache: cache,
    npm_config_update_notifier: "false",
    npm_config_audit: "false",
    npm_config_fund: "false",
  };
}

interface PackResult {
  readonly filename: string;
  readonly files: readonly { path: string }[];
}

/** A command's run in the installed package, beyond `--help`: it works with no repository around it. */
interface Run {
  readonly files: Readonly<Record<string, string>>;
  readonly args: readonly string[];
  readonly status: number;
  readonly stdout: readonly string[];
  readonly stderr: RegExp;
}

const cases: { dir: string; name: string; usage: RegExp; run: Run }[] = [
  {
    dir: "plan-guard",
    name: "@cmk-stacks/plan-guard",
    usage: /^Usage: plan-guard \[options\] <plan\.json\.\.\.>/m,
    // An empty plan: checked, nothing blocked.
    run: {
      files: {
        "dev-keys.json": JSON.stringify({ format_version: "1.2", terraform_version: "1.9.0", resource_changes: [] }),
      },
      args: ["dev-keys.json"],
      status: 0,
      // The digest of a plan that changes nothing (DIGEST_FORMAT cmk-plan-digest/1), then the verdict.
      stdout: [
        "PLAN [dev-keys] sha256:9c102206050901871f9346fdb883d3c5dc3a84b3254b034d4b605f7bd182f984 (an allowlist entry's digest names exactly this plan)",
        "plan-guard: nothing blocked in 1 plan(s), 0 resource change(s) checked",
      ],
      stderr: /^$/,
    },
  },
  {
    dir: "xks-check",
    name: "@cmk-stacks/xks-check",
    usage: /^Usage: xks-check \[options\]/m,
    // A target file (the package's JSON interface, no environments) is refused field by field, exit 2.
    run: {
      files: { "target.json": JSON.stringify({ endpoint: "https://xks.example.com", region: "mars-1", alias: "x" }) },
      args: ["--target", "target.json"],
      status: 2,
      stdout: [],
      stderr:
        /^xks-check: --target target\.json: alias: not a field of the target .*\nxks-check: --target target\.json: uriPath: missing \(required\)\nxks-check: --target target\.json: region: "mars-1" is not a Region name such as eu-west-1\n$/,
    },
  },
];

describe.each(cases)("packages/$dir", ({ dir, name, usage, run }) => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), `pack-${dir}-`));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test(`packs, installs offline outside the repository, and \`npx ${dir} --help\` prints its usage`, () => {
    const env = npmEnv(join(work, "cache"));
    const out = join(work, "tarball");
    const consumer = join(work, "consumer");
    execFileSync("mkdir", ["-p", out, consumer]);
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--workspace", `packages/${dir}`, "--pack-destination", out, "--json"], {
        cwd: root,
        env,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      }),
    ) as PackResult[];
    expect(packed).toHaveLength(1);
    // The tarball holds the bundled command, the licence texts and the README: no sources.
    expect(packed[0].files.map((f) => f.path).sort()).toEqual(
      [`dist/${dir}.js`, "dist/LICENSE", "dist/THIRD-PARTY-LICENSES.txt", "README.md", "package.json"].sort(),
    );
    const tarball = join(out, packed[0].filename);

    writeFileSync(
      join(consumer, "package.json"),
      JSON.stringify({ name: "consumer", version: "1.0.0", private: true }),
    );
    execFileSync("npm", ["install", "--offline", "--save-dev", tarball], {
      cwd: consumer,
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Nothing but the package itself was installed: it has no runtime dependencies.
    expect(readdirSync(join(consumer, "node_modules")).filter((e) => !e.startsWith("."))).toEqual(["@cmk-stacks"]);
    const installed = join(consumer, "node_modules", ...name.split("/"));
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as {
      dependencies?: object;
      devDependencies: Record<string, string>;
      peerDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    expect(manifest).toMatchObject({
      name,
      license: "Apache-2.0",
      bin: { [dir]: `dist/${dir}.js` },
      engines: { node: ROOT_ENGINES },
    });
    expect(Object.keys(manifest.dependencies ?? {})).toEqual([]);
    // Every package bundled in is named, with its licence text.
    const notices = readFileSync(join(installed, "dist", "THIRD-PARTY-LICENSES.txt"), "utf8");
    // Optional peer dependencies (plan-guard's @aws-sdk/client-kms, loaded only by --last-use) stay out of the bundle.
    const peers = Object.keys(manifest.peerDependencies ?? {});
    for (const peer of peers) expect(manifest.peerDependenciesMeta?.[peer]?.optional).toBe(true);
    for (const [dep, version] of Object.entries(manifest.devDependencies)) {
      if (peers.includes(dep)) expect(notices).not.toContain(`${dep}@`);
      else expect(notices).toContain(`${dep}@${version} (`);
    }
    // Self-contained: no configuration layer (schema, validation: zod, yaml) rides along.
    expect(notices).not.toMatch(/^(zod|yaml)@/m);

    // execFileSync throws on a non-zero exit, so reaching the assertions means exit 0.
    const help = execFileSync("npx", ["--offline", "--no-install", dir, "--help"], {
      cwd: consumer,
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    expect(help).toMatch(usage);

    for (const [file, text] of Object.entries(run.files)) writeFileSync(join(consumer, file), text);
    const r = spawnSync("npx", ["--offline", "--no-install", dir, ...run.args], {
      cwd: consumer,
      env,
      encoding: "utf8",
    });
    expect({ status: r.status, stdout: r.stdout.split("\n").filter(Boolean) }).toEqual({
      status: run.status,
      stdout: run.stdout,
    });
    expect(r.stderr).toMatch(run.stderr);
  }, 180_000);
});
