/**
 * cdktf captures a complete stack trace for every token it creates (`Error.stackTraceLimit` at its
 * maximum, cdktf/lib/tokens/private/stack-trace.js) and reads it at once. Under jest that reading
 * goes through source-map-support, which maps every frame through the inline source maps of cdktf,
 * the AWS provider bindings and the ts-jest output: about 70% of the CPU of composing an
 * environment. {@link withPlainStackTraces} runs a composition or a synth with V8's plain call-site
 * formatting instead (a third of the CPU). Only cdktf's token creation stacks, which appear in its
 * token-resolution errors, lose their TypeScript positions; an error's message is unchanged, and
 * an error thrown inside whose stack is first read outside still gets jest's mapped trace (V8
 * formats a stack when it is first read).
 */
export function withPlainStackTraces<T>(fn: () => T): T {
  const saved = Error.prepareStackTrace;
  Error.prepareStackTrace = (error: unknown, frames: NodeJS.CallSite[]) => [String(error), ...frames.map((f) => `    at ${String(f)}`)].join("\n");
  try {
    return fn();
  } finally {
    Error.prepareStackTrace = saved;
  }
}
