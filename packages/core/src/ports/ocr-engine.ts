import type { OcrDocument } from '../domain/index.js';

/**
 * Reads an image and returns the core OCR document (normalised, origin bottom-left).
 *
 * @example
 * const doc = await ocr.recognize(pngBytes);
 * for (const line of doc.lines) console.log(line.text, line.confidence, line.words.length);
 */
export interface OcrEngine {
  readonly name: string;
  /** Throws ValidationError if the bytes are not a decodable image. */
  recognize(image: Uint8Array): Promise<OcrDocument>;
}
