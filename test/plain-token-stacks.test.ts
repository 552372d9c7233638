/**
 * Both projects' setupFilesAfterEnv test/helpers/plain-token-stacks.js: a token's creation stack
 * (captured on a plain object by cdktf) is not source-mapped; an Error's stack still is, so a
 * failing test points at its TypeScript line.
 */
import { readFileSync } from "node:fs";

// Type-only lines vanish from ts-jest's output, so below here this file's JavaScript lines are not
// its TypeScript lines: a mapped position and a plain one differ.
interface Unused {
  a: string;
  b: number;
  c: boolean;
}
export type { Unused };

// The formatter the setup file installed, read before this file requires the helper (which would install it too).
// Typed for what V8 hands it: cdktf's creation stacks are captured on plain objects, not Errors.
const installed = Error.prepareStackTrace as ((error: object, frames: NodeJS.CallSite[]) => unknown) | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { plainForNonErrors, plainStack } = require("./helpers/plain-token-stacks") as {
  plainForNonErrors: (mapped: unknown) => (error: unknown, frames: unknown[]) => string;
  plainStack: (error: unknown, frames: unknown[]) => string;
};

const SOURCE = readFileSync(__filename, "utf8").split("\n");
/** This file's TypeScript line holding `marker` (1-based). */
const lineOf = (marker: string) => SOURCE.findIndex((l) => l.includes(marker) && !l.includes("lineOf(")) + 1;

test("an Error's stack points at the TypeScript line (jest's source maps kept)", () => {
  const error = new Error("boom"); // MARK-ERROR
  expect(error.stack).toContain(`plain-token-stacks.test.ts:${lineOf("MARK-ERROR")}:`);
});

test("the suite's formatter gives a stack captured on a plain object (cdktf's token creation stacks) V8's plain formatting, reading no source map", () => {
  // A frame with nothing but its string form: source-map-support's formatter would ask it for its file and position.
  const frame = { toString: () => "f (/x.js:1:2)" } as unknown as NodeJS.CallSite;
  expect(installed?.({ stack: "" }, [frame])).toBe("[object Object]\n    at f (/x.js:1:2)");
});

test("the wrapper: Errors (of any realm) go to jest's formatter, anything else to V8's plain formatting", () => {
  const mapped = jest.fn(() => "mapped");
  const prepare = plainForNonErrors(mapped);
  const frame = { toString: () => "f (/x.js:1:2)" };
  expect(prepare(new TypeError("t"), [frame])).toBe("mapped");
  expect(prepare({ stack: "" }, [frame])).toBe("[object Object]\n    at f (/x.js:1:2)");
  // An object without a string form (null prototype) still gets a stack, never a throw.
  expect(prepare(Object.create(null), [frame])).toBe("[object Object]\n    at f (/x.js:1:2)");
  expect(plainStack(Object.create(null), [])).toBe("[object Object]");
  expect(mapped).toHaveBeenCalledTimes(1);
  // Without jest's formatter (none installed), an Error gets the plain one too.
  expect(plainForNonErrors(undefined)(new Error("e"), [frame])).toBe("Error: e\n    at f (/x.js:1:2)");
});
