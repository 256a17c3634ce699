/**
 * Time, injectable so that leases and heartbeats can be tested with a fake clock. Nothing reads
 * the wall clock or sleeps around it: `SystemClock` (adapters-local) in production, `FakeClock`
 * in tests.
 *
 * @example
 * const deadline = clock.now() + leaseMs;
 * while (clock.now() < deadline && !(await done())) await clock.sleep(500, signal);
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason if aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The clock's time as an ISO-8601 string, the form every stored `*_at` field takes.
 *
 * @example
 * const job = { ...pending, updated_at: isoNow(clock) };
 */
export function isoNow(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}
