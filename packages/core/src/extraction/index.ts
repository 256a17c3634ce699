export * from './extract-fields.js';
export * from './extract-receipt-fields.js';
export * from './read-date.js';
export * from './score-fields.js';
