/** Shared checks of the rulebook's shapes for the per-service tests: every rule has an AWS page and a sane range. */
import type { Pattern, Range } from "@cmk-stacks/aws-limits";

const isRange = (v: unknown): v is Range =>
  typeof v === "object" && v !== null && "min" in v && "max" in v && "doc" in v;
const isPattern = (v: unknown): v is Pattern => typeof v === "object" && v !== null && "regex" in v && "allowed" in v;

/** The Range and Pattern exports of a rulebook namespace, by name. */
export function shapesOf(ns: Record<string, unknown>): {
  ranges: [string, Range][];
  patterns: [string, Pattern][];
  docs: [string, string][];
} {
  const entries = Object.entries(ns);
  const ranges = entries.filter((e): e is [string, Range] => isRange(e[1]));
  const patterns = entries.filter((e): e is [string, Pattern] => isPattern(e[1]));
  const docs = entries.flatMap(([name, v]) =>
    typeof v === "object" && v !== null && "doc" in v
      ? [[name, String((v as { doc: unknown }).doc)] as [string, string]]
      : [],
  );
  return { ranges, patterns, docs };
}

/** The assertions every rulebook file's test makes about its shapes. */
export function describeShapes(ns: Record<string, unknown>): void {
  const { ranges, patterns, docs } = shapesOf(ns);
  test("has rules", () => expect(docs.length).toBeGreaterThan(0));
  test.each(ranges)("%s: min <= max, whole bounds", (_name, r) => {
    expect(r.min).toBeLessThanOrEqual(r.max);
    expect(Number.isInteger(r.min) && Number.isInteger(r.max)).toBe(true);
  });
  test.each(patterns)("%s: anchored, with words for messages", (_name, p) => {
    expect(p.regex.source.startsWith("^")).toBe(true);
    expect(p.regex.source.endsWith("$")).toBe(true);
    expect(p.allowed.length).toBeGreaterThan(5);
  });
  test.each(docs)("%s cites an AWS documentation page", (_name, doc) => {
    expect(doc).toMatch(/^https:\/\/docs\.aws\.amazon\.com\/\S+$/);
  });
}
