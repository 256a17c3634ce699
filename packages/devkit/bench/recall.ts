/**
 * recall@k of approximate nearest-neighbour results against exact ones: the fraction of the
 * exact top-k ids that the approximate top-k found, pooled over all queries. A query whose exact
 * answer has fewer than k ids (a tiny collection) counts only the ids it has.
 */
export function recallAtK(
  found: readonly (readonly string[])[],
  exact: readonly (readonly string[])[],
  k: number,
): number {
  if (found.length !== exact.length)
    throw new RangeError(`recall needs one exact answer per query: ${found.length} vs ${exact.length}`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  let hits = 0;
  let wanted = 0;
  exact.forEach((truthIds, q) => {
    const truth = new Set(truthIds.slice(0, k));
    wanted += truth.size;
    for (const id of new Set(found[q]!.slice(0, k))) if (truth.has(id)) hits++;
  });
  return wanted === 0 ? Number.NaN : hits / wanted;
}

/** Similarity slack for {@link tieAwareRecallAtK}: float32 rounding differs between indexes. */
export const TIE_TOLERANCE = 1e-4;

/**
 * recall@k that counts ties (the "k-nn" recall of ann-benchmarks): a returned neighbour is a hit
 * when it is at least as similar as the exact k-th neighbour, less {@link TIE_TOLERANCE}. Receipt
 * lines repeat verbatim across receipts, so many ids share the k-th similarity exactly and
 * {@link recallAtK} counts an equally near id as a miss. Scores are similarities, best first.
 */
export function tieAwareRecallAtK(
  found: readonly (readonly number[])[],
  exact: readonly (readonly number[])[],
  k: number,
  tolerance = TIE_TOLERANCE,
): number {
  if (found.length !== exact.length)
    throw new RangeError(`recall needs one exact answer per query: ${found.length} vs ${exact.length}`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  let hits = 0;
  let wanted = 0;
  exact.forEach((truth, q) => {
    const top = truth.slice(0, k);
    if (top.length === 0) return;
    wanted += top.length;
    const threshold = top[top.length - 1]! - tolerance;
    hits += found[q]!.slice(0, top.length).filter((score) => score >= threshold).length;
  });
  return wanted === 0 ? Number.NaN : hits / wanted;
}
