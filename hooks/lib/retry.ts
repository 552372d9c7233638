import type { Clock } from "./clock";
import { awsErrorCode, errorMessage } from "./errors";
import { backoffDelay, RETRY_BACKOFF, type BackoffPolicy, type Random } from "./backoff";
import type { RedactingLogger } from "./logger";

/**
 * Client configuration for every SDK v3 client the runners build: the SDK's adaptive retry
 * strategy (client-side rate limiting + exponential backoff on throttling and transient errors)
 * absorbs most faults; `withRetry` below covers what is left around long polls.
 */
export const SDK_RETRY_CONFIG = { maxAttempts: 8, retryMode: "adaptive" } as const;

const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "TooManyRequests",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
  "ProvisionedThroughputExceededException",
]);

const NETWORK = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "NetworkingError",
]);

/** Service-side transient failures worth a retry. */
const TRANSIENT = new Set([
  "KMSInternalException",
  "DependencyTimeoutException",
  "CloudHsmInternalFailureException",
  "InternalServerError",
  "InternalFailure",
  "ServiceUnavailable",
  "InternalServiceError",
  "InternalServiceErrorException",
]);

/** True for throttling errors (HTTP 429 or a throttling code). */
export function isThrottling(err: unknown): boolean {
  if (THROTTLING.has(awsErrorCode(err))) return true;
  const status = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return status === 429;
}

/** True for errors where retrying the same call is safe and likely to succeed. */
export function isRetryable(err: unknown): boolean {
  if (isThrottling(err)) return true;
  const code = awsErrorCode(err);
  if (NETWORK.has(code) || TRANSIENT.has(code)) return true;
  const e = err as { $retryable?: unknown; $metadata?: { httpStatusCode?: number } } | null;
  if (e?.$retryable) return true;
  const status = e?.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

export interface RetryOptions {
  readonly clock: Clock;
  readonly log: RedactingLogger;
  /** `[step id]` prefix for the warning lines. */
  readonly label: string;
  readonly maxAttempts?: number;
  readonly policy?: BackoffPolicy;
  readonly random?: Random;
}

/**
 * Runs `fn`, retrying retryable errors with bounded backoff on the injected clock. Non-retryable
 * errors, and the last retryable one, are rethrown unchanged for the step to map.
 */
export function withRetry<T>(what: string, fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  return retryLoop(what, fn, opts);
}

/**
 * The one retry loop of {@link withRetry} and {@link withRetryUnlessDone}. With `alreadyDone`, an
 * {@link AmbiguousCallError} is judged by the error it wraps, and after a retryable failure that is
 * not throttling `alreadyDone` is asked (after the backoff) whether the call took effect all the
 * same: what it finds is the result, and the call is not sent again.
 */
async function retryLoop<T>(
  what: string,
  fn: () => Promise<T>,
  opts: RetryOptions,
  alreadyDone?: () => Promise<T | undefined>,
): Promise<T> {
  const maxAttempts = opts.maxAttempts ?? 5;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (raw) {
      const err = alreadyDone && raw instanceof AmbiguousCallError ? raw.original : raw;
      if (!isRetryable(err) || attempt + 1 >= maxAttempts) throw err;
      const check = alreadyDone !== undefined && !isThrottling(err);
      const delay = backoffDelay(opts.policy ?? RETRY_BACKOFF, attempt, opts.random);
      opts.log.warn(
        `[${opts.label}] ${what} failed with ${awsErrorCode(err)} (${errorMessage(err)}); ${check ? "checking whether it took effect before retry" : "retry"} ${attempt + 1}/${maxAttempts - 1} in ${Math.round(delay / 1000)}s`,
      );
      await opts.clock.sleep(delay);
      if (!check) continue;
      const done = await alreadyDone();
      if (done !== undefined) {
        opts.log.warn(`[${opts.label}] ${what} had taken effect despite the error: not sent again`);
        return done;
      }
    }
  }
}

/**
 * A non-idempotent call (CreateCluster, CreateHsm: no client token) failed in a way after which AWS may
 * have acted (a 5xx, a network error or timeout): the SDK must not send it again blindly. Not a
 * retryable error to the SDK (no status, no retryable name or trait); {@link withRetryUnlessDone} looks first.
 */
export class AmbiguousCallError extends Error {
  override readonly name = "AmbiguousCallError";
  constructor(readonly original: unknown) {
    super(errorMessage(original));
  }
}

interface CommandWithStack {
  readonly middlewareStack: {
    add(
      mw: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>,
      options: { step: "finalizeRequest"; priority: "low"; name: string },
    ): void;
  };
}

/**
 * The command, made safe from the SDK's own retries for a call that is not idempotent: inside the SDK's
 * retry middleware (finalizeRequest, priority high), a throttled attempt (refused, nothing done) is
 * still retried by the SDK, any other retryable failure becomes an {@link AmbiguousCallError}, which
 * the SDK does not retry. A command without a middleware stack (a test double) is returned as is.
 */
export function noBlindRetry<C extends object>(command: C): C {
  const stack = (command as Partial<CommandWithStack>).middlewareStack;
  stack?.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        if (isRetryable(err) && !isThrottling(err)) throw new AmbiguousCallError(err);
        throw err;
      }
    },
    { step: "finalizeRequest", priority: "low", name: "cmkNoBlindRetry" },
  );
  return command;
}

/**
 * {@link withRetry} for a call that is not idempotent (build its command with {@link noBlindRetry}):
 * a throttled call is retried as usual; after any other retryable failure `alreadyDone` is asked,
 * after the backoff, whether the call took effect all the same, and what it finds is the result
 * (the call is not sent again). Errors are rethrown as the service sent them.
 */
export function withRetryUnlessDone<T>(
  what: string,
  fn: () => Promise<T>,
  alreadyDone: () => Promise<T | undefined>,
  opts: RetryOptions,
): Promise<T> {
  return retryLoop(what, fn, opts, alreadyDone);
}
