/**
 * `npm run synth:cdktn [-- --out <dir>] [--json]`: synthesizes every shipped environment (or
 * ENV_CONFIG's) twice from the same source, with cdktf (`.build/main.js`, into a temporary folder)
 * and with CDK Terrain (`.build/cdktn/main.js`, tools/cdktn/build.mjs, into `--out`, default
 * `cdktn.out`), then prints every difference and why it is there (tools/cdktn/compare.ts).
 * Exit codes: 0 only explained differences, 1 an unexplained one, 2 a synth failed.
 * The cdktn output gets no dependency lock files: the committed ones pin the cdktf binding's
 * provider version (docs/toolchain.md).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { compareOutputs, differenceLines } from "./compare";

const root = resolve(__dirname, "..");

function synth(bundle: string, outdir: string, label: string): string | undefined {
  rmSync(outdir, { recursive: true, force: true });
  const r = spawnSync(process.execPath, [bundle], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, CDKTF_OUTDIR: outdir, CMK_TERRAFORM_LOCKS: "none", CDKTN_DISABLE_CREATION_STACK: "1" },
  });
  if (r.status === 0) return undefined;
  return `${label} synth failed (exit ${r.status ?? r.signal}):\n${(r.stderr || r.stdout).trim()}`;
}

function main(argv: string[]): number {
  const opts = new Command("synth:cdktn")
    .description("synthesize with cdktf and with CDK Terrain from the same source and show every difference")
    .option("--out <dir>", "where the CDK Terrain output goes", "cdktn.out")
    .option("--json", "print the differences as JSON")
    .parse(argv)
    .opts<{ out: string; json?: boolean }>();
  const reference = mkdtempSync(join(tmpdir(), "cdktf-reference-"));
  try {
    const out = resolve(root, opts.out);
    const failed =
      synth(join(root, ".build", "main.js"), reference, "cdktf") ??
      synth(join(root, ".build", "cdktn", "main.js"), out, "cdktn");
    if (failed) {
      process.stderr.write(`${failed}\n`);
      return 2;
    }
    const diffs = compareOutputs(reference, out);
    const unexplained = diffs.filter((d) => d.kind === "unexplained");
    if (opts.json) process.stdout.write(`${JSON.stringify(diffs, null, 2)}\n`);
    else {
      for (const l of differenceLines(diffs)) process.stdout.write(`${l}\n`);
      process.stdout.write(
        `synth:cdktn: CDK Terrain output in ${opts.out}; ${diffs.length} difference${diffs.length === 1 ? "" : "s"} to cdktf, ${unexplained.length} unexplained (docs/toolchain.md)\n`,
      );
    }
    return unexplained.length ? 1 : 0;
  } finally {
    rmSync(reference, { recursive: true, force: true });
  }
}

process.exitCode = main(process.argv);
