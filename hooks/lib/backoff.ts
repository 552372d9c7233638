import { HOOKS } from "@cmk-stacks/aws-limits";
/** Bounded exponential backoff: `initialMs * factor^attempt`, capped at `maxMs`, minus jitter. */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  /** 0..1: each delay is shortened by up to this fraction at random (never lengthened past the cap). */
  readonly jitter: number;
}

/**
 * How a wait polls. With `expectedMs` (the documented typical duration of the operation) the
 * schedule never sleeps past that moment, then polls at `settleMs`, growing again to the cap: the
 * end is most likely right after the typical time, so polls are dense there and sparse before.
 */
export interface PollPolicy extends BackoffPolicy {
  readonly expectedMs?: number;
  /** First delay once `expectedMs` has passed. Default: `initialMs / 3`. */
  readonly settleMs?: number;
}

/** Random source in [0, 1): `Math.random` in production, a constant in the simulation. */
export type Random = () => number;

/** Delay before retry number `attempt` (0-based). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: Random = Math.random): number {
  const raw = Math.min(policy.maxMs, policy.initialMs * Math.pow(policy.factor, attempt));
  return Math.max(1, Math.round(raw * (1 - policy.jitter * random())));
}

/** Stateful poll schedule for one wait: call `next(elapsedMs)` before each sleep. */
export class PollSchedule {
  private attempt = 0;
  private settleAttempt = 0;

  constructor(
    private readonly policy: PollPolicy,
    private readonly random: Random = Math.random,
  ) {}

  /** Milliseconds to sleep before the next describe, given the time already spent waiting. */
  next(elapsedMs: number): number {
    const { expectedMs } = this.policy;
    if (expectedMs !== undefined && elapsedMs >= expectedMs) {
      const settle = { ...this.policy, initialMs: this.policy.settleMs ?? Math.max(1000, this.policy.initialMs / 3) };
      return backoffDelay(settle, this.settleAttempt++, this.random);
    }
    const delay = backoffDelay(this.policy, this.attempt++, this.random);
    if (expectedMs !== undefined && elapsedMs + delay > expectedMs) return Math.max(1, expectedMs - elapsedMs);
    return delay;
  }
}

/**
 * Describes a wait of `durationMs` needs under `policy` after its first observation: the
 * simulation's yardstick for "no more calls than the schedule needs".
 */
export function pollsNeeded(policy: PollPolicy, durationMs: number, random: Random = Math.random): number {
  const schedule = new PollSchedule(policy, random);
  let elapsed = 0;
  let polls = 0;
  while (elapsed < durationMs) {
    elapsed += schedule.next(elapsed);
    polls++;
  }
  return polls;
}

/**
 * Documented typical durations: the rulebook's {@link HOOKS.TYPICAL_MINUTES}, in milliseconds. They shape the poll
 * schedules; they are not limits (the step's timeout is).
 */
export const TYPICAL_MS = {
  hsmCreate: HOOKS.TYPICAL_MINUTES.hsmCreate * 60_000,
  initialize: HOOKS.TYPICAL_MINUTES.initialize * 60_000,
  activate: HOOKS.TYPICAL_MINUTES.activate * 60_000,
  ssmCommand: HOOKS.TYPICAL_MINUTES.ssmCommand * 60_000,
  connectCloudHsm: HOOKS.TYPICAL_MINUTES.connectCloudHsm * 60_000,
  connectXks: HOOKS.TYPICAL_MINUTES.connectXks * 60_000,
  disconnect: HOOKS.TYPICAL_MINUTES.disconnect * 60_000,
} as const;

/** Base schedule of every AWS state poll: 15 s, growing x1.5 to a 60 s cap, 10% jitter. */
export const DEFAULT_POLL: BackoffPolicy = { initialMs: 15_000, maxMs: 60_000, factor: 1.5, jitter: 0.1 };

/** SSM command invocations finish in seconds to minutes: poll faster than AWS state. */
export const COMMAND_POLL: PollPolicy = {
  initialMs: 3_000,
  maxMs: 15_000,
  factor: 1.5,
  jitter: 0.1,
  expectedMs: TYPICAL_MS.ssmCommand,
  settleMs: 2_000,
};

/** Retries of a failed call (throttling, network): 1 s growing x2 to 20 s, full-ish jitter. */
export const RETRY_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 20_000, factor: 2, jitter: 0.5 };

/** A poll policy with the given typical duration. */
export function pollFor(expectedMs: number, base: BackoffPolicy = DEFAULT_POLL): PollPolicy {
  return { ...base, expectedMs };
}
