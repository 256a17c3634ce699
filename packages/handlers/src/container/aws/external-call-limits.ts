import type { CallBudgets } from '../../handlers/call-deadline.js';

/**
 * The OpenAI embedder's limits per request. The adapter's defaults (7 attempts × 60 s, waits up
 * to 60 s) add up to more than process-OCR-results' 300 s timeout; these keep one embed call's
 * worst case at 4 × 20 s + 3 × 10 s = 110 s. A 512-input request normally answers in 1–3 s.
 */
export const OPENAI_CALL_LIMITS = {
  requestTimeoutMs: 20_000,
  maxRetries: 3,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 10_000,
} as const;

/** Google Places per lookup: 3 × 5 s + 2 waits of at most 5 s = 25 s at the worst. */
export const PLACES_CALL_LIMITS = {
  timeoutMs: 5_000,
  maxRetries: 2,
  maxRetryDelayMs: 5_000,
} as const;

/**
 * Google Places per search of `GET /places` (receipts-change): someone waits for it in the
 * console, and the HTTP API gives up at 30 s, so 2 × 3 s + one wait of at most 1 s = 7 s at the
 * worst; past that the route answers its own merchants with `places_unavailable: true`.
 */
export const PLACES_SEARCH_CALL_LIMITS = {
  timeoutMs: 3_000,
  maxRetries: 1,
  maxRetryDelayMs: 1_000,
} as const;

/**
 * The worst case of one embed call and one Places lookup under the limits above: every attempt
 * timing out, and the longest wait allowed between attempts.
 *
 * @example
 * externalCallBudgets(); // { embedMs: 110_000, placesMs: 25_000 }
 */
export function externalCallBudgets(): CallBudgets {
  const o = OPENAI_CALL_LIMITS;
  const p = PLACES_CALL_LIMITS;
  return {
    embedMs: (o.maxRetries + 1) * o.requestTimeoutMs + o.maxRetries * Math.max(o.maxDelayMs, o.maxRetryAfterMs),
    placesMs: (p.maxRetries + 1) * p.timeoutMs + p.maxRetries * p.maxRetryDelayMs,
  };
}
