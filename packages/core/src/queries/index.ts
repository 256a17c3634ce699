export * from './get-upload-status.js';
