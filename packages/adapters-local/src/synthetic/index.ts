export * from './receipt-spec.js';
export * from './render-receipt.js';
export * from './synthetic-merchants.js';
export * from './demo-receipts.js';
