import type { OcrDocument } from '../domain/index.js';

/** Reads an image and returns the core OCR document (normalised, origin bottom-left). */
export interface OcrEngine {
  readonly name: string;
  /** Throws ValidationError if the bytes are not a decodable image. */
  recognize(image: Uint8Array): Promise<OcrDocument>;
}
