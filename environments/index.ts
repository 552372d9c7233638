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
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ConfigError([`ENV_CONFIG: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`]);
  }
  const text = decodeJsonText(path, bytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError([`ENV_CONFIG: ${path} is not valid JSON: ${(e as Error).message}`]);
  }
  const repeated = duplicateFields(text);
  if (repeated.length) {
    throw new ConfigError(
      repeated.map(
        (d) =>
          `ENV_CONFIG: ${path}: ${d.field} appears more than once (line ${d.line}): a JSON reader keeps only the last; keep one`,
      ),
    );
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  const bad = list.findIndex((e) => e === null || typeof e !== "object" || Array.isArray(e));
  if (bad >= 0 || list.length === 0) {
    throw new ConfigError([`ENV_CONFIG: ${path} must hold one environment object or an array of them`]);
  }
  return list as EnvironmentConfig[];
}

/** Byte-order marks of encodings other than UTF-8, longest first (UTF-32 LE starts like UTF-16 LE). */
const OTHER_BOMS: readonly [string, number[]][] = [
  ["UTF-32 (big-endian)", [0x00, 0x00, 0xfe, 0xff]],
  ["UTF-32 (little-endian)", [0xff, 0xfe, 0x00, 0x00]],
  ["UTF-16 (big-endian)", [0xfe, 0xff]],
  ["UTF-16 (little-endian)", [0xff, 0xfe]],
];

/**
 * The file's text. JSON is UTF-8 (RFC 8259 section 8.1); a UTF-8 byte-order mark (EF BB BF, which
 * some Windows editors write) is accepted and skipped, as the RFC allows a parser to. A UTF-16 or
 * UTF-32 file is refused by name rather than read as garbage.
 */
function decodeJsonText(path: string, bytes: Buffer): string {
  for (const [encoding, bom] of OTHER_BOMS) {
    if (bytes.length >= bom.length && bom.every((b, i) => bytes[i] === b)) {
      const hex = bom.map((b) => b.toString(16).toUpperCase().padStart(2, "0")).join(" ");
      throw new ConfigError([
        `ENV_CONFIG: ${path} is ${encoding} text (byte-order mark ${hex}): save it as UTF-8 (JSON text is UTF-8, RFC 8259)`,
      ]);
    }
  }
  const utf8Bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return bytes.toString("utf8", utf8Bom ? 3 : 0);
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
  // Iterative, in document order: no nesting depth overflows the stack.
  const stack: { node: unknown; path: string }[] = [{ node: doc.contents, path: "" }];
  while (stack.length) {
    const { node, path } = stack.pop() as { node: unknown; path: string };
    const children: { node: unknown; path: string }[] = [];
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const field = path ? `${path}.${key}` : key;
        if (seen.has(key))
          out.push({ field, line: lines.linePos((pair.key as { range?: number[] }).range?.[0] ?? 0).line });
        seen.add(key);
        children.push({ node: pair.value, path: field });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => children.push({ node: item, path: path ? `${path}.${i}` : `[${i}]` }));
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return out;
}

/**
 * The environments to synthesize: those in `ENV_CONFIG` if set (each registered under its own
 * `name`), otherwise every shipped environment.
 */
export function selectEnvironments(
  envVar: string | undefined = process.env.ENV_CONFIG,
): Record<string, EnvironmentConfig> {
  if (!envVar) return { ...environments };
  const out: Record<string, EnvironmentConfig> = {};
  loadEnvironmentFile(envVar).forEach((env, i) => {
    const name = typeof env.name === "string" && env.name ? env.name : `(unnamed ${i})`;
    if (Object.prototype.hasOwnProperty.call(out, name))
      throw new ConfigError([`ENV_CONFIG: environment name "${name}" appears more than once in ${envVar}`]);
    // An own property even for a name such as "__proto__" (then refused by the name rule).
    Object.defineProperty(out, name, { value: env, enumerable: true, writable: true, configurable: true });
  });
  return out;
}
