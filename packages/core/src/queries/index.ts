export * from './get-upload-status.js';
export * from './receipt-summary.js';
export * from './list-receipts.js';
export * from './export-format.js';
export * from './export-receipts.js';
export * from './owned-receipt.js';
export * from './get-receipt.js';
export * from './similar-receipts.js';
