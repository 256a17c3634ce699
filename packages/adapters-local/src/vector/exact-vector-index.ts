import type { Collection } from '@receiptflow/core';
import { exactTopK, type ScoredSlot } from './exact-search.js';
import type { RecordTable } from './record-table.js';
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

  constructor(options: ExactVectorIndexOptions = {}) {
    super(options.dimensions ?? 512);
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
