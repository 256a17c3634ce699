import { describe, expect, it } from 'vitest';
import {
  ContentTypeMismatchError,
  InvalidUploadError,
  MAX_PDF_BYTES,
  ValidationError,
  confirmUpload,
  inspectImage,
  sniffContentType,
  submitJob,
  buildReceiptsFromDocument,
  classifyImage,
  countReceipts,
  inspectPdf,
  isPdf,
  type OcrDocument,
  type OcrPage,
  type SkippedRow,
} from '../src/index.js';
import { ocrDocument } from './helpers/ocr-document.js';
import { PNG_BYTES, pipeline } from './use-cases/harness.js';

const MERCHANT = ['HARBOR LANE GROCERY', '1452 HARBOR LANE', 'OAKLAND, CA 94607', 'TOTAL 20.37'];
const OTHER = ['COPPER KETTLE CAFE', '88 MAIN STREET', 'TOTAL 9.10'];

function page(n: number, texts: readonly string[], source: OcrPage['text_source']): OcrPage {
  const doc = ocrDocument(texts, { width: 260, height: 180 });
  return {
    page: n,
    image_width: doc.image_width,
    image_height: doc.image_height,
    rotation: 0,
    text_source: source,
    engine: source === 'ocr' ? 'tesseract.js' : 'pdf.js',
    lines: doc.lines,
  };
}

function paged(...pages: OcrPage[]): OcrDocument {
  return { engine: 'pdf.js', image_width: 260, image_height: 180, lines: [], pages };
}

const ref = { image_id: '11111111-1111-4111-8111-111111111111', created_at: '2026-12-01T12:00:00.000Z' };

