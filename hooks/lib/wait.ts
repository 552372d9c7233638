import { formatDuration } from "./clock";
import { awsErrorCode, HookError, StepInProgress } from "./errors";
import { PollSchedule, type PollPolicy } from "./backoff";
import type { ProgressReporter } from "./progress";
import { isRetryable } from "./retry";
import type { StepRuntime } from "./runtime";

/** One wait: poll `describe` until `done`, failing fast through `check`. */
export interface WaitSpec<S> {
  readonly runtime: StepRuntime;
  readonly progress: ProgressReporter;
  /** What we wait for, for the timeout message (`CONNECTED`, `2 ACTIVE HSMs in 2 AZs`). */
  readonly target: string;
  readonly describe: () => Promise<S>;
  readonly stateOf: (s: S) => string;
  readonly done: (s: S) => boolean;
  /** Throws a HookError for states from which waiting cannot succeed (e.g. FAILED, DEGRADED). */
  readonly check?: (s: S) => void;
  readonly policy: PollPolicy;
  /** Already-described state: the wait sleeps before its first describe (saves one call). */
  readonly first?: S;
  /** Next action when the overall timeout is hit. */
  readonly timeoutAction: string;
}

/**
 * Describe, check, sleep per schedule, until done. Transient describe errors (throttling,
 * network) count as a missed poll, not a failure. Ends with:
 * - the final description when `done`;
 * - `HookError` `TIMEOUT` naming the last state and the elapsed time once the step's budget is spent;
 * - `StepInProgress` when the next poll would fall after the runner's `yieldAt`.
 */
export async function waitUntil<S>(spec: WaitSpec<S>): Promise<S> {
  const { runtime, progress } = spec;
  const { clock } = runtime;
  const schedule = new PollSchedule(spec.policy, runtime.random);
  const waitStart = clock.now();
  const deadline = progress.startedAt + runtime.timeoutMs;
  let current: S | undefined = spec.first;
  let skipDescribe = spec.first !== undefined;

  for (;;) {
    if (!skipDescribe) {
      try {
        current = await spec.describe();
      } catch (err) {
        if (!isRetryable(err)) throw err;
        runtime.log.warn(`[${progress.label}] describe failed with ${awsErrorCode(err)}; polling continues`);
      }
    }
    skipDescribe = false;
    if (current !== undefined) {
      progress.observe(spec.stateOf(current));
      spec.check?.(current);
      if (spec.done(current)) return current;
    }
    const now = clock.now();
    if (now >= deadline) {
      throw new HookError(
        progress.label,
        "TIMEOUT",
        `still ${progress.state} after ${formatDuration(progress.elapsed())} waiting for ${spec.target}`,
        spec.timeoutAction,
      );
    }
    // The last poll lands exactly on the deadline so the timeout reports the freshest state.
    const delay = Math.min(schedule.next(now - waitStart), deadline - now);
    if (runtime.yieldAt !== undefined && now + delay > runtime.yieldAt) {
      throw new StepInProgress(progress.label, progress.state, progress.elapsed());
    }
    await clock.sleep(delay);
  }
}
