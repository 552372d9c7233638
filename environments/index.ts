/**
 * The shipped environments, and loading one from a JSON file (`ENV_CONFIG`). Both go through the
 * same types and the same validation.
 */
import { readFileSync } from "node:fs";
import type * as Yaml from "yaml";
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
  const repeated = duplicateFields(text);
  if (repeated.length) {
    throw new ConfigError(repeated.map((d) => `ENV_CONFIG: ${path}: ${d.field} appears more than once (line ${d.line}): a JSON reader keeps only the last; keep one`));
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  const bad = list.findIndex((e) => e === null || typeof e !== "object" || Array.isArray(e));
  if (bad >= 0 || list.length === 0) {
    throw new ConfigError([`ENV_CONFIG: ${path} must hold one environment object or an array of them`]);
  }
  return list as EnvironmentConfig[];
}

/**
 * Fields that appear twice in one JSON object (`"rotation": false, ... "rotation": true`): JSON.parse
 * silently keeps the last one, so the file would be read differently from how it reads. The text
 * is already valid JSON here; YAML 1.2 reads JSON and keeps every key, with its position.
 */
function duplicateFields(text: string): { field: string; line: number }[] {
  // Loaded only when a file is read: the shipped environments never need it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { isMap, isScalar, isSeq, LineCounter, parseDocument } = require("yaml") as typeof Yaml;
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: false, lineCounter: lines });
  const out: { field: string; line: number }[] = [];
  if (doc.errors.length) return out;
  const walk = (node: unknown, path: string) => {
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const field = path ? `${path}.${key}` : key;
        if (seen.has(key)) out.push({ field, line: lines.linePos((pair.key as { range?: number[] }).range?.[0] ?? 0).line });
        seen.add(key);
        walk(pair.value, field);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, path ? `${path}.${i}` : `[${i}]`));
    }
  };
  walk(doc.contents, "");
  return out;
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
