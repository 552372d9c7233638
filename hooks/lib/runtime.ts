import type { Random } from "./backoff";
import type { Clock } from "./clock";
import type { RedactingLogger } from "./logger";

/** What every step gets besides its clients and ids. */
export interface StepRuntime {
  readonly clock: Clock;
  /** Redacting logger: every line a step prints goes through it. */
  readonly log: RedactingLogger;
  /** Overall budget of the step, from its start; exceeding it fails with `TIMEOUT`. */
  readonly timeoutMs: number;
  /**
   * Clock time at which the runner must get control back (Lambda: just before the invocation's
   * end). Reaching it throws `StepInProgress`, not a failure. Unset for the CLI runner.
   */
  readonly yieldAt?: number;
  /** Jitter source; the simulation passes a constant. Default `Math.random`. */
  readonly random?: Random;
}

/** Outcome of a step that did not throw. */
export interface StepResult {
  /** `ALREADY_DONE` when the first describe showed nothing to do (no mutating call made). */
  readonly status: "DONE" | "ALREADY_DONE";
  /** Final observed state, e.g. `ACTIVE`, `CONNECTED`. */
  readonly state: string;
  readonly elapsedMs: number;
}

/** Shared narrow type for `.send` on SDK v3 clients (so steps can take the old CloudHSM client too). */
export interface Sender {
  // The SDK's own `send` overloads are generic per command; steps only need "command in, output out".
  send(command: object): Promise<unknown>;
}
