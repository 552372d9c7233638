/** The synth command as a user runs it: `node .build/main.js` (what `npm run synth` runs after building). */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { environments } from "../../environments";
import { synthEnvs, variant } from "../helpers/synth";
import { KeysStack } from "../../stacks/keys-stack";

const root = join(__dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "cmk-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function runSynth(envConfig: object | undefined, outdir: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: outdir };
  delete env.ENV_CONFIG;
  if (envConfig) {
    const file = join(work, `env-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(envConfig));
    env.ENV_CONFIG = file;
  }
  return spawnSync(process.execPath, [join(root, ".build", "main.js")], { cwd: root, env, encoding: "utf8" });
}

let full: { run: SpawnSyncReturns<string>; outdir: string } | undefined;
/**
 * One synth of every shipped environment by the bundled app (no ENV_CONFIG) on a machine without a
 * Terraform CLI (PATH holds only node, HOME an empty directory), shared by the three tests that
 * need a full synth's output: each full synth costs a second or more of CPU.
 */
function fullSynth(): { run: SpawnSyncReturns<string>; outdir: string } {
  if (full) return full;
  const bin = join(work, "bin-without-terraform");
  mkdirSync(bin, { recursive: true });
  symlinkSync(process.execPath, join(bin, "node"));
  const outdir = join(work, "no-terraform");
  const run = spawnSync(join(bin, "node"), [join(root, ".build", "main.js")], {
    cwd: root,
    env: { HOME: work, PATH: bin, CDKTF_OUTDIR: outdir },
    encoding: "utf8",
  });
  full = { run, outdir };
  return full;
}

test("fails when a config has several mistakes: one line each, exit 1, no stack trace, nothing written", () => {
  const outdir = join(work, "rejected");
  const broken = variant(environments.dev, {
    "keys.appData.deletionWindowDays": 45,
    "keys.volumes.users": ["arn:aws:iam::111111111111:role/KeyAdministrators"],
    "network.cidr": "10.10.0.0/12",
  });
  const r = runSynth(broken, outdir);
  expect(r.status).toBe(1);
  expect(r.stdout).toBe("");
  expect(r.stderr.trim().split("\n")).toEqual([
    'environments.dev.network.cidr: "10.10.0.0/12" is not allowed (an IPv4 CIDR between /16 and /28 (network address), Amazon VPC: IPv4 CIDR blocks /16-/28)',
    "environments.dev.keys.appData.deletionWindowDays: 45 is not allowed (7-30 days, KMS ScheduleKeyDeletion)",
    'environments.dev.keys.volumes.users.0: "arn:aws:iam::111111111111:role/KeyAdministrators" is not allowed (a principal that is not also an administrator of this key, key policy: separation of duties)',
  ]);
  expect(r.stderr).not.toMatch(/\bat .*\.(js|ts):\d+/);
  expect(existsSync(outdir)).toBe(false);
});

test("fails when ENV_CONFIG is not JSON, with one line naming the file", () => {
  const file = join(work, "broken.json");
  writeFileSync(file, "{ name: dev");
  const r = spawnSync(process.execPath, [join(root, ".build", "main.js")], {
    cwd: root,
    env: { ...process.env, ENV_CONFIG: file, CDKTF_OUTDIR: join(work, "nojson") },
    encoding: "utf8",
  });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(
    new RegExp(`^ENV_CONFIG: ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is not valid JSON: .+\\n$`),
  );
});

test("fails when ENV_CONFIG nests 100,000 levels deep: one line naming the field, exit 1, no internal error, nothing written", () => {
  const file = join(work, "deep.json");
  writeFileSync(
    file,
    JSON.stringify(environments.dev).replace(
      '"CostCentre":"platform-dev"',
      `"CostCentre":${"[".repeat(100_000)}${"]".repeat(100_000)}`,
    ),
  );
  const outdir = join(work, "deep");
  const r = spawnSync(process.execPath, [join(root, ".build", "main.js")], {
    cwd: root,
    env: { ...process.env, ENV_CONFIG: file, CDKTF_OUTDIR: outdir },
    encoding: "utf8",
  });
  expect(r.status).toBe(1);
  expect(r.stderr.trim().split("\n")).toEqual([
    expect.stringMatching(
      /^environments\.dev\.tags\.CostCentre: \[{31}null\]{31} is not allowed \(a string, configuration schema/,
    ),
  ]);
  expect(existsSync(outdir)).toBe(false);
});

test("ENV_CONFIG with a UTF-8 byte-order mark synthesizes", () => {
  const file = join(work, "bom.json");
  writeFileSync(file, `\ufeff${JSON.stringify(environments.dev)}`);
  const outdir = join(work, "bom");
  const r = spawnSync(process.execPath, [join(root, ".build", "main.js")], {
    cwd: root,
    env: { ...process.env, ENV_CONFIG: file, CDKTF_OUTDIR: outdir },
    encoding: "utf8",
  });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(readdirSync(join(outdir, "stacks")).sort()).toEqual(["dev-data", "dev-keys"]);
});

test("ENV_CONFIG synthesizes just that environment, from the output of npm run config", () => {
  const config = spawnSync(process.execPath, [join(root, ".build", "config.js"), "dev"], {
    cwd: root,
    encoding: "utf8",
  });
  expect(config.status).toBe(0);
  const resolved = JSON.parse(config.stdout) as {
    keys: Record<string, { deletionWindowDays: number; rotation: boolean }>;
  };
  expect(resolved.keys.volumes).toMatchObject({ deletionWindowDays: 30, rotation: true });
  const outdir = join(work, "one");
  const r = runSynth(resolved, outdir);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(readdirSync(join(outdir, "stacks")).sort()).toEqual(["dev-data", "dev-keys"]);
});

test.each(["qa", "constructor"])(
  "npm run config rejects an unknown environment (%s) with the list of known ones",
  (name) => {
    // A name the registry does not hold (README "Adding an environment" may have added a "qa").
    let unknown = name;
    while (Object.prototype.hasOwnProperty.call(environments, unknown)) unknown += "x";
    const r = spawnSync(process.execPath, [join(root, ".build", "config.js"), unknown], {
      cwd: root,
      encoding: "utf8",
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `config: unknown environment "${unknown}" (known: ${Object.keys(environments).join(", ")})\n`,
    );
  },
);

describe("the bundled app (tools/build.mjs: cdktf bundled, archiver and token stack traces stubbed; KeysStack skips the preparing pass)", () => {
  /** Every file under `dir`, relative, with its content. */
  const tree = (dir: string): Record<string, string> => {
    const walk = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)],
      );
    return Object.fromEntries(walk(dir).map((f) => [f.slice(dir.length + 1), readFileSync(f, "latin1")]));
  };

  test("writes exactly what the unbundled composition writes, with cdktf's full preparing pass on keys stacks (every stack, every asset)", () => {
    const { run: r, outdir: bundled } = fullSynth();
    expect(r.status).toBe(0);
    // The reference: no stubs (unbundled cdktf) and KeysStack's shortcut off.
    KeysStack.skipPreparingResolve = false;
    let outdir: string;
    try {
      outdir = synthEnvs(environments).outdir;
    } finally {
      KeysStack.skipPreparingResolve = true;
    }
    const a = tree(join(bundled, "stacks"));
    const b = tree(join(outdir, "stacks"));
    // The CLI also puts each stack's committed dependency lock file beside it (stacks/lock-files.ts).
    const locks = Object.keys(a).filter((f) => f.endsWith(".terraform.lock.hcl"));
    expect(locks.sort()).toEqual(
      Object.keys(b)
        .filter((f) => f.endsWith("cdk.tf.json"))
        .map((f) => f.replace("cdk.tf.json", ".terraform.lock.hcl"))
        .sort(),
    );
    for (const f of locks) {
      const stack = f.split(/[\\/]/)[0];
      expect(a[f]).toBe(readFileSync(join(root, "terraform-locks", `${stack}.terraform.lock.hcl`), "utf8"));
      delete a[f];
    }
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    for (const f of Object.keys(b)) expect([f, a[f] === b[f]]).toEqual([f, true]);
  });

  test("synthesizes every shipped environment on a machine without a Terraform CLI (Terraform Cloud backend included)", () => {
    const { run: r, outdir } = fullSynth();
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(
      JSON.parse(readFileSync(join(outdir, "stacks", "prod-keys", "cdk.tf.json"), "utf8")).terraform,
    ).toMatchObject({
      required_version: ">= 1.5.0",
      cloud: { organization: expect.any(String) },
    });
  });
});

test("an earlier synth's assets do not stay: a stack's assets folder is replaced whole, the .terraform folder stays", () => {
  const outdir = join(work, "stale-assets");
  // An earlier synth's output: a copy of the shared full synth's.
  expect(fullSynth().run.status).toBe(0);
  cpSync(fullSynth().outdir, outdir, { recursive: true });
  const assets = join(outdir, "stacks", "prod-keys", "assets");
  const [bundle] = readdirSync(assets);
  const stale = join(assets, bundle, "0123456789ABCDEF0123456789ABCDEF");
  mkdirSync(stale, { recursive: true });
  mkdirSync(join(outdir, "stacks", "prod-keys", ".terraform"), { recursive: true });
  expect(runSynth(undefined, outdir).status).toBe(0);
  expect(existsSync(stale)).toBe(false);
  expect(readdirSync(join(assets, bundle))).toHaveLength(1);
  expect(existsSync(join(outdir, "stacks", "prod-keys", ".terraform"))).toBe(true);
});

test("a committed lock file terraform init would fail on stops synthesis with one line naming it (CMK_TERRAFORM_LOCKS)", () => {
  const locks = join(work, "bad-locks");
  mkdirSync(locks, { recursive: true });
  writeFileSync(
    join(locks, "dev-keys.terraform.lock.hcl"),
    'provider "registry.terraform.io/hashicorp/aws" {\n  version     = "5.100.0"\n  constraints = ">= 6.25.0, < 7.0.0"\n}\n',
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CDKTF_OUTDIR: join(work, "bad-locks-out"),
    CMK_TERRAFORM_LOCKS: locks,
  };
  delete env.ENV_CONFIG;
  const r = spawnSync(process.execPath, [join(root, ".build", "main.js")], { cwd: root, env, encoding: "utf8" });
  expect(r.status).toBe(1);
  expect(r.stderr.trim().split("\n")).toEqual([
    'terraform-locks/dev-keys.terraform.lock.hcl: registry.terraform.io/hashicorp/aws is locked at 5.100.0, which the stack\'s requirement ">= 6.25.0, < 7.0.0" does not allow (terraform init would fail: lock a version it allows, e.g. with terraform init -upgrade, then npm run plan saves it)',
  ]);
  // Nothing written: the output folder was never created.
  expect(existsSync(join(work, "bad-locks-out", "stacks"))).toBe(false);
});
