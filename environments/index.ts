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

/** Reads an environment from a JSON file (for example the output of `npm run config -- <env>`). */
export function loadEnvironmentFile(path: string): EnvironmentConfig {
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
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError([`ENV_CONFIG: ${path} must hold one environment object, found ${Array.isArray(parsed) ? "an array" : typeof parsed}`]);
  }
  return parsed as EnvironmentConfig;
}

/**
 * The environments to synthesize: the one in `ENV_CONFIG` if set (registered under its own
 * `name`), otherwise every shipped environment.
 */
export function selectEnvironments(envVar: string | undefined = process.env.ENV_CONFIG): Record<string, EnvironmentConfig> {
  if (!envVar) return { ...environments };
  const env = loadEnvironmentFile(envVar);
  const name = typeof env.name === "string" && env.name ? env.name : "(unnamed)";
  return { [name]: env };
}
