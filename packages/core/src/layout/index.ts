export * from './oriented-box.js';
export * from './cluster-receipts.js';
export * from './receipt-frame.js';
export * from './plan-receipts.js';
export * from './build-receipt.js';
