import type { OcrDocument, OcrEngine } from '@receiptflow/core';
import { syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { describe, expect, it } from 'vitest';
import { LocalRuntime } from '../src/local/local-runtime.js';
import { collectingLogger, TaggedOcr } from './support/fixtures.js';

/** Holds every recognize until released, counting how many ran at once. */
class GatedOcr implements OcrEngine {
  readonly name = 'gated';
  inFlight = 0;
  maxInFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private open = false;
  constructor(private readonly inner: OcrEngine) {}

  async recognize(image: Uint8Array): Promise<OcrDocument> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (!this.open) await new Promise<void>((resolve) => this.waiting.push(resolve));
      return await this.inner.recognize(image);
    } finally {
      this.inFlight--;
    }
  }

  release(): void {
    this.open = true;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

describe('LocalRuntime OCR workers (receipts serve --ocr-workers)', () => {
  it('runs as many OCR jobs at once as it has tesseract workers', { timeout: 60_000 }, async () => {
    const tagged = new TaggedOcr();
    const ocr = new GatedOcr(tagged);
    // ocrWorkers alone, as `receipts serve --ocr-workers 2` passes it.
    const runtime = await LocalRuntime.open({
      logger: collectingLogger(),
      ocr,
      ocrWorkers: 2,
      catalog: syntheticCatalog(),
    });
    try {
      runtime.start();
      for (const tag of ['first', 'second', 'third'])
        await runtime.submit(
          `${tag}.png`,
          'image/png',
          tagged.register(tag, [`${tag.toUpperCase()} STORE`, 'TOTAL 1.00']),
        );
      const deadline = Date.now() + 15_000;
      while (ocr.maxInFlight < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(ocr.maxInFlight).toBe(2);
    } finally {
      ocr.release();
      await runtime.stop();
    }
  });
});
