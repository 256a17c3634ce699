export * from './catalog-places-resolver.js';
