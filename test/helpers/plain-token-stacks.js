// Both projects' setupFilesAfterEnv (jest.config.js): cdktf's and constructs' creation stacks are
// formatted without source maps; every Error keeps jest's source-mapped trace.
//
// cdktf captures a complete stack trace for every token it creates (Error.stackTraceLimit at its
// maximum, cdktf/lib/tokens/private/stack-trace.js; constructs' addMetadata the same) on a plain
// object, `{ stack: "" }`, and reads it at once. Under jest that reading goes through
// source-map-support (installed by jest-runner before this file runs), which maps every frame
// through the inline source maps of cdktf, the AWS provider bindings and the ts-jest output: about
// 70% of the CPU of composing an environment. Jest 29 has no option to turn the mapping off
// (https://github.com/jestjs/jest/issues/7879), and turning it off for the whole suite would also
// unmap the stacks of failing tests. So only stacks captured on something that is not an Error (the
// creation stacks, which cdktf shows in its token-resolution errors) get V8's plain call-site
// formatting; an error's message never depends on this, and an Error's stack (an assertion, a
// thrown refusal) still points at the TypeScript line.
const { isNativeError } = require("node:util").types;

/** V8's plain formatting of a captured stack: the header line, then one `at` line per frame. */
function plainStack(error, frames) {
  return [header(error), ...frames.map((f) => `    at ${String(f)}`)].join("\n");
}

/** The first line: the object as a string, or its tag when it has no string form (a null prototype). */
function header(error) {
  try {
    return String(error);
  } catch {
    return Object.prototype.toString.call(error);
  }
}

/** Wraps `mapped` (source-map-support's prepareStackTrace): Errors keep it, other objects get plainStack. */
function plainForNonErrors(mapped) {
  return function prepareStackTrace(error, frames) {
    if (typeof mapped === "function" && (error instanceof Error || isNativeError(error))) return mapped(error, frames);
    return plainStack(error, frames);
  };
}

// The suite's realm has its own Error (a fresh one for every suite file): nothing to put back.
if (typeof afterAll === "function") Error.prepareStackTrace = plainForNonErrors(Error.prepareStackTrace);

module.exports = { plainForNonErrors, plainStack };
