/**
 * `npm run synth:cdktn` as a user runs it: the CDK Terrain build of the same source synthesizes
 * every shipped environment, and its output differs from cdktf's only by the provider version,
 * the provider source's spelling and the library version (docs/toolchain.md).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Difference } from "../../../tools/cdktn/compare";
import { prodCloudHsmOnly } from "../../modules/cloudhsm/fixtures";

const root = join(__dirname, "..", "..", "..");
const work = mkdtempSync(join(tmpdir(), "cmk-cdktn-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const STACKS = ["dev-data", "dev-keys", "prod-data", "prod-keys", "staging-data", "staging-keys"];

let run: { status: number | null; stdout: string; stderr: string };
beforeAll(() => {
  const build = spawnSync(process.execPath, [join(root, "tools", "cdktn", "build.mjs")], {
    cwd: root,
    encoding: "utf8",
  });
  if (build.status !== 0) throw new Error(`tools/cdktn/build.mjs failed: ${build.stderr}`);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.ENV_CONFIG;
  run = spawnSync(process.execPath, [join(root, ".build", "synth-cdktn.js"), "--out", join(work, "out"), "--json"], {
    cwd: root,
    encoding: "utf8",
    env,
  });
}, 120_000);

test("synthesizes every shipped stack with cdktn; the only differences are the explained ones", () => {
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  expect(readdirSync(join(work, "out", "stacks")).sort()).toEqual(STACKS);
  const diffs = JSON.parse(run.stdout) as Difference[];
  const perStack = (s: string): Difference[] => [
    {
      file: `stacks/${s}/cdk.tf.json`,
      path: "//.metadata.version",
      kind: "library-version",
      cdktf: '"0.21.0"',
      cdktn: '"0.24.0"',
    },
    {
      file: `stacks/${s}/cdk.tf.json`,
      path: "terraform.required_providers.aws.source",
      kind: "provider-source-spelling",
      cdktf: '"aws"',
      cdktn: '"hashicorp/aws"',
    },
    {
      file: `stacks/${s}/cdk.tf.json`,
      path: "terraform.required_providers.aws.version",
      kind: "provider-version",
      cdktf: '">= 6.25.0, < 7.0.0"',
      cdktn: '">= 6.66.0, < 7.0.0"',
    },
  ];
  expect(diffs).toEqual([
    { file: "manifest.json", path: "version", kind: "library-version", cdktf: '"0.21.0"', cdktn: '"0.24.0"' },
    ...STACKS.flatMap(perStack),
  ]);
});

test("the cdktn output has the keys stacks' assets (compared above: identical) and no lock files", () => {
  for (const s of ["prod-keys", "staging-keys"]) {
    const assets = join(work, "out", "stacks", s, "assets");
    expect(existsSync(assets)).toBe(true);
  }
  for (const s of STACKS) expect(existsSync(join(work, "out", "stacks", s, ".terraform.lock.hcl"))).toBe(false);
  const keys = JSON.parse(readFileSync(join(work, "out", "stacks", "prod-keys", "cdk.tf.json"), "utf8")) as {
    terraform: { required_providers: Record<string, unknown> };
  };
  expect(Object.keys(keys.terraform.required_providers)).toEqual(["aws"]);
});

test("the generated trust mode (the tls binding, mapped onto cdktn too) differs only as the shipped stacks do", () => {
  const env = prodCloudHsmOnly((e) => {
    e.name = "gen";
    (e.cloudHsm as { trust: unknown }).trust = { mode: "generated" };
  });
  const file = join(work, "gen.json");
  writeFileSync(file, JSON.stringify(env));
  const r = spawnSync(
    process.execPath,
    [join(root, ".build", "synth-cdktn.js"), "--out", join(work, "gen"), "--json"],
    {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, ENV_CONFIG: file },
    },
  );
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const diffs = JSON.parse(r.stdout) as Difference[];
  expect(diffs.map((d) => `${d.file} ${d.path} ${d.kind}`)).toEqual([
    "manifest.json version library-version",
    "stacks/gen-data/cdk.tf.json //.metadata.version library-version",
    "stacks/gen-data/cdk.tf.json terraform.required_providers.aws.source provider-source-spelling",
    "stacks/gen-data/cdk.tf.json terraform.required_providers.aws.version provider-version",
    "stacks/gen-keys/cdk.tf.json //.metadata.version library-version",
    "stacks/gen-keys/cdk.tf.json terraform.required_providers.aws.source provider-source-spelling",
    "stacks/gen-keys/cdk.tf.json terraform.required_providers.aws.version provider-version",
  ]);
  const keys = JSON.parse(readFileSync(join(work, "gen", "stacks", "gen-keys", "cdk.tf.json"), "utf8")) as {
    terraform: { required_providers: Record<string, unknown> };
    resource: Record<string, unknown>;
  };
  expect(keys.terraform.required_providers.tls).toEqual({ source: "hashicorp/tls", version: ">= 4.1.0, < 5.0.0" });
  expect(Object.keys(keys.resource)).toEqual(
    expect.arrayContaining(["tls_private_key", "tls_self_signed_cert", "tls_locally_signed_cert"]),
  );
});
