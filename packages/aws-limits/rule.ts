/**
 * The shapes every rule in this package takes. Dependency-free: no cdktf, zod or AWS SDK, so the
 * schema, the validation tables, the constructs, the hook contract and the packaged CLIs can all
 * read the same numbers and patterns.
 */

/** A numeric range AWS enforces (or this project enforces, with the reason in `doc`). */
export interface Range {
  readonly min: number;
  readonly max: number;
  /** Whole numbers only. */
  readonly integer?: boolean;
  /** The unit the words use ("days", "MBps", "minutes"). */
  readonly unit?: string;
  /** The AWS documentation page that states the range. */
  readonly doc: string;
}

/** A value a setting takes when the configuration leaves it out. */
export interface Default<T> {
  readonly value: T;
  /** Why this value (one line), for the generated configuration reference. */
  readonly why?: string;
  readonly doc?: string;
}

/** A pattern AWS enforces on a name, ARN or identifier. */
export interface Pattern {
  readonly regex: RegExp;
  /** What is allowed, in words, for messages ("1-256 letters, digits and /_-"). */
  readonly allowed: string;
  readonly doc: string;
}

/**
 * One number AWS fixes (or this project fixes, with the reason in `doc`) that is not a range: a
 * one-sided minimum or maximum ("at least 2 AZs"), a fixed budget or count.
 */
export interface Limit {
  readonly value: number;
  /** The unit the words use ("AZs", "minutes"). */
  readonly unit?: string;
  /** The AWS documentation page that states it (or the reason this project sets it). */
  readonly doc: string;
}

/** Whether `value` lies in `range` (and is whole when the range says so). */
export function inRange(range: Range, value: number): boolean {
  return (
    Number.isFinite(value) && value >= range.min && value <= range.max && (!range.integer || Number.isInteger(value))
  );
}

/** "between 7 and 30 days" / "a whole number between 7 and 30 days". */
export function rangeWords(range: Range): string {
  return `${range.integer ? "a whole number " : ""}between ${range.min} and ${range.max}${range.unit ? ` ${range.unit}` : ""}`;
}
