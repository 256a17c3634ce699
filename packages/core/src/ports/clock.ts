/** Time, injectable so that leases and heartbeats can be tested with a fake clock. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason if aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export function isoNow(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}
