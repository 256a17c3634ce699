export * from './google-places-resolver.js';
export * from './places-api.js';
