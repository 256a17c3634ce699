import { blankPdf, encryptedPdf } from '@receiptflow/devkit/pdf-fixtures';
import { demoReceipts } from '../../src/synthetic/index.js';
import { PDFDocument, PDFName, PDFNumber } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { PdfLibPageReader } from '../../src/pdf-pages/index.js';

const reader = new PdfLibPageReader();

describe('PdfLibPageReader (issue 19: page limits at upload)', () => {
  it('reads the page count and sizes from a page tree kept in compressed object streams', async () => {
    const bytes = await blankPdf({
      sizes: [
        [200, 300],
        [20_000, 300],
        [612, 792],
      ],
    });
    expect(Buffer.from(bytes).includes('/ObjStm')).toBe(true);
    expect(await reader.pageSizes(bytes)).toEqual([
      { width: 200, height: 300 },
      { width: 20_000, height: 300 },
      { width: 612, height: 792 },
    ]);
    expect(await reader.pageSizes(await blankPdf({ pages: 11 }))).toHaveLength(11);
  });

  it('a page is its CropBox within its MediaBox, scaled by /UserUnit (as the OCR step sees it)', async () => {
    const doc = await PDFDocument.create();
    const cropped = doc.addPage([100_000, 100_000]);
    cropped.setCropBox(0, 0, 300, 400);
    const overhanging = doc.addPage([500, 500]);
    overhanging.setCropBox(250, -100, 100_000, 400);
    const scaled = doc.addPage([200, 100]);
    scaled.node.set(PDFName.of('UserUnit'), PDFNumber.of(100));
    expect(await reader.pageSizes(await doc.save())).toEqual([
      { width: 300, height: 400 },
      { width: 250, height: 300 },
      { width: 20_000, height: 10_000 },
    ]);
  });

  it('reads an encrypted PDF’s page tree (core refuses it first) and gives null for what it cannot parse', async () => {
    const [first] = demoReceipts();
    expect(await reader.pageSizes(await encryptedPdf(first!.spec))).toHaveLength(1);
    expect(await reader.pageSizes(new TextEncoder().encode('%PDF-1.7\nnot a pdf\n%%EOF'))).toBeNull();
  });
});
