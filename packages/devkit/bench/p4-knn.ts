import type { VectorIndex } from '@receiptflow/core';
import { queryVectors } from './filler.js';
import type { BenchIndexes } from './indexes.js';
import { recallAtK, tieAwareRecallAtK } from './recall.js';
import { percentile } from './stats.js';

export interface KnnFigures {
  localP50: number;
  chromaP50: number;
  exactP50: number;
  /** Share of the exact top-10 ids found. */
  localRecall: number;
  chromaRecall: number;
  /** Share of results at least as similar as the exact 10th neighbour (ties count). */
  localTieRecall: number;
  chromaTieRecall: number;
}

/** P4: unfiltered k=10 queries, each timed on the local index, on Chroma and on the exact scan. */
export async function measureKnn(indexes: BenchIndexes, queries: number): Promise<KnnFigures> {
  const vectors = await queryVectors(queries);
  const k = 10;
  const warm = vectors.slice(0, Math.min(20, vectors.length));
  for (const v of warm) {
    await indexes.local.large.query('lines', { vector: v, k });
    await indexes.chroma?.large.query('lines', { vector: v, k });
  }
  const times = { local: [] as number[], chroma: [] as number[], exact: [] as number[] };
  const ids = { local: [] as string[][], chroma: [] as string[][], exact: [] as string[][] };
  const scores = { local: [] as number[][], chroma: [] as number[][], exact: [] as number[][] };
  const timeQuery = async (which: keyof typeof times, index: VectorIndex, vector: number[]) => {
    const t = performance.now();
    const matches = await index.query('lines', { vector, k });
    times[which].push(performance.now() - t);
    ids[which].push(matches.map((m) => m.id));
    scores[which].push(matches.map((m) => m.score));
  };
  for (const v of vectors) {
    await timeQuery('local', indexes.local.large, v);
    if (indexes.chroma) await timeQuery('chroma', indexes.chroma.large, v);
    await timeQuery('exact', indexes.exactLarge, v);
  }
  const p50 = (xs: number[]) => (xs.length > 0 ? percentile(xs, 0.5) : Number.NaN);
  return {
    localP50: p50(times.local),
    chromaP50: p50(times.chroma),
    exactP50: p50(times.exact),
    localRecall: recallAtK(ids.local, ids.exact, k),
    chromaRecall: ids.chroma.length > 0 ? recallAtK(ids.chroma, ids.exact, k) : Number.NaN,
    localTieRecall: tieAwareRecallAtK(scores.local, scores.exact, k),
    chromaTieRecall: scores.chroma.length > 0 ? tieAwareRecallAtK(scores.chroma, scores.exact, k) : Number.NaN,
  };
}
