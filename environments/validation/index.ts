/** All constraint tables, and the entry point that checks every environment at once. */
import type { EnvironmentConfig } from "../types";
import { checkTables, formatViolation, type ConstraintTable, type Violation } from "./engine";
import { environmentTable } from "./environment";
import { networkTable } from "./network";
import { keysTable, macKeysTable, signingKeysTable } from "./keys";
import { consumersTable } from "./consumers";
import { cloudHsmTable } from "./cloudhsm";
import { scaleToZeroTable } from "./scale-to-zero";
import { xksTable } from "./xks";
import { alarmsTable } from "./alarms";
import { checkShape, trackReads } from "./shape";
import { acrossEnvironments } from "./across";

export { formatViolation, type Violation } from "./engine";

/** Every table, in reporting order. */
export const TABLES: readonly ConstraintTable[] = [
  environmentTable,
  networkTable,
  keysTable,
  signingKeysTable,
  macKeysTable,
  consumersTable,
  cloudHsmTable,
  scaleToZeroTable,
  xksTable,
  alarmsTable,
];

/**
 * Checks each environment (keyed by the name it is registered under); returns every violation:
 * first the shape (unknown fields, wrong types, template syntax), then the constraint tables,
 * which only see values of the right type, then the rules across environments.
 */
export function validateEnvironments(envs: Readonly<Record<string, EnvironmentConfig>>): Violation[] {
  const out: Violation[] = [];
  const checked: Record<string, EnvironmentConfig> = {};
  for (const [key, env] of Object.entries(envs)) {
    const prefix = `environments.${key}`;
    if (env === null || typeof env !== "object" || Array.isArray(env)) {
      out.push({ path: prefix, value: env, rule: "an environment object", source: "environment contract" });
      continue;
    }
    const shape = checkShape(env as unknown as Record<string, unknown>);
    const at = (v: Violation): Violation => ({ ...v, path: v.path ? `${prefix}.${v.path}` : prefix });
    const poisoned = [...shape.poisoned].map((p) => `${prefix}.${p}`);
    const hidden = (path: string) => poisoned.some((p) => path === p || path.startsWith(`${p}.`));
    const clean = shape.sanitized as unknown as EnvironmentConfig;
    const rules: Violation[] = [];
    if (typeof clean.name === "string" && clean.name !== key) {
      rules.push({
        path: `${prefix}.name`,
        value: clean.name,
        rule: `"${key}", the name the environment is registered under`,
        source: "stack naming",
      });
    }
    const tracked = trackReads(shape.sanitized, shape.poisoned, shape.members);
    rules.push(...checkTables(tracked.env as unknown as EnvironmentConfig, TABLES, prefix, tracked.reads));
    const ruled = new Set(rules.map((v) => v.path));
    const fallbacks = shape.fallbacks.map(at).filter((v) => !ruled.has(v.path) && !hidden(v.path));
    // A missing section is one line, not one more per field it would have held.
    const absent = fallbacks.filter((v) => v.value === undefined).map((v) => `${v.path}.`);
    out.push(...shape.problems.map(at));
    out.push(...fallbacks);
    out.push(...rules.filter((v) => !hidden(v.path) && !absent.some((p) => v.path.startsWith(p))));
    checked[key] = clean;
  }
  out.push(...acrossEnvironments(checked));
  // A missing field is reported once (several rules may require it: the section, its contents).
  const missing = new Set<string>();
  return out.filter((v) => {
    if (v.value !== undefined || v.message) return true;
    if (missing.has(v.path)) return false;
    missing.add(v.path);
    return true;
  });
}

/** The violations as the lines a user sees. */
export function validationMessages(envs: Readonly<Record<string, EnvironmentConfig>>): string[] {
  return validateEnvironments(envs).map(formatViolation);
}
