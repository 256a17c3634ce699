import type { OcrDocument, OcrEngine } from '@receiptflow/core';
import { ValidationError } from '@receiptflow/core';
import { makeOcrDocument as ocrDocument } from '@receiptflow/core/testing';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

function chunk(type: string, data: number[]): number[] {
  // CRCs are zero: only headers are inspected, nothing here decodes pixels.
  return [...u32(data.length), ...Buffer.from(type, 'latin1'), ...data, 0, 0, 0, 0];
}

/**
 * A PNG that is only headers: IHDR claiming `width` x `height`, an optional tEXt chunk carrying
 * `tag` (so a fake OCR engine can tell uploads apart), and IEND. No pixels are allocated, so a
 * 10000x10000 "image" costs a few dozen bytes.
 */
export function pngHeader(width = 1, height = 1, tag?: string): Uint8Array {
  const ihdr = chunk('IHDR', [...u32(width), ...u32(height), 8, 2, 0, 0, 0]);
  const text = tag === undefined ? [] : chunk('tEXt', [...Buffer.from(`receiptflow-tag\0${tag}`, 'latin1')]);
  return new Uint8Array([...PNG_SIGNATURE, ...ihdr, ...text, ...chunk('IEND', [])]);
}

/** The tag written by {@link pngHeader}, or null. */
export function pngTag(bytes: Uint8Array): string | null {
  const text = Buffer.from(bytes).toString('latin1');
  const at = text.indexOf('receiptflow-tag\0');
  if (at < 0) return null;
  const start = at + 'receiptflow-tag\0'.length;
  // The chunk's CRC (zeros here) ends the text.
  return text.slice(start, text.indexOf('\0', start));
}

/**
 * An OCR engine that reads the tag of a {@link pngHeader} image and returns the lines the test
 * registered for it; an untagged image gives `fallback`.
 */
export class TaggedOcr implements OcrEngine {
  readonly name = 'tagged-fake';
  private readonly texts = new Map<string, readonly string[] | OcrDocument>();
  calls = 0;
  constructor(private readonly fallback: readonly string[] = ['NOTHING TO SEE']) {}

  register(tag: string, lines: readonly string[]): Uint8Array {
    this.texts.set(tag, lines);
    return pngHeader(600, 800, tag);
  }

  /** Like {@link register}, with the whole document given (to script odd OCR output). */
  registerDocument(tag: string, document: OcrDocument): Uint8Array {
    this.texts.set(tag, document);
    return pngHeader(600, 800, tag);
  }

  async recognize(image: Uint8Array): Promise<OcrDocument> {
    this.calls++;
    if (image.length < 16) throw new ValidationError('not an image');
    const tag = pngTag(image);
    const scripted = (tag !== null ? this.texts.get(tag) : undefined) ?? this.fallback;
    return Array.isArray(scripted) ? ocrDocument(scripted) : structuredClone(scripted as OcrDocument);
  }
}
