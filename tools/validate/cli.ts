/**
 * `npm run validate`: synthesizes every shipped environment (or ENV_CONFIG's), then runs
 * `terraform validate` and `terraform plan -refresh=false` on each stack against the local
 * provider mirror, offline (every stack in one Terraform run: see run-offline.ts). One line per
 * stack; exit 1 if any stack fails. When no Terraform CLI or provider mirror is installed: exit 2
 * with a FAILED line under `--require-terraform` or in CI (`CI` set, as GitHub Actions and most
 * CI services do), so that a runner without the mirror can never pass for a validated one;
 * elsewhere (a laptop) a SKIPPED line and exit 0.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { findTerraform } from "../terraform/offline";
import { validateOffline } from "./run-offline";

/** True when validation must run: `--require-terraform`, or a CI service (`CI` set to anything but false/0). */
export function terraformRequired(flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI?.trim().toLowerCase();
  return flag === true || (ci !== undefined && ci !== "" && ci !== "false" && ci !== "0");
}

const MIRROR_HELP =
  "build the provider mirror as the README says (Development > Offline Terraform: terraform providers mirror), or pass TF_PLUGIN_MIRROR=<dir>";

const program = new Command("validate")
  .description("validate and plan every synthesized stack with the real Terraform provider, offline")
  .option(
    "--require-terraform",
    "fail (exit 2) instead of skipping when no Terraform CLI or provider mirror is found (the default when CI is set)",
  )
  .option(
    "--keep <dir>",
    "work in <dir> and keep it: synthesized stacks in <dir>/out, initialised scratch copies in <dir>/scratch",
  )
  .option(
    "--save-plans <regex>",
    "also write `terraform show -json` of the plans of matching stacks to <scratch>/<stack>/plan.json",
  )
  .option("--results <file>", "write the per-stack results as JSON")
  .option("--only <regex>", "run only the stacks whose names match")
  .option(
    "--plan-only",
    "skip the separate `terraform validate` (plan runs the same validation walk first; saves one provider start per stack)",
  )
  .action(
    async (opts: {
      requireTerraform?: boolean;
      keep?: string;
      savePlans?: string;
      results?: string;
      only?: string;
      planOnly?: boolean;
    }) => {
      const tf = findTerraform();
      if (!tf.ok) {
        if (terraformRequired(opts.requireTerraform)) {
          process.stderr.write(`validate: FAILED: Terraform validation could not run: ${tf.reason} (${MIRROR_HELP})\n`);
          if (opts.results) writeFileSync(opts.results, JSON.stringify({ failed: tf.reason }));
          process.exitCode = 2;
          return;
        }
        process.stdout.write(`validate: SKIPPED: ${tf.reason} (nothing was validated; ${MIRROR_HELP})\n`);
        if (opts.results) writeFileSync(opts.results, JSON.stringify({ skipped: tf.reason }));
        process.exitCode = 0;
        return;
      }
      const work = opts.keep ? resolve(opts.keep) : mkdtempSync(join(tmpdir(), "cmk-validate-"));
      mkdirSync(work, { recursive: true });
      try {
        const outdir = join(work, "out");
        process.stdout.write("validate: synthesizing...\n");
        const synth = spawnSync(process.execPath, [join(__dirname, "main.js")], {
          env: { ...process.env, CDKTF_OUTDIR: outdir },
          encoding: "utf8",
        });
        if (synth.status !== 0) {
          process.stderr.write(synth.stderr);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(
          `validate: terraform ${tf.version} with ${Object.entries(tf.providers)
            .map(([s, v]) => `${s} ${v}`)
            .join(", ")} (offline mirror)\n`,
        );
        const pattern = opts.savePlans ? new RegExp(opts.savePlans) : undefined;
        const only = opts.only ? new RegExp(opts.only) : undefined;
        const results = await validateOffline(outdir, join(work, "scratch"), {
          savePlans: (s) => pattern?.test(s) ?? false,
          only: (s) => only?.test(s) ?? true,
          planOnly: opts.planOnly === true,
          progress: (line) => process.stdout.write(`${line}\n`),
          report: (r) => {
            if (r.plan) writeFileSync(join(r.dir, "plan.json"), JSON.stringify(r.plan));
            if (opts.keep) {
              mkdirSync(r.dir, { recursive: true });
              writeFileSync(
                join(r.dir, "result.json"),
                JSON.stringify({ stack: r.stack, ok: r.ok, summary: r.summary, seconds: r.seconds, dir: r.dir }),
              );
            }
            process.stdout.write(
              `${r.ok ? "ok  " : "FAIL"} ${r.stack.padEnd(16)} ${r.summary} (${r.seconds.toFixed(1)} s)\n`,
            );
          },
        });
        if (opts.results)
          writeFileSync(
            opts.results,
            JSON.stringify({ work, results: results.map(({ plan: _plan, ...r }) => r) }, null, 2),
          );
        const failed = results.filter((r) => !r.ok).length;
        process.stdout.write(`validate: ${results.length - failed} passed, ${failed} failed\n`);
        process.exitCode = failed ? 1 : 0;
      } catch (e) {
        process.stderr.write(`validate: ${(e as Error).message}\n`);
        process.exitCode = 2;
      } finally {
        if (!opts.keep) rmSync(work, { recursive: true, force: true });
      }
    },
  );

if (require.main === module) void program.parseAsync();
