import { formatDuration, type Clock } from "./clock";
import type { RedactingLogger } from "./logger";

/**
 * Prints one line per state change, with the time since the step started:
 * `[connect-key-store cks-123] CONNECTING -> CONNECTED after 7m12s`. Unchanged states print
 * nothing, so a 20-minute wait is a handful of lines, not one per poll.
 */
export class ProgressReporter {
  private last: string | undefined;
  readonly startedAt: number;

  constructor(
    readonly label: string,
    private readonly clock: Clock,
    private readonly log: RedactingLogger,
  ) {
    this.startedAt = clock.now();
  }

  /** Milliseconds since the step started. */
  elapsed(): number {
    return this.clock.now() - this.startedAt;
  }

  /** The last state observed, `UNKNOWN` before the first. */
  get state(): string {
    return this.last ?? "UNKNOWN";
  }

  /** Records an observed state; prints a line if it differs from the previous one. */
  observe(state: string): void {
    if (state === this.last) return;
    if (this.last === undefined) this.log.info(`[${this.label}] ${state} at ${formatDuration(this.elapsed())}`);
    else this.log.info(`[${this.label}] ${this.last} -> ${state} after ${formatDuration(this.elapsed())}`);
    this.last = state;
  }

  /** A free-form line with the same prefix. */
  note(message: string): void {
    this.log.info(`[${this.label}] ${message}`);
  }
}
