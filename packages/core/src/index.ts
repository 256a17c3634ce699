export * from './errors.js';
export * from './domain/index.js';
export * from './ports/index.js';
export * from './use-cases/index.js';
export * from './merchant/index.js';
export * from './extraction/index.js';
export * from './layout/index.js';
export * from './queries/index.js';
