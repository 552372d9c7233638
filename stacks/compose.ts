/**
 * The checked path from environment configuration to synthesized Terraform, shared by `main.ts`,
 * the tests and the benchmark: validate everything, resolve defaults, build each environment's
 * stacks (`composeEnvironment`), run the compliance rules on every stack, synthesize into a folder
 * beside `cdktf.out`, and only then move the result into `cdktf.out`. Any problem, from any layer,
 * leaves `cdktf.out` as it was.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { App, type TerraformStack } from "cdktf";
import type { EnvironmentConfig } from "../environments/types";
import { ConfigError, isUserError, reportError } from "../environments/errors";
import { firstApplyNote, resolveEnvironment, type ResolvedEnvironment } from "../environments/resolve";
import { validationMessages } from "../environments/validation";
import { checkCompliance, type Finding } from "../modules/compliance";
import { suppressedLines, verboseRequested } from "./compliance-report";
import { KeysStack } from "./keys-stack";
import { DataStack } from "./data-stack";
import { installLockFiles, locksDirFromEnv } from "./lock-files";

/** Builds the stacks of one environment into the app. */
export type Composer = (app: App, env: ResolvedEnvironment) => void;

/**
 * The composition `main.ts` uses: each environment becomes two stacks, `<env>-keys` (network, key
 * stores, keys) and `<env>-data` (consumers), wired by CDKTF cross-stack references. Tests and
 * tools compose with this one, never a copy.
 */
export const composeEnvironment: Composer = (app, env) => {
  const keys = new KeysStack(app, `${env.name}-keys`, env);
  new DataStack(app, `${env.name}-data`, env, keys);
};

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
export function composeApp(
  envs: Readonly<Record<string, EnvironmentConfig>>,
  compose: Composer,
  outdir = "cdktf.out",
): ComposedApp {
  const problems = validationMessages(envs);
  if (problems.length) throw new ConfigError(problems);
  const app = new App({ outdir, skipValidation: false });
  const errors: string[] = [];
  const notes: string[] = [];
  for (const env of Object.values(envs)) {
    try {
      const resolved = resolveEnvironment(env);
      compose(app, resolved);
      const note = firstApplyNote(resolved);
      if (note) notes.push(note);
    } catch (e) {
      if (isUserError(e))
        errors.push(...e.lines.map((l) => (l.startsWith("environments.") ? l : `environments.${env.name}.${l}`)));
      else throw e;
    }
  }
  if (errors.length) throw new ConfigError(errors);
  const stacks = app.node
    .findAll()
    .filter(
      (c): c is TerraformStack => (c as { synthesizer?: unknown }).synthesizer !== undefined && c !== app,
    ) as TerraformStack[];
  const aspect = checkCompliance(stacks);
  const failing = aspect.findings.filter((f) => !f.suppressedBecause);
  if (failing.length) {
    throw new ConfigError(
      failing.map((f) => {
        const field = configurationField(f.path, envs);
        return `compliance ${f.ruleId} (${f.title}): ${f.path}: ${f.message} (${field ? `configuration field: ${field}; ` : ""}see ${f.documentation})`;
      }),
    );
  }
  // Once per environment, whichever stacks read the phase (keys skipped in the keys stack, FSx in the data stack).
  for (const note of notes) process.stderr.write(`${note}\n`);
  return { app, stacks, findings: aspect.findings, checks: aspect.checked };
}

/** Top-level construct ids of the stacks and the configuration field each comes from. */
const FIELD_OF_CONSTRUCT: readonly [RegExp, (m: RegExpExecArray) => string][] = [
  [/^key-(.+)$/, (m) => `keys.${m[1]}`],
  [/^bucket-(.+)$/, (m) => `data.buckets.${m[1]}`],
  [/^(ebs|fsx)$/, (m) => `data.${m[1]}`],
  [/^cloudhsm$/, () => "cloudHsm"],
  [/^(xks|network)$/, (m) => m[1]],
  [/^hook-runtime$/, () => "hooks"],
];

