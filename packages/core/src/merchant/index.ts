export * from './normalize.js';
export * from './signals.js';
export * from './validate-candidate.js';
export * from './embedding-text.js';
export * from './resolve-merchant.js';
export * from './caching-places-resolver.js';
