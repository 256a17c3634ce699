import type { VectorRecord } from '@receiptflow/core';
import { fillerRecords } from './filler.js';
import type { BenchIndexes } from './indexes.js';
import { recallAtK, tieAwareRecallAtK } from './recall.js';

export interface MergeRecallFigures {
  /** Vectors merged (appended unlinked, the default), then queried. */
  merged: number;
  /** Tie-aware recall@10 of queries at the merged vectors, before and after repair. */
  tieRecallBefore: number;
  tieRecallAfter: number;
  /** Id recall@10, the same queries. */
  recallBefore: number;
  recallAfter: number;
  /** Repair time per merged vector (the work moved off compaction's path). */
  repairMsPerVector: number;
}

/**
 * P2's changed path, for recall: compaction now appends a delta to HnswVectorIndex unlinked
 * (queries scan it exactly) and links it with the full beam in a later repair. `count` new line vectors (other receipts than the
 * filler's: another seed, other ids) are merged into the large local index as compaction merges
 * them, and each one's vector is used as a k = 10 query against the exact index holding the same
 * records: can the graph find the new records and their neighbours? Measured before and after
 * `repair()`; the records are removed again afterwards.
 */
export async function measureMergeRecall(indexes: BenchIndexes, count: number): Promise<MergeRecallFigures> {
  const records: VectorRecord[] = [];
  for await (const batch of fillerRecords(count, { collection: 'lines', seed: 23, batchSize: 25 }))
    for (const r of batch) records.push({ ...r, id: `merged-${r.id}` });
  const local = indexes.local.large;
  // Receipt-sized upserts, as compaction merges them.
  for (let at = 0; at < records.length; at += 25) await local.upsert('lines', records.slice(at, at + 25));
  await indexes.exactLarge.upsert('lines', records);
  const k = 10;
  const queries = records.filter((_, i) => i % 5 === 0).map((r) => r.vector);
  const exact = await Promise.all(queries.map((vector) => indexes.exactLarge.query('lines', { vector, k })));
  const measure = async () => {
    const found = [];
    for (const vector of queries) found.push(await local.query('lines', { vector, k }));
    return {
      ties: tieAwareRecallAtK(
        found.map((f) => f.map((m) => m.score)),
        exact.map((e) => e.map((m) => m.score)),
        k,
      ),
      ids: recallAtK(
        found.map((f) => f.map((m) => m.id)),
        exact.map((e) => e.map((m) => m.id)),
        k,
      ),
    };
  };
  try {
    const before = await measure();
    const started = performance.now();
    const repaired = await local.repair();
    const repairMs = performance.now() - started;
    const after = await measure();
    return {
      merged: records.length,
      tieRecallBefore: before.ties,
      tieRecallAfter: after.ties,
      recallBefore: before.ids,
      recallAfter: after.ids,
      repairMsPerVector: repaired > 0 ? repairMs / repaired : Number.NaN,
    };
  } finally {
    const ids = records.map((r) => r.id);
    await local.delete('lines', ids);
    await indexes.exactLarge.delete('lines', ids);
  }
}
