import type { Collection } from '@receiptflow/core';
import { exactTopK, type ScoredSlot } from './exact-search.js';
import { RecordTable } from './record-table.js';
import { ScoredHeap } from './scored-heap.js';
import { TableVectorIndex } from './table-vector-index.js';

export interface ExactVectorIndexOptions {
  /** Vector length every record and query must have. Default 512. */
  dimensions?: number;
}

/**
 * Brute-force cosine search in memory: the reference that {@link HnswVectorIndex} is measured
 * against, and a fine index for tests. Its query cost grows with the index, so it is never the
 * production hot path.
 */
export class ExactVectorIndex extends TableVectorIndex {
  private readonly heap = new ScoredHeap(128);

  /**
   * An empty in-memory index that scans every record per query: the reference the contract and
   * recall tests compare the HNSW index against, never a production index.
   *
   * @example
   * const exact = new ExactVectorIndex({ dimensions: 512 });
   * await exact.upsert('lines', records);
   */
  constructor(options: ExactVectorIndexOptions = {}) {
    super(options.dimensions ?? 512);
  }

  /** Drops tombstones once they outnumber live records, so churn does not grow memory forever. */
  protected override afterApply(collection: Collection): void {
    const table = this.tables.get(collection);
    if (!table || table.deadCount <= Math.max(1000, table.liveCount)) return;
    const fresh = new RecordTable(this.dimensions, Math.max(1024, table.liveCount));
    const dims = this.dimensions;
    for (let slot = 0; slot < table.size; slot++) {
      if (table.alive[slot] !== 1) continue;
      const unit = table.vectors.subarray(slot * dims, (slot + 1) * dims);
      fresh.restore(table.ids[slot]!, unit, table.norms[slot]!, table.documents[slot]!, table.metadata[slot]!, true);
    }
    this.tables.set(collection, fresh);
  }

  protected search(
    _collection: Collection,
    table: RecordTable,
    query: Float32Array,
    k: number,
    candidates: number[] | undefined,
  ): ScoredSlot[] {
    return exactTopK(table, query, k, candidates, this.heap);
  }
}
