/**
 * `status --drift`: `terraform plan -detailed-exitcode` in each synthesized stack directory, with
 * the operator's own session and backend access (not the offline harness: this reads the real
 * state). `-lock=false` because the plan is never applied and must not block a deploy;
 * `-input=false` so a missing variable fails instead of prompting. Terraform's output is read for
 * its summary line only and never printed (a plan can show values of resources).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { stackDir } from "./env";
import type { DriftRunner } from "./status";

function run(bin: string, args: readonly string[], cwd: string): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, {
      cwd,
      env: { ...process.env, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout = (stdout + d.toString()).slice(-20_000)));
    child.stderr.resume();
    child.on("error", () => resolve({ code: 127, stdout }));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout }));
  });
}

/** The "Plan: ..." or "No changes." line of a plan's output. */
export function planSummary(stdout: string): string | undefined {
  return stdout
    .split("\n")
    .map((l) => l.trim())
    .find((l) => /^Plan: \d+ to add/.test(l) || l.startsWith("No changes."));
}

/** A drift runner for the stacks under `<root>/cdktf.out/stacks` (or `dirs`, stack -> directory). */
export function terraformDriftRunner(
  opts: { root?: string; dirs?: Readonly<Record<string, string>>; terraformBin?: string } = {},
): DriftRunner {
  const bin = opts.terraformBin ?? process.env.TERRAFORM_BIN ?? "terraform";
  return async (stack) => {
    const dir = opts.dirs?.[stack] ?? stackDir(stack, opts.root);
    if (!dir) return { missing: `${stack} is not synthesized (cdktf.out/stacks/${stack}/cdk.tf.json)` };
    if (!existsSync(join(dir, ".terraform"))) {
      const init = await run(bin, ["init", "-input=false", "-no-color"], dir);
      if (init.code !== 0) return { exitCode: init.code };
    }
    const plan = await run(bin, ["plan", "-detailed-exitcode", "-input=false", "-lock=false", "-no-color"], dir);
    return { exitCode: plan.code, summary: planSummary(plan.stdout) };
  };
}
