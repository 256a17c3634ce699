/** Small statistics for the bench: medians and percentiles of timings, and ratios between them. */

/** The value below which a fraction `p` (0..1) of `xs` lies, by linear interpolation. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) throw new RangeError('percentile of an empty list');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentile p must be within 0..1, got ${p}`);
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (sorted.length - 1) * p;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** The middle value (mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  return percentile(xs, 0.5);
}

/** `numerator / denominator`, or NaN when the denominator is not a positive number. */
export function ratio(numerator: number, denominator: number): number {
  return denominator > 0 && Number.isFinite(denominator) ? numerator / denominator : Number.NaN;
}

/** Rounds to `digits` decimals (for printing and JSON; the maths uses full precision). */
export function round(n: number, digits = 3): number {
  if (!Number.isFinite(n)) return n;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Runs `work` and returns its wall time in milliseconds along with its result. */
export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

/** The record with `f` applied to every value, keys and their order kept. */
export function mapValues<T, U>(record: Record<string, T>, f: (v: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}
