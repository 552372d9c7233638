/**
 * The checked path from environment configuration to synthesized Terraform, shared by `main.ts`,
 * the tests and the benchmark: validate everything, resolve defaults, build the stacks, run the
 * compliance rules on every stack, and only then write `cdktf.out`. Any problem stops the run
 * before a single file is written.
 */
import { App, type TerraformStack } from "cdktf";
import type { EnvironmentConfig } from "../environments/types";
import { ConfigError } from "../environments/errors";
import { resolveEnvironment, type ResolvedEnvironment } from "../environments/resolve";
import { validationMessages } from "../environments/validation";
import { checkCompliance, type Finding } from "../modules/compliance";
import { suppressedLines, verboseRequested } from "./compliance-report";

/** Builds the stacks of one environment into the app (what `main.ts` supplies). */
export type Composer = (app: App, env: ResolvedEnvironment) => void;

export interface ComposedApp {
  readonly app: App;
  readonly stacks: readonly TerraformStack[];
  /** Every compliance finding, suppressed ones included (with their reasons). */
  readonly findings: readonly Finding[];
  readonly checks: number;
}

/**
 * Validates, resolves and composes; throws ConfigError with one line per problem (configuration
 * violations first, then construct-level refusals, then unsuppressed compliance findings).
 */
export function composeApp(envs: Readonly<Record<string, EnvironmentConfig>>, compose: Composer, outdir = "cdktf.out"): ComposedApp {
  const problems = validationMessages(envs);
  if (problems.length) throw new ConfigError(problems);
  const app = new App({ outdir, skipValidation: false });
  const errors: string[] = [];
  for (const env of Object.values(envs)) {
    try {
      compose(app, resolveEnvironment(env));
    } catch (e) {
      if (e instanceof ConfigError) errors.push(...e.lines.map((l) => (l.startsWith("environments.") ? l : `environments.${env.name}.${l}`)));
      else throw e;
    }
  }
  if (errors.length) throw new ConfigError(errors);
  const stacks = app.node.findAll().filter((c): c is TerraformStack => (c as { synthesizer?: unknown }).synthesizer !== undefined && c !== app) as TerraformStack[];
  const aspect = checkCompliance(stacks);
  const failing = aspect.findings.filter((f) => !f.suppressedBecause);
  if (failing.length) {
    throw new ConfigError(failing.map((f) => `compliance ${f.ruleId} (${f.title}): ${f.path}: ${f.message}`));
  }
  return { app, stacks, findings: aspect.findings, checks: aspect.checked };
}

/**
 * The CLI path: compose and synthesize, printing problems one per line (no stack trace) and
 * setting a non-zero exit code instead of throwing.
 */
export function synthesizeOrReport(loadEnvs: () => Readonly<Record<string, EnvironmentConfig>>, compose: Composer): void {
  try {
    const composed = composeApp(loadEnvs(), compose, process.env.CDKTF_OUTDIR ?? "cdktf.out");
    composed.app.synth();
    const suppressed = composed.findings.filter((f) => f.suppressedBecause).length;
    if (!process.env.CDKTF_OUTDIR || process.env.CMK_VERBOSE || verboseRequested()) {
      process.stdout.write(
        `synthesized ${composed.stacks.map((s) => s.node.id).join(", ")}; compliance: ${composed.checks} checks, ${suppressed} suppressed with a reason\n`,
      );
    }
    // --verbose / npm run compliance: name each suppressed finding and its reason (stacks/compliance-report.ts).
    if (verboseRequested()) process.stdout.write(suppressedLines(composed.findings).map((l) => `${l}\n`).join(""));
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.lines.join("\n")}\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}
