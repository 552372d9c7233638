/** Shared checks of a rulebook namespace: every Range is ordered and every rule names an https documentation page. */
import type { Range } from "@cmk-stacks/aws-limits";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isRange = (v: unknown): v is Range =>
  isObject(v) && typeof v.min === "number" && typeof v.max === "number" && typeof v.doc === "string";

/** The exports of `ns` that are Ranges, Defaults (objects with `value`) or Patterns (objects with `regex`), by name. */
export function rulesOf(ns: Record<string, unknown>): [string, Record<string, unknown>][] {
  return Object.entries(ns).filter(
    (e): e is [string, Record<string, unknown>] =>
      isObject(e[1]) && ("doc" in e[1] || "value" in e[1] || "regex" in e[1]),
  );
}

/** The Range exports of `ns`, by name. */
export function rangesOf(ns: Record<string, unknown>): [string, Range][] {
  return Object.entries(ns).filter((e): e is [string, Range] => isRange(e[1]));
}

/** Registers the shape tests of `ns`: its rules have an https doc on one of `hosts`, its ranges min <= max. */
export function describeShape(
  name: string,
  ns: Record<string, unknown>,
  hosts: readonly string[] = ["docs.aws.amazon.com"],
): void {
  describe(`${name}: shape`, () => {
    test("has rules", () => {
      expect(rulesOf(ns).length).toBeGreaterThan(0);
    });
    test.each(rulesOf(ns).map(([n, r]) => [n, r] as const))(
      "%s has an https documentation link on an allowed host",
      (_n, rule) => {
        expect(typeof rule.doc).toBe("string");
        const url = new URL(String(rule.doc));
        expect(url.protocol).toBe("https:");
        expect(hosts).toContain(url.hostname);
      },
    );
    const ranges = rangesOf(ns);
    if (ranges.length) {
      test.each(ranges)("%s: min <= max", (_n, r) => {
        expect(r.min).toBeLessThanOrEqual(r.max);
      });
    }
  });
}
