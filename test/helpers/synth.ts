/** Test helpers: compose environments with main.ts's composer, synthesize into a temp dir, read the JSON. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EnvironmentConfig } from "../../environments/types";
import type { ComposedApp } from "../../stacks/compose";
import { isUserError } from "../../environments/errors";
import { PropsError } from "../../modules/core/errors";

/** A synthesized stack's cdk.tf.json. */
export interface StackJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, { value: unknown; sensitive?: boolean }>;
  variable?: Record<string, Record<string, unknown>>;
  terraform?: Record<string, unknown>;
  provider?: Record<string, unknown[]>;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Synthesizes the environments; returns each stack's JSON by stack name plus the composed app. */
export function synthEnvs(envs: Record<string, EnvironmentConfig>): {
  stacks: Record<string, StackJson>;
  composed: ComposedApp;
  outdir: string;
} {
  // The composition (every stack and construct, the schema, zod) is loaded here, on first use:
  // most suites importing this file only read synthesized JSON or catch a refusal, and an import
  // at the top cost each of them ~0.3 s of CPU.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { composeApp, composeEnvironment } = require("../../stacks/compose") as typeof import("../../stacks/compose");
  const outdir = mkdtempSync(join(tmpdir(), "cmk-synth-"));
  dirs.push(outdir);
  const composed = composeApp(envs, composeEnvironment, outdir);
  composed.app.synth();
  const stacks: Record<string, StackJson> = {};
  for (const s of composed.stacks) {
    stacks[s.node.id] = JSON.parse(readFileSync(join(outdir, "stacks", s.node.id, "cdk.tf.json"), "utf8")) as StackJson;
  }
  return { stacks, composed, outdir };
}

/** All resources of a type in a stack (name -> attributes). */
export function resources(stack: StackJson, type: string): Record<string, Record<string, unknown>> {
  return stack.resource?.[type] ?? {};
}

/** The only resource of a type; fails the test when there is not exactly one. */
export function only(stack: StackJson, type: string): Record<string, unknown> {
  const all = Object.values(resources(stack, type));
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}

/** The lines of the ConfigError `fn` throws (fails when it does not throw one). */
export function configErrorLines(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (isUserError(e)) return [...e.lines];
    throw e;
  }
  throw new Error("expected a ConfigError, nothing was thrown");
}

/** The PropsError lines of `fn`: a construct's own refusal (fails when it throws anything else, or nothing). */
export function propsErrorLines(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof PropsError) return e.lines;
    throw e;
  }
  throw new Error("expected a PropsError, nothing was thrown");
}

/**
 * Deep copy of `base` with values set by dotted path (`"keys.appData.deletionWindowDays": 45`);
 * `undefined` deletes the field. For failing-input tests: the result is deliberately unchecked.
 */
export function variant<T>(base: T, changes: Record<string, unknown>): T {
  const copy = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  for (const [path, value] of Object.entries(changes)) {
    const parts = path.split(".");
    let node = copy as Record<string, unknown>;
    for (const p of parts.slice(0, -1)) {
      if (node[p] === undefined || node[p] === null || typeof node[p] !== "object") node[p] = {};
      node = node[p] as Record<string, unknown>;
    }
    const last = parts[parts.length - 1];
    if (value === undefined) delete node[last];
    else node[last] = structuredClone(value); // never shared: a later change may write inside it
  }
  return copy as T;
}
