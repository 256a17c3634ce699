import { describe, expect, it } from 'vitest';
import {
  checkPdfPages,
  confirmUpload,
  InvalidUploadError,
  submitJob,
  ValidationError,
  type PdfPageReader,
  type PdfPageSize,
} from '@receiptflow/core';
import { PNG_BYTES, pipeline } from './harness.js';

/** Enough of a PDF for the byte-level inspectPdf (header, startxref, %%EOF); its pages come from the reader. */
const PDF_BYTES = new TextEncoder().encode('%PDF-1.7\n1 0 obj <<>> endobj\nstartxref\n9\n%%EOF\n');

/** A PdfPageReader that reports what it is told, counting calls. */
class FakePages implements PdfPageReader {
  calls = 0;
  constructor(private readonly sizes: PdfPageSize[] | null) {}
  pageSizes(): Promise<PdfPageSize[] | null> {
    this.calls++;
    return Promise.resolve(this.sizes);
  }
}

const letter = { width: 612, height: 792 };

describe('checkPdfPages (issue 19)', () => {
  it('accepts 1..10 pages with sides up to 14,400 pt', () => {
    expect(() => checkPdfPages([{ width: 14_400, height: 14_400 }, ...Array(9).fill(letter)])).not.toThrow();
  });

  it.each([
    [[], /PDF has no pages/],
    [Array(11).fill(letter), /^PDF has 11 pages, at most 10 are read/],
    [[letter, { width: 100_000, height: 100_000 }], /^PDF page 2 is 100,000 × 100,000 pt, above the 14400 pt/],
    [[{ width: 0, height: 792 }], /^PDF page 1 has no area/],
  ] as const)('refuses %j with a ValidationError naming it', (sizes, message) => {
    expect(() => checkPdfPages(sizes)).toThrow(ValidationError);
    expect(() => checkPdfPages(sizes)).toThrow(message);
  });

  it('takes other limits', () => {
    expect(() => checkPdfPages([letter, letter], { maxPages: 1 })).toThrow(/2 pages, at most 1/);
    expect(() => checkPdfPages([letter], { maxPagePoints: 700 })).toThrow(/612 × 792 pt, above the 700 pt/);
  });
});

describe('submitJob / confirmUpload read a PDF page tree through the PdfPageReader port', () => {
  it('a direct upload of 11 pages is a ValidationError; nothing stored, no job, no message', async () => {
    const p = pipeline();
    const pdfPages = new FakePages(Array(11).fill(letter));
    await expect(
      submitJob({ ...p.submitDeps, pdfPages }, { filename: 'r.pdf', contentType: 'application/pdf', body: PDF_BYTES }),
    ).rejects.toThrow(/PDF has 11 pages, at most 10/);
    expect(pdfPages.calls).toBe(1);
    expect(await p.raw.list('raw/')).toEqual([]);
    expect((await p.ocrQueue.depth()).visible).toBe(0);
  });

  it('a PDF the reader cannot parse (null) is accepted: the OCR step decides', async () => {
    const p = pipeline();
    const r = await submitJob(
      { ...p.submitDeps, pdfPages: new FakePages(null) },
      { filename: 'r.pdf', contentType: 'application/pdf', body: PDF_BYTES },
    );
    expect(await p.jobs.getJob(r.job_id)).toMatchObject({ status: 'PENDING' });
    expect((await p.ocrQueue.depth()).visible).toBe(1);
  });

  it('images never reach the reader', async () => {
    const p = pipeline();
    const pdfPages = new FakePages([]);
    await submitJob({ ...p.submitDeps, pdfPages }, { filename: 'r.png', contentType: 'image/png', body: PNG_BYTES });
    expect(pdfPages.calls).toBe(0);
  });

  it('a presigned PDF with a huge page is refused at confirmUpload: deleted, a fresh upload, nothing queued', async () => {
    const p = pipeline();
    const deps = { ...p.submitDeps, pdfPages: new FakePages([{ width: 100_000, height: 100_000 }]) };
    const created = await submitJob(deps, { filename: 'r.pdf', contentType: 'application/pdf' });
    await p.raw.put(created.s3_key, PDF_BYTES, { contentType: 'application/pdf' });
    const error = await confirmUpload(deps, { image_id: created.image_id }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidUploadError);
    expect((error as InvalidUploadError).message).toMatch(/PDF page 1 is 100,000 × 100,000 pt/);
    expect(await p.raw.head(created.s3_key)).toBeNull();
    expect((await p.ocrQueue.depth()).visible).toBe(0);
    expect((await p.jobs.getImage(created.image_id))?.upload_state).toBe('AWAITING_UPLOAD');
  });
});