describe('a paged (PDF) OCR document', () => {
  it('is NATIVE when every page was read from its text layer, SCAN once a page was OCRd', () => {
    const text = classifyImage(paged(page(1, MERCHANT, 'text_layer'), page(2, OTHER, 'text_layer')));
    expect(text).toEqual({ image_type: 'NATIVE', reason: '2 PDF pages, every one read from its text layer' });
    const mixed = classifyImage(paged(page(1, MERCHANT, 'text_layer'), page(2, OTHER, 'ocr')));
    expect(mixed.image_type).toBe('SCAN');
    expect(mixed.reason).toMatch(/rendered and OCR'd: page 2/);
  });

  it('gives one receipt per page with text, receipt_id = page number, in the upright page frame', () => {
    const doc = paged(page(1, MERCHANT, 'text_layer'), page(2, [], 'ocr'), page(3, OTHER, 'ocr'));
    expect(countReceipts(doc, 'SCAN')).toBe(2);
    const skipped: SkippedRow[] = [];
    const receipts = buildReceiptsFromDocument(doc, { ...ref, image_type: 'SCAN' }, skipped);
    expect(receipts.map((r) => r.receipt.receipt_id)).toEqual([1, 3]);
    expect(receipts[0]!.lines.map((l) => l.text)).toEqual(MERCHANT);
    expect(receipts[1]!.lines.map((l) => l.text)).toEqual(OTHER);
    // The page is the receipt: its geometry is the page's as read, never re-cropped by layout.
    const source = doc.pages![0]!.lines[0]!;
    expect(receipts[0]!.lines[0]!.bounding_box).toEqual(source.bounding_box);
    expect(receipts[0]!.receipt.region).toMatchObject({ width: 260, height: 180 });
    expect(skipped).toEqual([]);
  });

  it('does not split a page into several receipts even when the layout would', () => {
    // Two columns of text far apart: as one image, the layout finds two receipts.
    const left = ocrDocument(MERCHANT, { width: 2000, height: 1000 });
    const right = ocrDocument(OTHER, { width: 2000, height: 1000 });
    for (const l of right.lines) {
      for (const g of [l, ...l.words]) {
        g.bounding_box = { ...g.bounding_box, x: g.bounding_box.x + 0.55 };
        for (const k of ['top_left', 'top_right', 'bottom_left', 'bottom_right'] as const)
          g[k] = { ...g[k], x: g[k].x + 0.55 };
      }
    }
    const image = { ...left, lines: [...left.lines, ...right.lines] };
    expect(countReceipts(image, 'SCAN')).toBe(2);
    const pdf = paged({
      page: 1,
      image_width: 2000,
      image_height: 1000,
      rotation: 0,
      text_source: 'ocr',
      engine: 'tesseract.js',
      lines: image.lines,
    });
    expect(countReceipts(pdf, 'SCAN')).toBe(1);
    expect(buildReceiptsFromDocument(pdf, { ...ref, image_type: 'SCAN' }, [])).toHaveLength(1);
  });

  it('skips and reports a malformed page instead of failing the others', () => {
    const doc = { ...paged(page(1, MERCHANT, 'text_layer')), pages: [{ page: 0 }, page(2, OTHER, 'text_layer')] };
    const skipped: SkippedRow[] = [];
    const receipts = buildReceiptsFromDocument(doc, { ...ref, image_type: 'NATIVE' }, skipped);
    expect(receipts.map((r) => r.receipt.receipt_id)).toEqual([2]);
    expect(skipped[0]!.what).toBe('ocr page 1');
  });
});

const encoder = new TextEncoder();
/** A minimal PDF's bytes: header, one object, trailer, startxref and %%EOF. */
function pdfBytes(trailer = '<< /Root 1 0 R /Size 2 >>', body = '1 0 obj << /Type /Catalog >> endobj'): Uint8Array {
  return encoder.encode(`%PDF-1.7\n${body}\ntrailer\n${trailer}\nstartxref\n9\n%%EOF\n`);
}

describe('inspectPdf', () => {
  it('sniffs a PDF by its %PDF- header, not by anything declared', () => {
    expect(isPdf(pdfBytes())).toBe(true);
    expect(isPdf(encoder.encode('\x89PNG\r\n\x1a\n'))).toBe(false);
    expect(isPdf(encoder.encode(' %PDF-1.7'))).toBe(false);
    expect(inspectPdf(pdfBytes())).toEqual({
      contentType: 'application/pdf',
      version: '1.7',
      sizeBytes: pdfBytes().length,
    });
  });

  const refusals: [string, Uint8Array, RegExp][] = [
    ['not a PDF', encoder.encode('GIF89a'.padEnd(64, ' ')), /not a PDF/],
    ['a header without a version', encoder.encode('%PDF-x.y\nstartxref\n0\n%%EOF'), /no version/],
    ['truncated (no %%EOF)', pdfBytes().subarray(0, 40), /truncated/],
    ['truncated (no startxref)', encoder.encode('%PDF-1.4\n1 0 obj\n%%EOF\n'), /truncated/],
    ['encrypted (trailer)', pdfBytes('<< /Root 1 0 R /Encrypt 2 0 R /Size 3 >>'), /encrypted/],
    ['encrypted (inline dictionary)', pdfBytes('<< /Root 1 0 R /Encrypt<< /Filter /Standard >> >>'), /encrypted/],
  ];
  it.each(refusals)('refuses %s, naming it', (_, bytes, message) => {
    expect(() => inspectPdf(bytes)).toThrow(ValidationError);
    expect(() => inspectPdf(bytes)).toThrow(message);
  });

  it('is not fooled by a name that only starts with /Encrypt', () => {
    expect(inspectPdf(pdfBytes('<< /Root 1 0 R /Size 2 /EncryptMetadata false >>')).version).toBe('1.7');
  });

  it('refuses an oversized PDF by its byte count', () => {
    expect(() => inspectPdf(pdfBytes(), { maxBytes: 20 })).toThrow(/PDF is 0\.0 MiB, above the 0\.0 MiB limit/);
    const big = new Uint8Array(MAX_PDF_BYTES + 1);
    big.set(pdfBytes());
    expect(() => inspectPdf(big)).toThrow(/PDF is 20\.0 MiB, above the 20\.0 MiB limit/);
  });
});

describe('PDF uploads: sniffed by content, refused at upload when the file alone shows the problem', () => {
  const pdf = pdfBytes();

  it('a direct PDF upload is stored as application/pdf and queued for OCR', async () => {
    const p = pipeline();
    const r = await submitJob(p.submitDeps, { filename: 'invoice.pdf', contentType: 'application/pdf', body: pdf });
    expect(await p.jobs.getImage(r.image_id)).toMatchObject({
      content_type: 'application/pdf',
      upload_state: 'UPLOADED',
    });
    expect((await p.ocrQueue.depth()).visible).toBe(1);
    expect(sniffContentType(pdf)).toBe('application/pdf');
    expect(inspectImage(pdf)).toEqual({ contentType: 'application/pdf', width: 0, height: 0 });
  });

  it('a PDF declared as an image, or an image declared as a PDF, is refused naming both', async () => {
    const p = pipeline();
    await expect(submitJob(p.submitDeps, { filename: 'r.jpg', contentType: 'image/jpeg', body: pdf })).rejects.toThrow(
      ContentTypeMismatchError,
    );
    await expect(
      submitJob(p.submitDeps, { filename: 'r.pdf', contentType: 'application/pdf', body: PNG_BYTES }),
    ).rejects.toThrow(/says application\/pdf but the body is image\/png/);
    expect(await p.raw.list('raw/')).toEqual([]);
  });

  it.each([
    ['encrypted', pdfBytes('<< /Root 1 0 R /Encrypt 2 0 R >>'), /PDF is encrypted/],
    ['truncated', pdf.subarray(0, 30), /PDF is truncated/],
  ])('a direct %s PDF is refused before anything is stored', async (_, bytes, message) => {
    const p = pipeline();
    await expect(
      submitJob(p.submitDeps, { filename: 'x.pdf', contentType: 'application/pdf', body: bytes }),
    ).rejects.toThrow(message);
    expect(await p.raw.list('raw/')).toEqual([]);
    expect((await p.ocrQueue.depth()).visible).toBe(0);
  });

  it('a presigned PDF upload is checked at confirm: a truncated one is deleted, a good one queued', async () => {
    const p = pipeline();
    const r = await submitJob(p.submitDeps, { filename: 'invoice.pdf', contentType: 'application/pdf' });
    expect(r.upload!.headers).toMatchObject({ 'content-type': 'application/pdf' });
    await p.raw.acceptPresignedPut(r.upload!.url, pdf.subarray(0, 30), 'application/pdf');
    const refused = await confirmUpload(p.submitDeps, { image_id: r.image_id }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidUploadError);
    expect((refused as InvalidUploadError).message).toMatch(/PDF is truncated/);
    expect(await p.raw.head(r.s3_key)).toBeNull();
    await p.raw.acceptPresignedPut((refused as InvalidUploadError).upload.url, pdf, 'application/pdf');
    expect(await confirmUpload(p.submitDeps, { image_id: r.image_id })).toMatchObject({ enqueued: true });
  });
});
