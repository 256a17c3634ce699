/**
 * Runs tasks with at most `limit` in flight, where the limit adapts (AIMD): it halves whenever the
 * server throttles and grows by one after a full window of successes, up to the configured
 * maximum. docs/lessons.md#lesson-9-rate-limits-tripped-a-circuit-breaker: fixed high concurrency against a rate-limited API only turns into 429s, so
 * the client backs off in concurrency as well as in time.
 */
export class AdaptiveConcurrencyLimiter {
  private limit: number;
  private inFlight = 0;
  private successesSinceChange = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly maxConcurrency: number) {
    this.limit = maxConcurrency;
  }

  /** The current limit, for metrics and tests. */
  get currentLimit(): number {
    return this.limit;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    while (this.inFlight >= this.limit) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.inFlight++;
    try {
      return await task();
    } finally {
      this.inFlight--;
      this.wakeUp();
    }
  }

  /** The server said "too many requests". */
  throttled(): void {
    this.limit = Math.max(1, Math.floor(this.limit / 2));
    this.successesSinceChange = 0;
  }

  succeeded(): void {
    if (this.limit >= this.maxConcurrency) return;
    if (++this.successesSinceChange >= this.limit) {
      this.limit++;
      this.successesSinceChange = 0;
      this.wakeUp();
    }
  }

  private wakeUp(): void {
    // Waiters re-check the limit themselves, so waking a few too many is harmless.
    let free = this.limit - this.inFlight;
    while (free-- > 0 && this.waiting.length > 0) this.waiting.shift()!();
  }
}
