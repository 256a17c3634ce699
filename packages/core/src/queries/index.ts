export * from './get-upload-status.js';
export * from './export-format.js';
