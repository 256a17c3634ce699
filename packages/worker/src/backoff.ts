/** Exponential backoff for failed queue polls. */
export interface BackoffPolicy {
  /** Delay cap of the first retry, ms. */
  baseMs: number;
  /** Largest delay cap, ms. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 200, maxMs: 20_000 };

/**
 * Delay before retry number `attempt` (0-based): "equal jitter", half of the exponential cap plus
 * a random share of the other half. The random half spreads many workers that failed together
 * (an SQS outage) so that they do not retry in lockstep; the fixed half keeps a worker from
 * spinning when `random()` happens to be near 0.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt));
  return Math.round(cap / 2 + random() * (cap / 2));
}
