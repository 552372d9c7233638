/** All constraint tables, and the entry point that checks every environment at once. */
import type { EnvironmentConfig } from "../types";
import { checkTables, formatViolation, type ConstraintTable, type Violation } from "./engine";
import { environmentTable } from "./environment";
import { networkTable } from "./network";
import { keysTable } from "./keys";
import { consumersTable } from "./consumers";
import { cloudHsmTable } from "./cloudhsm";
import { xksTable } from "./xks";

export { formatViolation, type Violation } from "./engine";

/** Every table, in reporting order. */
export const TABLES: readonly ConstraintTable[] = [environmentTable, networkTable, keysTable, consumersTable, cloudHsmTable, xksTable];

/** Checks each environment (keyed by the name it is registered under); returns every violation. */
export function validateEnvironments(envs: Readonly<Record<string, EnvironmentConfig>>): Violation[] {
  const out: Violation[] = [];
  for (const [key, env] of Object.entries(envs)) {
    const prefix = `environments.${key}`;
    if (env === null || typeof env !== "object") {
      out.push({ path: prefix, value: env, rule: "an environment object", source: "environment contract" });
      continue;
    }
    if (env.name !== undefined && env.name !== key) {
      out.push({ path: `${prefix}.name`, value: env.name, rule: `"${key}", the name the environment is registered under`, source: "stack naming" });
    }
    out.push(...checkTables(env, TABLES, prefix));
  }
  // A missing field is reported once (several rules may require it: the section, its contents).
  const missing = new Set<string>();
  return out.filter((v) => {
    if (v.value !== undefined) return true;
    if (missing.has(v.path)) return false;
    missing.add(v.path);
    return true;
  });
}

/** The violations as the lines a user sees. */
export function validationMessages(envs: Readonly<Record<string, EnvironmentConfig>>): string[] {
  return validateEnvironments(envs).map(formatViolation);
}
