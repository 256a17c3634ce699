import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OcrDocumentSchema } from '@receiptflow/core';
import type { OcrDocument, OcrEngine } from '@receiptflow/core';

export interface FsCachingOcrEngineConfig {
  /** Directory holding one `<key>.json` OCR document per image and settings. */
  dir: string;
  /**
   * What else decides the OCR output besides the image bytes (engine, preprocessing, page
   * segmentation mode). Part of the key, so that changing a setting never serves a stale read.
   */
  settings: string;
}

/**
 * An OcrEngine that remembers the wrapped engine's documents on disk, keyed by the SHA-256 of the
 * settings and the image bytes. Made for `pnpm eval --ocr-cache DIR`: merchant and field logic
 * can then be re-measured in seconds instead of re-running OCR on every image. A cache file that
 * does not parse as an OCR document is reported, never served: it is recomputed and overwritten.
 *
 * @example
 * const ocr = new FsCachingOcrEngine(new TesseractOcrEngine(), { dir: '.ocr-cache', settings: 'tesseract:grey' });
 * const doc = await ocr.recognize(bytes); // OCR once; the same bytes later come from disk
 */
export class FsCachingOcrEngine implements OcrEngine {
  readonly name: string;
  /** Reads served from disk, reads that ran OCR, and cache files found corrupt. */
  readonly stats = { hits: 0, misses: 0, corrupt: 0 };

  /**
   * Caches `inner`'s documents in `config.dir`, keyed by the image bytes and `config.settings`.
   *
   * @example
   * const ocr = new FsCachingOcrEngine(new TesseractOcrEngine(), { dir: '.tmp/ocr-cache', settings: 'tesseract psm6' });
   * const doc = await ocr.recognize(bytes); // a second call with the same bytes reads the cache
   */
  constructor(
    private readonly inner: OcrEngine,
    private readonly config: FsCachingOcrEngineConfig,
  ) {
    this.name = inner.name;
  }

  /** The cache key of an image under these settings. */
  keyOf(image: Uint8Array): string {
    return createHash('sha256').update(this.config.settings).update('\0').update(image).digest('hex');
  }

  async recognize(image: Uint8Array): Promise<OcrDocument> {
    const file = join(this.config.dir, `${this.keyOf(image)}.json`);
    const cached = await readFile(file, 'utf8').catch(() => null);
    if (cached !== null) {
      const parsed = OcrDocumentSchema.safeParse(safeJson(cached));
      if (parsed.success) {
        this.stats.hits++;
        return parsed.data;
      }
      this.stats.corrupt++;
    }
    this.stats.misses++;
    const document = await this.inner.recognize(image);
    await mkdir(this.config.dir, { recursive: true });
    // Write then rename: a run killed mid-write leaves no half file to be read next time.
    const tmp = `${file}.${randomUUID()}.tmp`;
    await writeFile(tmp, JSON.stringify(document));
    await rename(tmp, file);
    return document;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
