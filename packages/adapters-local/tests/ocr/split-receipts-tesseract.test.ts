import { afterAll, describe, expect, it } from 'vitest';
import { processOcrResults, runOcrJob, submitJob } from '@receiptflow/core';
import { TesseractOcrEngine } from '../../src/ocr/index.js';
import { demoReceipts, renderReceiptPage, type PagePlacement } from '../../src/synthetic/index.js';
import { pipeline } from '../../../core/tests/use-cases/harness.js';

/**
 * Pages of several synthetic receipts through real tesseract OCR and the real pipeline (local
 * adapters): upload → runOcrJob (routing decision) → processOcrResults (receipts, merchants).
 * Three pages only, each small, because tesseract costs about a second per receipt.
 */
const DEMO = demoReceipts(1);
/** Fewer items: shorter receipts, smaller canvases, faster OCR. */
const spec = (i: number) => ({ ...DEMO[i]!.spec, items: DEMO[i]!.spec.items.slice(0, 2) });
const truth = (i: number) => DEMO[i]!.truth.place_id;

describe('routing acts: pages of receipts through tesseract and the pipeline', () => {
  const engine = new TesseractOcrEngine();
  afterAll(() => engine.terminate());

  async function ingestPage(receipts: PagePlacement[]) {
    const p = pipeline();
    const page = await renderReceiptPage({ receipts });
    const submitted = await submitJob(p.submitDeps, { filename: 'page.png', contentType: 'image/png', body: page.png });
    const ocr = await runOcrJob(
      { ...p.ocrDeps, ocr: engine },
      { job_id: submitted.job_id, image_id: submitted.image_id },
    );
    if (ocr.status !== 'completed') throw new Error(`OCR job ${ocr.status}`);
    const [message] = await p.resultsQueue.receive({ maxMessages: 1 });
    const processed = await processOcrResults(p.processDeps, message!.body);
    const stored = await p.receipts.list(submitted.image_id);
    return { routing: ocr.routing, processed, stored };
  }

  it('three receipts side by side, of different lengths and heights, become three receipts with their own merchants', async () => {
    // Drops of whole printed rows keep tesseract's rows level across the page (it reads each
    // page row as one line), which is also the hardest case for the split: rows line up.
    const { routing, processed, stored } = await ingestPage([
      { spec: spec(2) },
      { spec: { ...spec(3), items: DEMO[3]!.spec.items }, drop: 76 },
      { spec: spec(6), drop: 38 },
    ]);
    expect(routing.receipt_count).toBe(3);
    expect(processed.receipts.map((r) => r.receipt_id)).toEqual([1, 2, 3]);
    expect(processed.receipts.map((r) => r.place.place_id)).toEqual([truth(2), truth(3), truth(6)]);
    expect(stored.map((r) => r.receipt.receipt_id)).toEqual([1, 2, 3]);
    // Each receipt's lines are its own: every receipt prints one TOTAL.
    for (const r of processed.receipts) {
      const lines = stored.find((s) => s.receipt.receipt_id === r.receipt_id)!.lines.map((l) => l.text);
      expect(lines.filter((l) => l.startsWith('TOTAL'))).toHaveLength(1);
    }
  });

  it('two receipts laid askew (a tilted scan) become two upright receipts with their own merchants', async () => {
    const { routing, processed, stored } = await ingestPage([
      { spec: spec(0), rotate_degrees: 4 },
      { spec: spec(1), rotate_degrees: 4, drop: 20 },
    ]);
    expect(routing).toMatchObject({ image_type: 'PHOTO', receipt_count: 2 });
    expect(processed.receipts.map((r) => r.place.place_id)).toEqual([truth(0), truth(1)]);
    for (const r of stored) {
      expect(r.receipt.region!.angle_degrees).toBeGreaterThan(3);
      expect(r.receipt.region!.angle_degrees).toBeLessThan(5);
      for (const line of r.lines) expect(Math.abs(line.angle_degrees)).toBeLessThan(1);
    }
  });

  it('a single receipt photographed at 8° stays one receipt, stored in its own upright frame', async () => {
    // All its items: tesseract measures the baseline angle well only on rows long enough.
    const { routing, processed, stored } = await ingestPage([{ spec: DEMO[5]!.spec, rotate_degrees: 8 }]);
    expect(routing).toMatchObject({ image_type: 'PHOTO', receipt_count: 1 });
    expect(processed.receipts.map((r) => r.place.place_id)).toEqual([truth(5)]);
    const [receipt] = stored;
    expect(receipt!.receipt.region!.angle_degrees).toBeCloseTo(8, 0);
    // Upright: the printed rows, top to bottom, start at the same left edge of the receipt.
    const lefts = receipt!.lines.map((l) => l.bounding_box.x);
    expect(Math.max(...lefts) - Math.min(...lefts)).toBeLessThan(0.03);
    expect(receipt!.lines[0]!.text).toBe(DEMO[5]!.spec.merchant_name);
  });
});
