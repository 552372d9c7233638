import { KMS } from "@cmk-stacks/aws-limits";
import type { Clock } from "./clock";

/**
 * Sliding-window limiter: at most `limit` calls start in any `windowMs`. KMS's quota for the
 * *CustomKeyStore APIs ({@link KMS.CUSTOM_KEY_STORE_API_REQUESTS_PER_SECOND}) is per account and
 * Region, shared with anything else running, so all of them go through one limiter per runner process.
 */
export class RateLimiter {
  private readonly starts: number[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly clock: Clock,
    private readonly limit = CUSTOM_KEY_STORE_RPS,
    private readonly windowMs = 1000,
  ) {}

  /** Runs `fn` once a slot is free. Calls are admitted in order. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const admitted = this.queue.then(() => this.acquire());
    this.queue = admitted.catch(() => undefined);
    return admitted.then(fn);
  }

  private async acquire(): Promise<void> {
    if (this.starts.length >= this.limit) {
      const oldest = this.starts[this.starts.length - this.limit];
      const wait = oldest + this.windowMs - this.clock.now();
      if (wait > 0) await this.clock.sleep(wait);
    }
    this.starts.push(this.clock.now());
    if (this.starts.length > this.limit) this.starts.splice(0, this.starts.length - this.limit);
  }
}

/** The *CustomKeyStore API quota: the rulebook's {@link KMS.CUSTOM_KEY_STORE_API_REQUESTS_PER_SECOND}. */
export const CUSTOM_KEY_STORE_RPS = KMS.CUSTOM_KEY_STORE_API_REQUESTS_PER_SECOND.value;
