export {};
export * from './ocr-engine-contract.js';
export * from './places-resolver-contract.js';
