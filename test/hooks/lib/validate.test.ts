/** The runners' identifier patterns: what they accept, and that hostile arguments are rejected in linear time. */
import { checkIds, ID_PATTERNS, isIsoTime, type IdKind } from "../../../hooks/lib/validate";

const N = 10_000;
/** Long near-misses: a valid-looking body that fails only at the last character, the shape that makes backtracking explode. */
const HOSTILE: string[] = [
  "a".repeat(N) + "!",
  "/a".repeat(N / 2) + "/",
  "/a".repeat(N / 2) + "!",
  "a/".repeat(N / 2) + "/!",
  "1.".repeat(N / 2) + "!",
  "cluster-" + "a".repeat(N) + "!",
  "cks-" + "a".repeat(N) + "!",
  "i-" + "0".repeat(N) + "!",
  "arn:aws" + "-".repeat(N) + ":",
  "arn:aws:secretsmanager:eu-west-1:111122223333:secret:" + "a".repeat(N) + " ",
  "eu" + "-gov".repeat(N / 4) + "!",
];

describe("identifier patterns", () => {
  test.each(Object.keys(ID_PATTERNS) as IdKind[])(
    "%s rejects every 10,000-character hostile argument in under 50 ms",
    (kind) => {
      for (const value of HOSTILE) {
        // The fastest of three runs: a quadratic or exponential pattern is slow every time, while a
        // loaded machine (other jest workers) can deschedule one run for longer than the bound.
        let ok = true;
        let ms = Infinity;
        for (let run = 0; run < 3; run++) {
          const start = process.hrtime.bigint();
          ok = ID_PATTERNS[kind].test(value);
          ms = Math.min(ms, Number(process.hrtime.bigint() - start) / 1e6);
        }
        expect({ value: value.slice(0, 20), ok, fast: ms < 50 }).toEqual({
          value: value.slice(0, 20),
          ok: false,
          fast: true,
        });
      }
    },
  );

  test.each([
    ["/cmk/dev/kmsuser", true],
    ["cmk.dev_kmsuser-1", true],
    ["cmk/dev", true],
    ["//cmk", false],
    ["cmk//dev", false],
    ["/cmk/", false],
    ["", false],
  ])("parameterName %j -> %s", (value, ok) => {
    expect(ID_PATTERNS.parameterName.test(value)).toBe(ok);
  });

  test("a long bad value is named and shortened in the message", () => {
    expect(checkIds({ parameterName: "a".repeat(N) + "!" })).toEqual([
      `'parameterName' value must match ${ID_PATTERNS.parameterName.source}. Received: ${"a".repeat(80)}... (${N + 1} characters)`,
    ]);
  });
});

describe("isoTime: a UTC time of a real calendar day", () => {
  test.each([
    ["2026-12-01T10:00:00Z", true],
    ["2026-12-01T10:00Z", true],
    ["2028-02-29T23:59:59.999Z", true],
    ["2026-02-29T10:00:00Z", false],
    ["2026-02-30T10:00:00Z", false],
    ["2026-04-31T10:00:00Z", false],
    ["2026-13-45T99:99Z", false],
    ["2026-12-01T24:00Z", false],
    ["2026-12-01T10:00:60Z", false],
    ["2026-12-01T10:00:00+01:00", false],
  ])("%s -> %s (the pattern, isIsoTime and checkIds agree)", (value, ok) => {
    expect(isIsoTime(value)).toBe(ok);
    expect(checkIds({ isoTime: value })).toHaveLength(ok ? 0 : 1);
  });
});
