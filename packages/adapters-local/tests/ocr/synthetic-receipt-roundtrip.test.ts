import { afterAll, describe, expect, it } from 'vitest';
import { TesseractOcrEngine } from '../../src/ocr/index.js';
import { demoReceipts, renderReceipt } from '../../src/synthetic/index.js';
import type { ReceiptSpec } from '../../src/synthetic/index.js';

/** The printed lines, as renderReceipt lays them out, in order. */
function printedLines(spec: ReceiptSpec): string[] {
  return [
    spec.merchant_name,
    ...spec.address_lines,
    `TEL ${spec.phone}`,
    `DATE ${spec.date}`,
    ...spec.items.map((item) => `${item.name} ${item.price.toFixed(2)}`),
    `TOTAL ${spec.total.toFixed(2)}`,
    'THANK YOU',
  ];
}

describe('TesseractOcrEngine on synthetic receipts', () => {
  // Two workers, so the two receipts below are recognised in parallel through the pool.
  const engine = new TesseractOcrEngine({ concurrency: 2 });
  afterAll(() => engine.terminate());

  it('reads every printed line back exactly, top to bottom', async () => {
    const receipts = demoReceipts(1).slice(0, 2);
    const docs = await Promise.all(receipts.map(async ({ spec }) => engine.recognize((await renderReceipt(spec)).png)));
    docs.forEach((doc, i) => {
      expect(doc.lines.map((line) => line.text)).toEqual(printedLines(receipts[i]!.spec));
      const ys = doc.lines.map((line) => line.bounding_box.y);
      expect(ys).toEqual([...ys].sort((a, b) => b - a));
    });
  });
});
