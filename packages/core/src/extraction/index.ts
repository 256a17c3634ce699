export * from './extract-fields.js';
export * from './score-fields.js';
