export * from './submit-job.js';
export * from './run-ocr-job.js';
export * from './classify-image.js';
export * from './process-ocr-results.js';
export * from './route-change.js';
export * from './compact.js';
export * from './checksum.js';
