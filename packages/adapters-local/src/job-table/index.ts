export { InMemoryJobTable, type ChangeListener } from './in-memory-job-table.js';
export { FsJobTable, type FsJobTableConfig } from './fs-job-table.js';
export { InMemoryOcrJobStore } from './in-memory-ocr-job-store.js';
export type { InMemoryStoreOptions } from './in-memory-job-table-store.js';
export { InMemoryReceiptStore } from './in-memory-receipt-store.js';
export { InMemoryReceiptCatalog } from './in-memory-receipt-catalog.js';
export { InMemoryCompactionRunStore } from './in-memory-compaction-run-store.js';
export { JOB_JOURNAL, readJournal, encodeJournalRecord } from './job-journal.js';
export { jobTableStores, type JobTableStores } from './job-table-stores.js';
