import { syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { describe, expect, it } from 'vitest';
import { LocalRuntime } from '../src/local/local-runtime.js';
import { collectingLogger, TaggedOcr } from './support/fixtures.js';
import { GatedOcr } from './support/gated-ocr.js';

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
