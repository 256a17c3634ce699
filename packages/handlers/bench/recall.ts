/**
 * recall@k of approximate nearest-neighbour results against exact ones: the fraction of the
 * exact top-k ids that the approximate top-k found, pooled over all queries. A query whose exact
 * answer has fewer than k ids (a tiny collection) counts only the ids it has.
 */
export function recallAtK(found: readonly (readonly string[])[], exact: readonly (readonly string[])[], k: number): number {
  if (found.length !== exact.length) throw new RangeError(`recall needs one exact answer per query: ${found.length} vs ${exact.length}`);
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
