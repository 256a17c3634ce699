/** How long to wait before retrying, and why. */
export interface RetryDelayOptions {
  /** First backoff step; doubles with every attempt. */
  baseDelayMs: number;
  /** Cap on the exponential backoff (not on what the server asks for). */
  maxDelayMs: number;
  /** 0 ≤ random() < 1; injectable for tests. */
  random: () => number;
  /** Epoch ms, to resolve an HTTP-date Retry-After. */
  now: number;
}

/**
 * What the server asked for, in ms: `retry-after-ms` (OpenAI's own, fractional ms) wins over
 * `retry-after` (seconds, or an HTTP date). Undefined if neither is present or parsable.
 */
export function serverRetryAfterMs(
  headers: { get(name: string): string | null } | undefined,
  now: number,
): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number.parseFloat(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Exponential backoff with "equal jitter" (half fixed, half random, so retries of a burst spread
 * out), never shorter than what the server asked for.
 */
export function retryDelayMs(attempt: number, serverAskedMs: number | undefined, options: RetryDelayOptions): number {
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  const backoff = step / 2 + options.random() * (step / 2);
  return Math.ceil(Math.max(backoff, serverAskedMs ?? 0));
}
