/**
 * The shipped environments, and loading one from a JSON file (`ENV_CONFIG`). Both go through the
 * same types and the same validation.
 */
import { readFileSync } from "node:fs";
import type { EnvironmentConfig } from "./types";
import { dev } from "./dev";
import { staging } from "./staging";
import { prod } from "./prod";

export type { EnvironmentConfig } from "./types";

/** Every shipped environment by name. Add a new one here (see README "Adding an environment"). */
export const environments: Readonly<Record<string, EnvironmentConfig>> = { dev, staging, prod };

import { ConfigError } from "./errors";

export { ConfigError } from "./errors";

/**
 * Reads environments from a JSON file: one environment object (for example the output of
 * `npm run config -- <env>`) or an array of them.
 */
export function loadEnvironmentFile(path: string): EnvironmentConfig[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError([`ENV_CONFIG: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError([`ENV_CONFIG: ${path} is not valid JSON: ${(e as Error).message}`]);
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  const bad = list.findIndex((e) => e === null || typeof e !== "object" || Array.isArray(e));
  if (bad >= 0 || list.length === 0) {
    throw new ConfigError([`ENV_CONFIG: ${path} must hold one environment object or an array of them`]);
  }
  return list as EnvironmentConfig[];
}

/**
 * The environments to synthesize: those in `ENV_CONFIG` if set (each registered under its own
 * `name`), otherwise every shipped environment.
 */
export function selectEnvironments(envVar: string | undefined = process.env.ENV_CONFIG): Record<string, EnvironmentConfig> {
  if (!envVar) return { ...environments };
  const out: Record<string, EnvironmentConfig> = {};
  loadEnvironmentFile(envVar).forEach((env, i) => {
    const name = typeof env.name === "string" && env.name ? env.name : `(unnamed ${i})`;
    if (Object.prototype.hasOwnProperty.call(out, name)) throw new ConfigError([`ENV_CONFIG: environment name "${name}" appears more than once in ${envVar}`]);
    // An own property even for a name such as "__proto__" (then refused by the name rule).
    Object.defineProperty(out, name, { value: env, enumerable: true, writable: true, configurable: true });
  });
  return out;
}
