import type { Clock } from '@receiptflow/core';
import { InMemoryCompactionRunStore } from './in-memory-compaction-run-store.js';
import type { InMemoryJobTable } from './in-memory-job-table.js';
import { InMemoryOcrJobStore } from './in-memory-ocr-job-store.js';
import { InMemoryReceiptStore } from './in-memory-receipt-store.js';
import { InMemoryReceiptCatalog } from './in-memory-receipt-catalog.js';

/** The three stores a job table backs, and the receipt catalog that reads it. */
export interface JobTableStores {
  jobs: InMemoryOcrJobStore;
  receipts: InMemoryReceiptStore;
  runs: InMemoryCompactionRunStore;
  /** Lists what `receipts` wrote (per-owner sorted indexes the table keeps). */
  catalog: InMemoryReceiptCatalog;
}

/**
 * The OcrJobStore, ReceiptStore, CompactionRunStore and ReceiptCatalog over one table: what a composition root
 * (the local runtime, fsck, a test) wires, so that all three share one change feed and journal.
 *
 * @example
 * const table = await FsJobTable.open(join(dataDir, 'jobs'), { logger });
 * const { jobs, receipts, runs, catalog } = jobTableStores(table, { clock });
 */
export function jobTableStores(table: InMemoryJobTable, options: { clock?: Clock } = {}): JobTableStores {
  return {
    jobs: new InMemoryOcrJobStore({ table, ...options }),
    receipts: new InMemoryReceiptStore({ table }),
    runs: new InMemoryCompactionRunStore({ table, ...options }),
    catalog: new InMemoryReceiptCatalog({ table }),
  };
}
