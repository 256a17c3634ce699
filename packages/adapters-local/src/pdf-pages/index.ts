export * from './pdf-lib-page-reader.js';
