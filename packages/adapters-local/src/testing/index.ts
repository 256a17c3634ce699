export * from './corrupt-file.js';
