/**
 * The validation engine: constraint tables are data (field pattern, what is allowed, the AWS
 * source), checked against the raw environment before any construct exists. Every violation is
 * collected, so the user sees all problems at once, one line each:
 *
 *   environments.prod.keys.appData.deletionWindowDays: 45 is not allowed (<allowed>, KMS ScheduleKeyDeletion)
 *
 * where <allowed> is built from the rulebook's rule ({@link KMS.DELETION_WINDOW_DAYS} in words).
 */
import type { EnvironmentConfig } from "../types";

/** One problem with one field. */
export interface Violation {
  /** Full path, e.g. `environments.prod.keys.appData.deletionWindowDays`. */
  readonly path: string;
  readonly value: unknown;
  /** What is allowed, in words built from the rulebook (e.g. `rangeWords(KMS.DELETION_WINDOW_DAYS)`). */
  readonly rule: string;
  /** Where the rule comes from, e.g. `KMS ScheduleKeyDeletion`. */
  readonly source: string;
  /** Print `<redacted>` instead of the value. */
  readonly secret?: boolean;
  /** A message of its own instead of `value is not allowed (rule, source)` (unknown fields). */
  readonly message?: string;
}

/** What a field check sees besides the value. */
export interface FieldContext {
  /** The whole environment being checked (raw, defaults not applied). */
  readonly env: EnvironmentConfig;
  /** The object that holds the field (e.g. the key config for `keys.*.rotation`). */
  readonly parent: Record<string, unknown>;
  /** The concrete path segments matched, relative to the environment (e.g. `["keys","appData","rotation"]`). */
  readonly segments: readonly string[];
}

/** A rule on one field (or every field matching a `*` pattern). */
export interface FieldRule {
  /** Dotted path relative to the environment; `*` matches every key of an object or index of an array. */
  readonly field: string;
  /** What is allowed, shown in the message. May depend on the context (e.g. the deployment type). */
  readonly rule: string | ((ctx: FieldContext) => string);
  /** AWS API, limit or documentation page the rule comes from. */
  readonly source: string;
  /** True when the value is acceptable. Not called for `undefined` unless `required`. */
  readonly check: (value: unknown, ctx: FieldContext) => boolean;
  /** `undefined` is a violation. @default false */
  readonly required?: boolean;
  /** Only apply when this holds (e.g. only for XKS keys). */
  readonly when?: (ctx: FieldContext) => boolean;
  /** Never print the value. */
  readonly secret?: boolean;
}

/** A rule across fields; returns its own violations (with paths relative to the environment). */
export interface CrossRule {
  /** Short description for the README's rule table. */
  readonly description: string;
  readonly source: string;
  readonly check: (env: EnvironmentConfig) => readonly Violation[];
}

/** One domain's constraints. */
export interface ConstraintTable {
  readonly domain: string;
  readonly fields: readonly FieldRule[];
  readonly cross?: readonly CrossRule[];
}

/** Walks a `*` pattern, yielding every concrete match (parent, key, segments). */
function* walk(
  node: unknown,
  pattern: readonly string[],
  segments: string[],
): Generator<{ parent: Record<string, unknown>; key: string; segments: string[] }> {
  if (node === null || typeof node !== "object") return;
  const [head, ...rest] = pattern;
  const obj = node as Record<string, unknown>;
  const keys = head === "*" ? Object.keys(obj) : [head];
  for (const key of keys) {
    if (rest.length === 0) {
      yield { parent: obj, key, segments: [...segments, key] };
    } else {
      yield* walk(obj[key], rest, [...segments, key]);
    }
  }
}

/**
 * Tells whether a rule read a value that was refused before the tables ran (wrong type, template
 * syntax): its finding would only repeat that problem in other words, so it is not reported.
 */
export interface ReadTracker {
  reset(): void;
  readonly tainted: boolean;
  /**
   * Whether a finding at `path` (relative to the environment) may only restate a refused value the
   * rule read since the last reset. Absent: every finding of a rule that read one may.
   */
  covers?(path: string, by: "field" | "cross"): boolean;
}

const untracked: ReadTracker = { reset: () => undefined, tainted: false };

/** Checks one environment against the tables; paths are prefixed with `environments.<name>`. */
export function checkTables(
  env: EnvironmentConfig,
  tables: readonly ConstraintTable[],
  prefix: string,
  reads: ReadTracker = untracked,
): Violation[] {
  const out: Violation[] = [];
  const restates = (path: string, by: "field" | "cross") => reads.tainted && (reads.covers?.(path, by) ?? true);
  for (const table of tables) {
    for (const rule of table.fields) {
      for (const match of walk(env, rule.field.split("."), [])) {
        const value = match.parent[match.key];
        const ctx: FieldContext = { env, parent: match.parent, segments: match.segments };
        reads.reset();
        let ok: boolean;
        try {
          if (rule.when && !rule.when(ctx)) continue;
          if (value === undefined && !rule.required) continue;
          ok = value !== undefined && rule.check(value, ctx);
        } catch (e) {
          // A rule that stumbled over a refused value (a hole a wrong element left in its list).
          if (reads.tainted) continue;
          throw e;
        }
        if (restates(match.segments.join("."), "field")) continue;
        if (!ok) {
          out.push({
            path: `${prefix}.${match.segments.join(".")}`,
            value,
            rule: typeof rule.rule === "function" ? rule.rule(ctx) : rule.rule,
            source: rule.source,
            secret: rule.secret,
          });
        }
      }
    }
    for (const cross of table.cross ?? []) {
      reads.reset();
      let found: readonly Violation[];
      try {
        found = cross.check(env);
      } catch (e) {
        if (reads.tainted) continue;
        throw e;
      }
      for (const v of found) if (!restates(v.path, "cross")) out.push({ ...v, path: `${prefix}.${v.path}` });
    }
  }
  return out;
}

/** Renders a value for a message: strings quoted, missing values named, secrets redacted. */
export function formatValue(value: unknown, secret?: boolean): string {
  if (secret && value !== undefined) return "<redacted>";
  if (value === undefined) return "(missing)";
  if (typeof value === "string") {
    // Invisible and direction-changing characters (zero-width space, right-to-left override, ...)
    // written as \uXXXX, so the value the user reads is the value that was refused.
    const shown = (s: string): string =>
      JSON.stringify(s).replace(
        /[\p{Cf}\p{Cc}\p{Zl}\p{Zp}\u00a0\u2000-\u200a\u3000]/gu,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
      );
    return value.length > 1024 ? `${shown(value.slice(0, 160))}... (${value.length} chars)` : shown(value);
  }
  if (Array.isArray(value) || (value !== null && typeof value === "object")) {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  }
  return String(value);
}

/** `path: value is not allowed (rule, source)`. */
export function formatViolation(v: Violation): string {
  if (v.message) return `${v.path}: ${v.message}`;
  return `${v.path}: ${formatValue(v.value, v.secret)} is not allowed (${v.rule}, ${v.source})`;
}

/** Shorthand for a cross-rule violation at a relative path. */
export function violation(path: string, value: unknown, rule: string, source: string): Violation {
  return { path, value, rule, source };
}
