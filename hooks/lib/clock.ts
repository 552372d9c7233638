/**
 * Time source for every wait. Steps never call `setTimeout`/`Date.now` directly so that tests and
 * the bootstrap simulation can run 50 minutes of AWS waiting in milliseconds on a virtual clock.
 */
export interface Clock {
  /** Milliseconds since an arbitrary origin (epoch for the real clock, 0 for a virtual one). */
  now(): number;
  /** Resolves after `ms` milliseconds of this clock's time. */
  sleep(ms: number): Promise<void>;
}

/** Wall-clock time: what the CLI and Lambda runners use. */
export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly resolve: () => void;
}

/**
 * Discrete-event clock. `sleep` registers a timer; once every pending promise callback has run
 * (checked with `setImmediate`, i.e. all concurrent tasks are blocked on the clock), time jumps to
 * the earliest timer and wakes it. Concurrent sleepers (parallel HSM creation in the simulation)
 * therefore wake in time order, as they would for real. Only valid when nothing awaits real I/O,
 * which holds for mocked clients.
 */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: Timer[] = [];
  private tickScheduled = false;

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timers.push({ at: this.current + Math.max(0, ms), seq: this.seq++, resolve });
      this.scheduleTick();
    });
  }

  /** Moves time forward without waking anyone early (test helper, e.g. to age a Lambda context). */
  advance(ms: number): void {
    this.current += ms;
  }

  private scheduleTick(): void {
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    setImmediate(() => {
      this.tickScheduled = false;
      if (this.timers.length === 0) return;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift() as Timer;
      this.current = Math.max(this.current, next.at);
      next.resolve();
      if (this.timers.length > 0) this.scheduleTick();
    });
  }
}

/** `7m12s`, `45s`, `1h02m03s`: the elapsed-time format of every progress line and error. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m${String(s).padStart(2, "0")}s`;
  if (m > 0) return `${m}m${String(s).padStart(2, "0")}s`;
  return `${s}s`;
}
