/**
 * In-process fakes of ports for tests and the durability bench: an OCR engine scripted per image
 * by a tag carried in a header-only PNG (no pixels, no tesseract).
 *
 * @example
 * ```ts
 * import { TaggedOcr } from '@receiptflow/devkit/fakes';
 *
 * const ocr = new TaggedOcr();
 * const bytes = ocr.register('r1', ['CORNER CAFE', 'TOTAL 4.20']); // a tagged 600x800 PNG header
 * const runtime = await LocalRuntime.open({ logger, dataDir, ocr });
 * await runtime.submit('r1.png', 'image/png', bytes); // OCR reads the two lines back
 * ```
 * @packageDocumentation
 */
export { pngHeader, pngTag, TaggedOcr } from './tagged-ocr.js';
