import type { OcrDocument, OcrEngine } from '@receiptflow/core';
import { demoReceipts, syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { describe, expect, it } from 'vitest';
import { FaultInjector } from '../src/local/fault/fault-injector.js';
import { LocalRuntime } from '../src/local/local-runtime.js';
import { PrefetchingOcrEngine } from '../src/local/ocr-prefetch.js';
import { processImage, processImages, type ProcessedImage } from '../src/local/process-image.js';
import { collectingLogger, pngTag, specLines, TaggedOcr } from './support/fixtures.js';

/** One OCR at a time (like one tesseract worker), each taking `ms`, logging its start and end. */
class SerialLoggingOcr implements OcrEngine {
  readonly name = 'serial-logging';
  private chain: Promise<unknown> = Promise.resolve();
  constructor(
    private readonly inner: OcrEngine,
    private readonly log: string[],
    private readonly ms: number,
  ) {}
  recognize(image: Uint8Array): Promise<OcrDocument> {
    const run = this.chain.then(async () => {
      this.log.push(`ocr-start:${pngTag(image)}`);
      await new Promise((resolve) => setTimeout(resolve, this.ms));
      this.log.push(`ocr-end:${pngTag(image)}`);
      return this.inner.recognize(image);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/** Three demo receipts, the third a repeat visit of the first's merchant. */
function visits() {
  const all = demoReceipts(3);
  return [all[0]!, all[1]!, all.find((v, i) => i > 1 && v.truth.place_id === all[0]!.truth.place_id)!];
}

async function run(mode: 'sequential' | 'overlapped') {
  const log: string[] = [];
  const tagged = new TaggedOcr();
  // Never fires (occurrence 99): it only reports each pipeline event as it passes.
  const fault = new FaultInjector({ event: 'image-stored', occurrence: 99 }, () => undefined);
  const passed = fault.passed.bind(fault);
  fault.passed = (event) => {
    log.push(event);
    passed(event);
  };
  const ocr = new SerialLoggingOcr(tagged, log, 150);
  const runtime = await LocalRuntime.open({ logger: collectingLogger(), ocr, catalog: syntheticCatalog(), fault });
  const images = visits().map((v, i) => ({
    filename: `r${i}.png`,
    bytes: tagged.register(`r${i}`, specLines(v.spec)),
  }));
  const results: ProcessedImage[] = [];
  try {
    if (mode === 'overlapped') for await (const r of processImages(runtime, images)) results.push(r);
    else for (const image of images) results.push(await processImage(runtime, image.filename, image.bytes));
  } finally {
    await runtime.stop();
  }
  return { log, results, ocrCalls: tagged.calls };
}

describe('processImages: the next image OCRs while the current receipt is compacted', () => {
  it(
    'starts OCR of image n+1 before receipt n is compacted, yet processes its results only after',
    { timeout: 60_000 },
    async () => {
      const { log, results, ocrCalls } = await run('overlapped');
      expect(ocrCalls).toBe(3); // each image read once: the job took the prefetched document
      const at = (entry: string, n = 1) => {
        let seen = 0;
        const i = log.findIndex((e) => e === entry && ++seen === n);
        expect(i, `${entry} #${n} in ${log.join(' ')}`).toBeGreaterThanOrEqual(0);
        return i;
      };
      for (const n of [1, 2]) {
        const compacted = at('promoted-words', n); // receipt n's last compaction step
        // Overlap: the next image's OCR started while receipt n was still in its later stages.
        expect(at(`ocr-start:r${n}`)).toBeLessThan(compacted);
        // Order: the next receipt's results stage (its rows) only once receipt n is compacted.
        expect(at('receipt-rows', n + 1)).toBeGreaterThan(compacted);
      }
      // Nothing else about the pipeline changed: every receipt completes, and the repeat visit
      // is still found in vector memory (the first receipt was compacted before it was resolved).
      expect(results.map((r) => [r.filename, r.job_status, r.compacted])).toEqual([
        ['r0.png', 'COMPLETED', true],
        ['r1.png', 'COMPLETED', true],
        ['r2.png', 'COMPLETED', true],
      ]);
      expect(results[2]!.place?.source).toBe('vector');
    },
  );

  it('gives the same receipts and merchants as processImage one by one', { timeout: 60_000 }, async () => {
    const sequential = await run('sequential');
    const overlapped = await run('overlapped');
    const view = (r: ProcessedImage) => [r.filename, r.job_status, r.place?.place_id, r.place?.source, r.lines];
    expect(overlapped.results.map(view)).toEqual(sequential.results.map(view));
    // Sequentially, no OCR starts before the previous receipt is compacted.
    expect(sequential.log.indexOf('ocr-start:r1')).toBeGreaterThan(sequential.log.indexOf('promoted-words'));
  });
});

describe('PrefetchingOcrEngine', () => {
  const doc = (text: string) => new TaggedOcr([text]).recognize(new Uint8Array(16));

  it('hands a prefetched read to the recognize of the same bytes (another array), once', async () => {
    let calls = 0;
    const inner: OcrEngine = { name: 'inner', recognize: async (b) => (calls++, doc(`read ${b[0]}`)) };
    const ocr = new PrefetchingOcrEngine(inner);
    ocr.prefetch(new Uint8Array([7, 1, 2]));
    expect(calls).toBe(1);
    expect(ocr.held).toBe(1);
    await ocr.recognize(Uint8Array.from([7, 1, 2]));
    expect(calls).toBe(1);
    expect(ocr.held).toBe(0);
    await ocr.recognize(Uint8Array.from([7, 1, 2])); // claimed already: a fresh read
    await ocr.recognize(Uint8Array.from([8]));
    expect(calls).toBe(3);
  });

  it("passes a prefetched read's error to its recognize, and an unclaimed failure is no unhandled rejection", async () => {
    const inner: OcrEngine = {
      name: 'inner',
      recognize: async (b) => {
        if (b[0] === 0) throw new Error('unreadable');
        return doc('ok');
      },
    };
    const ocr = new PrefetchingOcrEngine(inner, 2);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      ocr.prefetch(new Uint8Array([0]));
      await expect(ocr.recognize(new Uint8Array([0]))).rejects.toThrow('unreadable');
      ocr.prefetch(new Uint8Array([0, 1])); // never claimed (a duplicate upload runs no OCR)
      ocr.prefetch(new Uint8Array([2]));
      ocr.prefetch(new Uint8Array([3])); // the oldest is dropped beyond the limit
      expect(ocr.held).toBe(2);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