/**
 * The configuration field a construct path comes from (`prod-keys/key-records/...` ->
 * `environments.prod.keys.records`), or undefined for a construct no environment describes.
 */
export function configurationField(
  constructPath: string,
  envs: Readonly<Record<string, EnvironmentConfig>>,
): string | undefined {
  const [stack, top] = constructPath.split("/");
  const env = Object.keys(envs).find((name) => stack === `${name}-keys` || stack === `${name}-data`);
  if (!env) return undefined;
  if (top === undefined) return `environments.${env}`;
  for (const [re, field] of FIELD_OF_CONSTRUCT) {
    const m = re.exec(top);
    if (m) return `environments.${env}.${field(m)}`;
  }
  return `environments.${env}`;
}

/** Moves every file of `from` into `to` (replacing files of the same name; other files stay). */
function moveInto(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    const src = join(from, entry);
    const dst = join(to, entry);
    if (lstatSync(src).isDirectory() && existsSync(dst) && lstatSync(dst).isDirectory()) {
      moveInto(src, dst);
    } else {
      rmSync(dst, { recursive: true, force: true });
      renameSync(src, dst);
    }
  }
}

/**
 * Synthesizes into a fresh folder beside `outdir`, then moves the files into `outdir`, the manifest
 * last. Files cdktf does not write (a stack's `.terraform`) stay, as with a plain synth; a stack's
 * committed lock file (terraform-locks/, stacks/lock-files.ts) replaces the one there.
 */
function synthesizeInto(
  loadEnvs: () => Readonly<Record<string, EnvironmentConfig>>,
  compose: Composer,
  outdir: string,
): ComposedApp {
  const target = resolve(outdir);
  const staging = join(dirname(target), `.${target.split(/[\\/]/).pop()}.partial-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  try {
    const composed = composeApp(loadEnvs(), compose, staging);
    composed.app.synth();
    // The committed dependency lock files, checked against what was synthesized (stacks/lock-files.ts).
    const locks = locksDirFromEnv();
    const lockProblems = locks ? installLockFiles(staging, locks) : [];
    if (lockProblems.length) throw new ConfigError(lockProblems);
    const manifest = join(staging, "manifest.json");
    const held = `${staging}.manifest.json`;
    renameSync(manifest, held);
    // A stack's assets are cdktf's alone: replaced whole, so an asset of an earlier synth (a hook
    // bundle under an old hash) does not stay beside the one cdk.tf.json names.
    const stacksDir = join(staging, "stacks");
    if (existsSync(stacksDir))
      for (const stack of readdirSync(stacksDir))
        if (existsSync(join(stacksDir, stack, "assets")))
          rmSync(join(target, "stacks", stack, "assets"), { recursive: true, force: true });
    moveInto(staging, target);
    renameSync(held, join(target, "manifest.json"));
    return composed;
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(`${staging}.manifest.json`, { force: true });
  }
}

/**
 * The CLI path: compose and synthesize, printing problems one per line (no stack trace) and
 * setting a non-zero exit code instead of throwing.
 */
export function synthesizeOrReport(
  loadEnvs: () => Readonly<Record<string, EnvironmentConfig>>,
  compose: Composer,
): void {
  try {
    const composed = synthesizeInto(loadEnvs, compose, process.env.CDKTF_OUTDIR ?? "cdktf.out");
    const suppressed = composed.findings.filter((f) => f.suppressedBecause).length;
    if (!process.env.CDKTF_OUTDIR || process.env.CMK_VERBOSE || verboseRequested()) {
      process.stdout.write(
        `synthesized ${composed.stacks.map((s) => s.node.id).join(", ")}; compliance: ${composed.checks} checks, ${suppressed} suppressed with a reason\n`,
      );
    }
    // --verbose / npm run compliance: name each suppressed finding and its reason (stacks/compliance-report.ts).
    if (verboseRequested())
      process.stdout.write(
        suppressedLines(composed.findings)
          .map((l) => `${l}\n`)
          .join(""),
      );
  } catch (e) {
    reportError(e);
  }
}
