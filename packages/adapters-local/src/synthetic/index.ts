export * from './receipt-spec.js';
export * from './render-receipt.js';
export * from './render-receipt-page.js';
export * from './synthetic-merchants.js';
export * from './demo-receipts.js';
export * from './orientation.js';
export * from './heic-fixtures.js';
