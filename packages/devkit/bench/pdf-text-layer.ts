/**
 * Time per receipt of a text-layer PDF read by PdfJsOcrEngine (no OCR) against tesseract OCR of
 * the same receipt rendered as a PNG (docs/benchmarks.md#pdf-text-layer-pdf). Both are warmed
 * once first (pdf.js loaded, the tesseract worker started), so the figures are steady-state
 * per-receipt costs; each is checked to have read the receipt's merchant, so a fast wrong answer
 * cannot pass.
 */
import { PdfJsOcrEngine } from '@receiptflow/adapters-local/pdf';
import { TesseractOcrEngine } from '@receiptflow/adapters-local/ocr';
import { demoReceipts, renderReceipt } from '@receiptflow/adapters-local/synthetic';
import type { OcrDocument, OcrEngine } from '@receiptflow/core';
import { receiptPdf } from '../src/pdf-fixtures/index.js';
import { median, ratio, round } from './stats.js';

/** An image engine that must never be called: the text layer path has no OCR. */
const NO_OCR: OcrEngine = {
  name: 'no-ocr',
  recognize: () => Promise.reject(new Error('the text layer path called OCR')),
};

export async function measurePdfTextLayer(
  options: { quick: boolean },
  progress: (line: string) => void,
): Promise<Record<string, number>> {
  const receipts = demoReceipts(1).slice(0, options.quick ? 3 : 8);
  const pdfs = await Promise.all(receipts.map((r) => receiptPdf([{ spec: r.spec, kind: 'text' }])));
  const pngs = await Promise.all(receipts.map(async (r) => (await renderReceipt(r.spec)).png));
  const merchant = (doc: OcrDocument) => (doc.pages?.[0]?.lines ?? doc.lines)[0]?.text;

  const pdf = new PdfJsOcrEngine(NO_OCR);
  const tesseract = new TesseractOcrEngine({ concurrency: 1 });
  try {
    const time = async (engine: OcrEngine, inputs: Uint8Array[]) => {
      await engine.recognize(inputs[0]!); // warm-up: module load, worker start
      const ms: number[] = [];
      for (const [i, input] of inputs.entries()) {
        const started = performance.now();
        const doc = await engine.recognize(input);
        ms.push(performance.now() - started);
        const expected = receipts[i]!.spec.merchant_name;
        if (merchant(doc) !== expected) throw new Error(`${engine.name} read "${merchant(doc)}", not "${expected}"`);
      }
      return median(ms);
    };
    progress(`pdf: ${receipts.length} text-layer PDFs through pdf.js`);
    const textLayer = await time(pdf, pdfs);
    progress(`pdf: the same ${receipts.length} receipts as PNG through tesseract`);
    const ocr = await time(tesseract, pngs);
    return {
      receipts: receipts.length,
      text_layer_ms: round(textLayer, 1),
      ocr_ms: round(ocr, 1),
      speedup: round(ratio(ocr, textLayer), 1),
    };
  } finally {
    await tesseract.terminate();
  }
}
