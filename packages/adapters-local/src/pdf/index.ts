export * from './pdfjs-ocr-engine.js';
export * from './text-layer-lines.js';
