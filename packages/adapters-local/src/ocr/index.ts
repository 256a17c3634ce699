export * from './tesseract-ocr-engine.js';
export * from './tesseract-page-to-ocr-document.js';
export * from './tesseract-worker-pool.js';
export * from './fs-caching-ocr-engine.js';
export * from './preprocess-image.js';
export * from './retrying-ocr-engine.js';
