import type { Logger } from '@receiptflow/core';
import type { Corpus } from './corpus.js';
import { buildIndexes } from './indexes.js';
import { measureHotPath, preparedReceipts, type HotPathFigures } from './p1-p2-hot-path.js';
import { measureMergeRecall } from './p2-merge-recall.js';
import { measureKnn } from './p4-knn.js';
import type { PipelinePass } from './pipeline.js';
import type { Plan } from './plan.js';
import { ratio, round } from './stats.js';

/**
 * P1, P2 and P4 on the same filler vectors: a small and a large local index (and Chroma when it
 * starts), pre-OCR'd receipts of the P3 pass replayed through each, then k-NN queries.
 * `chroma: false` leaves Chroma out (`--only p2`): its figures are then NaN.
 */
export async function measureIndexGoals(
  corpus: Corpus,
  pass: PipelinePass,
  plan: Plan,
  logger: Logger,
  progress: (line: string) => void,
  options: { chroma?: boolean } = {},
): Promise<{ hot: HotPathFigures; figures: Record<string, unknown> }> {
  progress(`P1/P2/P4: filling indexes with ${plan.smallSize} and ${plan.largeSize} vectors`);
  const indexes = await buildIndexes(plan.smallSize, plan.largeSize, progress, options);
  const figures: Record<string, unknown> = {};
  try {
    figures.index_fill_s = round(indexes.fillSeconds, 1);
    figures.hnsw_large_build_s = round(indexes.hnswLargeBuildSeconds, 1);
    figures.chroma_error = indexes.chromaError;
    const receipts = preparedReceipts(pass, corpus.images, plan.hotPathReceipts);
    progress(`P1/P2: ${receipts.length} pre-OCR'd receipts x ${plan.hotPathRounds} rounds per index`);
    const hot = await measureHotPath(indexes, receipts, corpus.catalog, plan, logger);
    progress(`P4: ${plan.knnQueries} k-NN queries against ${plan.largeSize} vectors`);
    const knn = await measureKnn(indexes, plan.knnQueries);
    progress(`P2: recall@10 of ${plan.mergeRecallVectors} vectors merged (appended unlinked), before and after repair`);
    const mergeRecall = await measureMergeRecall(indexes, plan.mergeRecallVectors);
    Object.assign(figures, {
      p1_local_small_ms: round(hot.local.small, 2),
      p1_local_large_ms: round(hot.local.large, 2),
      p1_ratio: round(ratio(hot.local.large, hot.local.small)),
      p1_chroma_small_ms: round(hot.chroma.small, 2),
      p1_chroma_large_ms: round(hot.chroma.large, 2),
      p1_ratio_chroma: round(ratio(hot.chroma.large, hot.chroma.small)),
      p2_small_ms: round(hot.compactSmall, 2),
      p2_large_ms: round(hot.compactLarge, 2),
      p2_ratio: round(ratio(hot.compactLarge, hot.compactSmall)),
      p2_delta_vectors: hot.deltaLines,
      p2_merge_recall_at_10_ties: round(mergeRecall.tieRecallBefore, 4),
      p2_merge_recall_at_10_ties_repaired: round(mergeRecall.tieRecallAfter, 4),
      p2_merge_recall_at_10: round(mergeRecall.recallBefore, 4),
      p2_merge_recall_at_10_repaired: round(mergeRecall.recallAfter, 4),
      p2_repair_ms_per_vector: round(mergeRecall.repairMsPerVector, 3),
      p2_merge_recall_vectors: plan.mergeRecallVectors,
      p4_local_p50_ms: round(knn.localP50, 3),
      p4_chroma_p50_ms: round(knn.chromaP50, 3),
      p4_exact_p50_ms: round(knn.exactP50, 3),
      p4_ratio: round(ratio(knn.localP50, knn.chromaP50)),
      p4_local_recall_at_10_ties: round(knn.localTieRecall, 4),
      p4_chroma_recall_at_10_ties: round(knn.chromaTieRecall, 4),
      p4_local_recall_at_10: round(knn.localRecall, 4),
      p4_chroma_recall_at_10: round(knn.chromaRecall, 4),
    });
    return { hot, figures };
  } finally {
    await indexes.stop();
  }
}
