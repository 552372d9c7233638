/**
 * `npm run synth:cdktn` as a user runs it: the CDK Terrain build of the same source synthesizes
 * every shipped environment, and its output differs from cdktf's only by the provider version,
 * the provider source's spelling and the library version (docs/toolchain.md).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Difference } from "../../../tools/cdktn/compare";

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
