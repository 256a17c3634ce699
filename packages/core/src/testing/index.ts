export {};
export * from './vector-index-contract.js';
export * from './embedder-contract.js';
