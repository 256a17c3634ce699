import { TesseractOcrEngine } from '@receiptflow/adapters-local/ocr';
import { demoReceipts, syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { silentLogger, type OcrDocument, type OcrEngine } from '@receiptflow/core';
import { blankPdf, encryptedPdf, receiptPdf } from '@receiptflow/devkit/pdf-fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalRuntime } from '../src/local/local-runtime.js';
import { bodyOf, httpEvent, jsonPostEvent, TaggedOcr } from './support/fixtures.js';

/** The image OCR engine behind the runtime's PDF reader, counting every call it gets. */
class CountingOcr implements OcrEngine {
  calls = 0;
  constructor(private readonly inner: OcrEngine = new TaggedOcr()) {}
  get name() {
    return this.inner.name;
  }
  recognize(image: Uint8Array): Promise<OcrDocument> {
    this.calls++;
    return this.inner.recognize(image);
  }
}

interface Status {
  stage: string;
  job_status: string | null;
  failure_reason: string | null;
  receipts: { receipt_id: number; place_id: string | null; compacted: boolean }[];
}

const [first, second, third] = demoReceipts();

async function withRuntime<T>(ocr: OcrEngine, work: (runtime: LocalRuntime) => Promise<T>): Promise<T> {
  const runtime = await LocalRuntime.open({ logger: silentLogger, ocr, catalog: syntheticCatalog() });
  try {
    return await work(runtime);
  } finally {
    await runtime.stop();
  }
}

/** Uploads `body` as `contentType` and, when accepted, drains the pipeline. */
async function upload(runtime: LocalRuntime, body: Uint8Array, contentType = 'application/pdf') {
  const res = await runtime.upload(
    httpEvent({ headers: { 'content-type': contentType }, query: { filename: 'receipt.pdf' }, body }),
  );
  if (res.statusCode !== 201) return { res, status: null, image_id: null };
  const { image_id } = bodyOf<{ image_id: string }>(res);
  await runtime.drain();
  const status = bodyOf<Status>(
    await runtime.upload(httpEvent({ method: 'GET', path: '/upload-status', query: { image_id } })),
  );
  return { res, status, image_id };
}

async function routing(runtime: LocalRuntime, imageId: string) {
  const [job] = await runtime.adapters.jobs.listJobsForImage(imageId);
  return runtime.adapters.jobs.getRoutingDecision(job!.job_id);
}

describe('a PDF through the whole local pipeline (issue 19)', () => {
  it('a text-layer PDF resolves its merchant with zero OCR calls, routed NATIVE', async () => {
    const ocr = new CountingOcr();
    await withRuntime(ocr, async (runtime) => {
      const { status, image_id } = await upload(runtime, await receiptPdf([{ spec: first!.spec, kind: 'text' }]));
      expect(status).toMatchObject({
        stage: 'compacted',
        job_status: 'COMPLETED',
        receipts: [{ receipt_id: 1, place_id: first!.truth.place_id, compacted: true }],
      });
      expect(ocr.calls).toBe(0);
      expect(await routing(runtime, image_id!)).toMatchObject({
        image_type: 'NATIVE',
        engine: 'pdf.js',
        receipt_count: 1,
      });
      expect((await runtime.adapters.jobs.getImage(image_id!))?.content_type).toBe('application/pdf');
    });
  });

  it('each page of a two-page PDF is a receipt of the same image, receipt_id = page number', async () => {
    const ocr = new CountingOcr();
    await withRuntime(ocr, async (runtime) => {
      const pdf = await receiptPdf([
        { spec: first!.spec, kind: 'text' },
        { spec: second!.spec, kind: 'text' },
      ]);
      const { status } = await upload(runtime, pdf);
      expect(status!.receipts.map((r) => [r.receipt_id, r.place_id])).toEqual([
        [1, first!.truth.place_id],
        [2, second!.truth.place_id],
      ]);
      expect(ocr.calls).toBe(0);
    });
  });

  it('a page with /Rotate 90 resolves like its upright twin, lines stored in the upright frame', async () => {
    const ocr = new CountingOcr();
    await withRuntime(ocr, async (runtime) => {
      const upright = await upload(runtime, await receiptPdf([{ spec: third!.spec, kind: 'text' }]));
      const turned = await upload(runtime, await receiptPdf([{ spec: third!.spec, kind: 'text', rotate: 90 }]));
      expect(turned.status!.receipts).toMatchObject([{ place_id: third!.truth.place_id }]);
      const lines = async (imageId: string) =>
        (await runtime.adapters.receipts.get(imageId, 1))!.lines.map((l) => ({
          text: l.text,
          box: Object.values(l.bounding_box).map((v) => Number(v.toFixed(4))),
        }));
      expect(await lines(turned.image_id!)).toEqual(await lines(upright.image_id!));
      expect(ocr.calls).toBe(0);
    });
  });

  it.each([
    ['encrypted', () => encryptedPdf(first!.spec), 'application/pdf', 400, 'VALIDATION_FAILED', /PDF is encrypted/],
    [
      'truncated',
      async () => (await receiptPdf([{ spec: first!.spec, kind: 'text' }])).subarray(0, 600),
      'application/pdf',
      400,
      'VALIDATION_FAILED',
      /PDF is truncated/,
    ],
    [
      'declared as a JPEG',
      () => receiptPdf([{ spec: first!.spec, kind: 'text' }]),
      'image/jpeg',
      415,
      'CONTENT_TYPE_MISMATCH',
      /says image\/jpeg but the body is application\/pdf/,
    ],
  ] as const)(
    'a PDF %s is refused at upload with a 4xx naming it',
    async (_, make, contentType, code, name, message) => {
      const ocr = new CountingOcr();
      await withRuntime(ocr, async (runtime) => {
        const { res } = await upload(runtime, await make(), contentType);
        expect(res.statusCode).toBe(code);
        expect(bodyOf<{ error: { code: string; message: string } }>(res).error).toMatchObject({
          code: name,
          message: expect.stringMatching(message),
        });
        expect(await runtime.adapters.rawImages.list('raw/')).toEqual([]);
      });
    },
  );

  const pageBombs = [
    [
      'a page of 100,000 × 100,000 pt',
      () => blankPdf({ pages: 1, width: 100_000, height: 100_000 }),
      /PDF page 1 is 100,000 × 100,000 pt, above the 14400 pt/,
    ],
    [
      'a second page of 20,000 × 300 pt',
      () =>
        blankPdf({
          sizes: [
            [200, 200],
            [20_000, 300],
          ],
        }),
      /PDF page 2 is 20,000 × 300 pt/,
    ],
    ['11 pages', () => blankPdf({ pages: 11 }), /PDF has 11 pages, at most 10/],
  ] as const;

  /** Nothing of a refused upload is left: no object, no image row, no job, no OCR message. */
  async function expectNothingKept(runtime: LocalRuntime, imageId?: string) {
    expect(await runtime.adapters.rawImages.list('raw/')).toEqual([]);
    expect((await runtime.adapters.ocrQueue.depth()).visible).toBe(0);
    if (imageId !== undefined) {
      expect((await runtime.adapters.jobs.getImage(imageId))?.upload_state).toBe('AWAITING_UPLOAD');
      const [job] = await runtime.adapters.jobs.listJobsForImage(imageId);
      expect(job?.status).toBe('PENDING');
    }
  }

  it.each(pageBombs)(
    'a direct upload of a PDF with %s (compressed object streams) is a 400 naming it; nothing is kept',
    async (_, make, reason) => {
      const ocr = new CountingOcr();
      await withRuntime(ocr, async (runtime) => {
        const bytes = await make();
        // The page tree sits in a compressed object stream, which no byte scan can read.
        expect(Buffer.from(bytes).includes('/ObjStm')).toBe(true);
        const { res } = await upload(runtime, bytes);
        expect(res.statusCode).toBe(400);
        expect(bodyOf<{ error: { code: string; message: string } }>(res).error).toMatchObject({
          code: 'VALIDATION_FAILED',
          message: expect.stringMatching(reason),
        });
        await expectNothingKept(runtime);
        expect(ocr.calls).toBe(0);
      });
    },
  );

  it.each(pageBombs)(
    'a presigned upload of a PDF with %s is refused at /upload-complete (422, a fresh URL); nothing queued',
    async (_, make, reason) => {
      await withRuntime(new CountingOcr(), async (runtime) => {
        const created = bodyOf<{ image_id: string; upload: { url: string } }>(
          await runtime.upload(
            jsonPostEvent('/upload-receipt', { filename: 'r.pdf', content_type: 'application/pdf' }),
          ),
        );
        await runtime.adapters.rawImages.acceptPresignedPut(created.upload.url, await make(), 'application/pdf');
        const res = await runtime.upload(jsonPostEvent('/upload-complete', { image_id: created.image_id }));
        expect(res.statusCode).toBe(422);
        const body = bodyOf<{ error: { message: string }; upload: { url: string } }>(res);
        expect(body.error.message).toMatch(reason);
        expect(body.upload.url).toEqual(expect.any(String));
        await expectNothingKept(runtime, created.image_id);
      });
    },
  );

  it('a PDF of 10 pages (the limit) of 14,400 pt sides is accepted at upload', async () => {
    await withRuntime(new CountingOcr(), async (runtime) => {
      const body = await blankPdf({
        sizes: [[14_400, 14_400], ...Array.from({ length: 9 }, () => [612, 792] as const)],
      });
      const res = await runtime.upload(
        httpEvent({ headers: { 'content-type': 'application/pdf' }, query: { filename: 'ten.pdf' }, body }),
      );
      expect(res.statusCode).toBe(201);
      expect((await runtime.adapters.ocrQueue.depth()).visible).toBe(1);
    });
  });
});

describe('a scanned PDF (no text layer) through tesseract', () => {
  const tesseract = new TesseractOcrEngine();
  afterAll(() => tesseract.terminate());

  it('is rendered, OCRd once per page, routed SCAN, and resolves its merchant', async () => {
    const ocr = new CountingOcr(tesseract);
    await withRuntime(ocr, async (runtime) => {
      const { status, image_id } = await upload(runtime, await receiptPdf([{ spec: second!.spec, kind: 'scan' }]));
      expect(status).toMatchObject({
        stage: 'compacted',
        receipts: [{ receipt_id: 1, place_id: second!.truth.place_id }],
      });
      expect(ocr.calls).toBe(1);
      expect(await routing(runtime, image_id!)).toMatchObject({ image_type: 'SCAN', engine: 'tesseract.js' });
    });
  }, 180_000);
});
