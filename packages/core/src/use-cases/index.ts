export * from './submit-job.js';
export * from './run-ocr-job.js';
export * from './process-ocr-results.js';
export * from './store-receipt-fields.js';
export * from './route-change.js';
export * from './compact.js';
export * from './sweep-compaction-runs.js';
export * from './recover-unfinished-work.js';
