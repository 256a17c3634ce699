import { demoReceipts, readHeicFixture, syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { MAX_PRESIGNED_UPLOAD_BYTES, OcrJobMessageSchema, silentLogger, type PresignedUpload } from '@receiptflow/core';
import { heifContainer } from '@receiptflow/core/testing';
import { describe, expect, it } from 'vitest';
import { createUploadApi, MAX_DIRECT_UPLOAD_BYTES } from '../src/handlers/upload-api.js';
import { ApiKeyAuth } from '../src/http/api-key-auth.js';
import { LocalRuntime } from '../src/local/local-runtime.js';
import { bodyOf, httpEvent, jpegHeader, pngHeader, specLines, TaggedOcr } from './support/fixtures.js';
import { localPipeline, type LocalPipeline } from './support/local-pipeline.js';

interface ErrorBody {
  error: { code: string; message: string };
}
interface SubmitBody {
  job_id: string;
  image_id: string;
  s3_key: string;
  upload: PresignedUpload | null;
}

/** Everything the upload step could have written downstream. */
async function downstream(p: LocalPipeline) {
  const a = p.adapters;
  const jobs = [...(await a.jobs.listJobsByStatus('PENDING')), ...(await a.jobs.listJobsByStatus('PROCESSING'))];
  return {
    jobs: jobs.length,
    objects: (await a.rawImages.list('raw/')).length,
    messages: (await a.ocrQueue.depth()).visible,
  };
}

async function statusOf(p: LocalPipeline, imageId: string) {
  const res = await p.upload(httpEvent({ method: 'GET', path: '/upload-status', query: { image_id: imageId } }));
  expect(res.statusCode).toBe(200);
  return bodyOf<{
    stage: string;
    job_status: string | null;
    receipts: { place_id: string | null; compacted: boolean }[];
  }>(res);
}

describe('upload API: presigned and direct uploads', () => {
  it('POST JSON returns a presigned URL and a PENDING job, and sends nothing to ocr-queue yet', async () => {
    const p = await localPipeline();
    const res = await p.upload(
      httpEvent({
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ filename: 'r.jpg', content_type: 'image/jpeg' }),
      }),
    );
    expect(res.statusCode).toBe(201);
    const body = bodyOf<SubmitBody>(res);
    expect(body.upload).toMatchObject({
      method: 'PUT',
      fields: {},
      headers: { 'content-type': 'image/jpeg' },
      max_bytes: MAX_PRESIGNED_UPLOAD_BYTES,
    });
    expect(body.upload!.url).toMatch(/^local:\/\/uploads\/raw\/raw\//);
    expect(body.s3_key).toBe(`raw/${body.image_id}/r.jpg`);
    expect((await p.adapters.jobs.getJob(body.job_id))?.status).toBe('PENDING');
    expect((await p.adapters.jobs.getImage(body.image_id))?.upload_state).toBe('AWAITING_UPLOAD');
    expect((await p.adapters.ocrQueue.depth()).visible).toBe(0);
    expect((await statusOf(p, body.image_id)).stage).toBe('awaiting_upload');
  });

  it('POST /upload-complete after the PUT lands enqueues OCR once; before it lands it is 404', async () => {
    const p = await localPipeline();
    const created = bodyOf<SubmitBody>(
      await p.upload(
        httpEvent({
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ filename: 'r.png', content_type: 'image/png' }),
        }),
      ),
    );
    const confirm = () =>
      p.upload(
        httpEvent({
          path: '/upload-complete',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ image_id: created.image_id }),
        }),
      );
    const early = await confirm();
    expect(early.statusCode).toBe(404);
    expect(bodyOf<ErrorBody>(early).error.message).toContain(created.s3_key);

    await p.adapters.rawImages.acceptPresignedPut(created.upload!.url, pngHeader(10, 10), 'image/png');
    const first = await confirm();
    expect(first.statusCode).toBe(200);
    expect(bodyOf(first)).toMatchObject({ job_id: created.job_id, enqueued: true });
    const second = await confirm();
    expect(bodyOf(second)).toMatchObject({ enqueued: false });
    expect((await p.adapters.ocrQueue.depth()).visible).toBe(1);
  });

  it('size_bytes binds the upload; /upload-complete refuses a non-image with 422 and a fresh upload, and a good PUT then goes through', async () => {
    const p = await localPipeline();
    const created = bodyOf<SubmitBody>(
      await p.upload(
        httpEvent({
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ filename: 'r.png', content_type: 'image/png', size_bytes: 4096 }),
        }),
      ),
    );
    expect(created.upload!.max_bytes).toBe(4096);
    await expect(
      p.adapters.rawImages.acceptPresignedPut(created.upload!.url, new Uint8Array(4097), 'image/png'),
    ).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    await p.adapters.rawImages.acceptPresignedPut(
      created.upload!.url,
      new TextEncoder().encode('%PDF-1.7 not an image at all'),
      'image/png',
    );
    const confirm = () =>
      p.upload(
        httpEvent({
          path: '/upload-complete',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ image_id: created.image_id }),
        }),
      );
    const refused = await confirm();
    expect(refused.statusCode).toBe(422);
    const body = bodyOf<ErrorBody & { upload: PresignedUpload }>(refused);
    expect(body.error).toMatchObject({
      code: 'INVALID_UPLOAD',
      // Sniffed as a PDF whatever was declared, and refused as the broken PDF it is.
      message: expect.stringContaining('PDF is truncated'),
    });
    expect(body.upload.url).not.toBe(created.upload!.url);
    expect(await downstream(p)).toMatchObject({ objects: 0, messages: 0 });
    expect((await p.adapters.jobs.getJob(created.job_id))?.status).toBe('PENDING');

    await p.adapters.rawImages.acceptPresignedPut(body.upload.url, pngHeader(10, 10), 'image/png');
    expect((await confirm()).statusCode).toBe(200);
    expect((await p.adapters.ocrQueue.depth()).visible).toBe(1);
  });

  it('refuses size_bytes above the presigned limit', async () => {
    const p = await localPipeline();
    const res = await p.upload(
      httpEvent({
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          filename: 'r.png',
          content_type: 'image/png',
          size_bytes: MAX_PRESIGNED_UPLOAD_BYTES + 1,
        }),
      }),
    );
    expect(res.statusCode).toBe(400);
    expect(bodyOf<ErrorBody>(res).error.message).toContain('size_bytes');
  });

  it('rejects a malformed presign request with 400 naming the fields', async () => {
    const p = await localPipeline();
    const bad = await p.upload(
      httpEvent({
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ filename: '', content_type: 'image/gif' }),
      }),
    );
    expect(bad.statusCode).toBe(400);
    const { error } = bodyOf<ErrorBody>(bad);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('filename');
    expect(error.message).toContain('content_type');
    const notJson = await p.upload(httpEvent({ headers: { 'content-type': 'application/json' }, body: '{nope' }));
    expect(notJson.statusCode).toBe(400);
    expect((await downstream(p)).jobs).toBe(0);
  });

  it('direct binary upload: 201 with job_id/image_id, the object stored and one message on ocr-queue', async () => {
    const p = await localPipeline();
    const bytes = pngHeader(640, 900);
    const res = await p.upload(
      httpEvent({ headers: { 'content-type': 'image/png' }, query: { filename: 'lunch.png' }, body: bytes }),
    );
    expect(res.statusCode).toBe(201);
    const body = bodyOf<SubmitBody>(res);
    expect(body.upload).toBeNull();
    expect(body.s3_key).toBe(`raw/${body.image_id}/lunch.png`);
    const stored = await p.adapters.rawImages.get(body.s3_key);
    expect(Buffer.from(stored.body).equals(Buffer.from(bytes))).toBe(true);
    expect(stored.contentType).toBe('image/png');
    const [message] = await p.adapters.ocrQueue.receive({ maxMessages: 10 });
    // The seed's shape, plus where the OCR JSON belongs.
    expect(OcrJobMessageSchema.parse(JSON.parse(message!.body))).toEqual({
      job_id: body.job_id,
      image_id: body.image_id,
      s3_bucket: p.adapters.rawImages.bucket,
      s3_key: body.s3_key,
      ocr_s3_bucket: p.adapters.artifacts.bucket,
    });
  });

  it('accepts a JPEG whatever the header case, and names it from x-filename', async () => {
    const p = await localPipeline();
    const jpeg = jpegHeader(800, 1200);
    const res = await p.upload(
      httpEvent({ headers: { 'Content-Type': 'IMAGE/JPEG', 'X-Filename': 'dinner.jpg' }, body: jpeg }),
    );
    expect(res.statusCode).toBe(201);
    expect(bodyOf<SubmitBody>(res).s3_key).toMatch(/\/dinner\.jpg$/);
  });

  it('accepts an iPhone HEIC, direct (named upload.heic, stored as image/heic) and presigned (image/heic, confirmed)', async () => {
    const p = await localPipeline();
    const heic = readHeicFixture(6);
    const direct = await p.upload(httpEvent({ headers: { 'content-type': 'image/heic' }, body: heic }));
    expect(direct.statusCode).toBe(201);
    const { s3_key } = bodyOf<SubmitBody>(direct);
    expect(s3_key).toMatch(/\/upload\.heic$/);
    const stored = await p.adapters.rawImages.get(s3_key);
    expect(stored.contentType).toBe('image/heic');
    expect(Buffer.from(stored.body).equals(Buffer.from(heic))).toBe(true);

    const created = bodyOf<SubmitBody>(
      await p.upload(
        httpEvent({
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ filename: 'IMG_0042.HEIC', content_type: 'image/heic', size_bytes: heic.length }),
        }),
      ),
    );
    expect(created.upload).toMatchObject({ headers: { 'content-type': 'image/heic' } });
    // Another photo (the same bytes again would be answered as a duplicate of the first).
    await p.adapters.rawImages.acceptPresignedPut(created.upload!.url, readHeicFixture(1), 'image/heic');
    const confirmed = await p.upload(
      httpEvent({
        path: '/upload-complete',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ image_id: created.image_id }),
      }),
    );
    expect(confirmed.statusCode).toBe(200);
    expect(bodyOf(confirmed)).toMatchObject({ enqueued: true });
    expect((await p.adapters.ocrQueue.depth()).visible).toBe(2);
  });

  // docs/lessons.md#lesson-22-same-filename-overwritten-upload
  it('two uploads of the same filename make two objects and two jobs', async () => {
    const p = await localPipeline();
    const send = (w: number) =>
      p.upload(
        httpEvent({
          headers: { 'content-type': 'image/png' },
          query: { filename: 'receipt.png' },
          body: pngHeader(w, w),
        }),
      );
    const a = bodyOf<SubmitBody>(await send(100));
    const b = bodyOf<SubmitBody>(await send(200));
    expect(a.image_id).not.toBe(b.image_id);
    expect(a.job_id).not.toBe(b.job_id);
    expect(a.s3_key).not.toBe(b.s3_key);
    expect(await p.adapters.rawImages.list('raw/')).toHaveLength(2);
    expect((await p.adapters.rawImages.get(a.s3_key)).body).not.toEqual(
      (await p.adapters.rawImages.get(b.s3_key)).body,
    );
    expect(await p.adapters.jobs.listJobsByStatus('PENDING')).toHaveLength(2);
    expect((await p.adapters.ocrQueue.depth()).visible).toBe(2);
  });
});

describe('upload API: validation (nothing is written for a refused upload)', () => {
  const cases: {
    name: string;
    contentType: string;
    body: Uint8Array;
    status: number;
    code: string;
    message: RegExp;
  }[] = [
    {
      name: 'a 100-megapixel PNG (decompression bomb)',
      contentType: 'image/png',
      body: pngHeader(10_000, 10_000),
      status: 400,
      code: 'VALIDATION_FAILED',
      message: /10000x10000 \(100\.0 MP\), above the 50 MP limit/,
    },
    {
      name: 'a 100-megapixel JPEG',
      contentType: 'image/jpeg',
      body: jpegHeader(10_000, 10_000),
      status: 400,
      code: 'VALIDATION_FAILED',
      message: /10000x10000/,
    },
    {
      name: 'a truncated JPEG',
      contentType: 'image/jpeg',
      body: jpegHeader(800, 600, { truncated: true }),
      status: 400,
      code: 'VALIDATION_FAILED',
      message: /JPEG is truncated/,
    },
    {
      name: 'a body that is not an image',
      contentType: 'image/png',
      body: new TextEncoder().encode('this is a grocery list, not a picture of one'),
      status: 400,
      code: 'VALIDATION_FAILED',
      message: /not a JPEG, PNG, WebP, TIFF, HEIC\/HEIF or PDF file/,
    },
    {
      name: 'a wrong content-type',
      contentType: 'text/plain',
      body: pngHeader(10, 10),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: /"text\/plain" is not accepted/,
    },
    {
      name: 'a content-type that does not match the bytes',
      contentType: 'image/jpeg',
      body: pngHeader(10, 10),
      status: 415,
      code: 'CONTENT_TYPE_MISMATCH',
      message: /says image\/jpeg but the body is image\/png/,
    },
    {
      name: 'an iPhone HEIC sent as image/jpeg',
      contentType: 'image/jpeg',
      body: heifContainer({ width: 4032, height: 3024 }),
      status: 415,
      code: 'CONTENT_TYPE_MISMATCH',
      message: /says image\/jpeg but the body is image\/heic/,
    },
    {
      name: 'a HEIC that declares 100,000 x 100,000 pixels',
      contentType: 'image/heic',
      body: heifContainer({ width: 100_000, height: 100_000 }),
      status: 400,
      code: 'VALIDATION_FAILED',
      message: /100000x100000 .* above the 50 MP limit/,
    },
    {
      name: 'an empty body',
      contentType: 'image/png',
      body: new Uint8Array(),
      status: 400,
      code: 'VALIDATION_FAILED',
      message: /empty/,
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.name} with ${c.status} ${c.code}`, async () => {
      const p = await localPipeline();
      const res = await p.upload(httpEvent({ headers: { 'content-type': c.contentType }, body: c.body }));
      expect(res.statusCode).toBe(c.status);
      const { error } = bodyOf<ErrorBody>(res);
      expect(error.code).toBe(c.code);
      expect(error.message).toMatch(c.message);
      expect(await downstream(p)).toEqual({ jobs: 0, objects: 0, messages: 0 });
    });
  }

  it('refuses a missing content-type with 415 that says what to send', async () => {
    const p = await localPipeline();
    const res = await p.upload(httpEvent({ body: pngHeader(10, 10) }));
    expect(res.statusCode).toBe(415);
    expect(bodyOf<ErrorBody>(res).error.message).toMatch(/\(none\).*application\/json.*image\/png/);
  });

  it('refuses a body over the direct-upload limit with 413 and points at presigned URLs', async () => {
    const p = await localPipeline();
    const big = new Uint8Array(MAX_DIRECT_UPLOAD_BYTES + 1);
    big.set(pngHeader(100, 100));
    const res = await p.upload(httpEvent({ headers: { 'content-type': 'image/png' }, body: big }));
    expect(res.statusCode).toBe(413);
    const { error } = bodyOf<ErrorBody>(res);
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error.message).toContain(`${MAX_DIRECT_UPLOAD_BYTES + 1} bytes`);
    expect(error.message).toContain('presigned');
    expect(await downstream(p)).toEqual({ jobs: 0, objects: 0, messages: 0 });
  });

  it('honours configured size and pixel limits', async () => {
    const p = await localPipeline();
    const handler = createUploadApi({
      submit: submitDeps(p),
      status: p.adapters,
      auth: new ApiKeyAuth([]),
      logger: silentLogger,
      maxDirectUploadBytes: 64,
      maxPixels: 1_000,
    });
    const tooBig = await handler(httpEvent({ headers: { 'content-type': 'image/jpeg' }, body: jpegHeader(10, 10) }));
    expect(tooBig.statusCode).toBe(413);
    const tooManyPixels = await handler(
      httpEvent({ headers: { 'content-type': 'image/png' }, body: pngHeader(40, 40) }),
    );
    expect(tooManyPixels.statusCode).toBe(400);
    expect(bodyOf<ErrorBody>(tooManyPixels).error.message).toContain('40x40');
    const ok = await handler(httpEvent({ headers: { 'content-type': 'image/png' }, body: pngHeader(30, 30) }));
    expect(ok.statusCode).toBe(201);
  });

  it('maps a failing store to 503 without leaking the cause', async () => {
    const p = await localPipeline();
    const deps = submitDeps(p);
    const handler = createUploadApi({
      submit: {
        ...deps,
        images: Object.assign(Object.create(deps.images) as typeof deps.images, {
          put: () => Promise.reject(new Error('disk on fire at /secret/path')),
        }),
      },
      status: p.adapters,
      auth: new ApiKeyAuth([]),
      logger: p.logger,
    });
    const res = await handler(httpEvent({ headers: { 'content-type': 'image/png' }, body: pngHeader(10, 10) }));
    expect(res.statusCode).toBe(503);
    expect(res.body).not.toContain('/secret/path');
    expect(p.logger.entries.some((e) => e.level === 'error' && String(e.fields.error).includes('disk on fire'))).toBe(
      true,
    );
  });
});

function submitDeps(p: LocalPipeline) {
  const a = p.adapters;
  return { jobs: a.jobs, images: a.rawImages, ocrQueue: a.ocrQueue, clock: a.clock, ids: a.ids };
}

describe('upload API: routes and status', () => {
  it('answers 404 for an unknown route or method, and for an unknown image', async () => {
    const p = await localPipeline();
    const unknown = await p.upload(httpEvent({ method: 'GET', path: '/nope' }));
    expect(unknown.statusCode).toBe(404);
    expect(bodyOf<ErrorBody>(unknown).error.message).toContain('GET /nope');
    expect((await p.upload(httpEvent({ method: 'DELETE', path: '/upload-receipt' }))).statusCode).toBe(404);
    const missing = await p.upload(
      httpEvent({ method: 'GET', path: '/upload-status', query: { image_id: 'no-such-image' } }),
    );
    expect(missing.statusCode).toBe(404);
    expect(bodyOf<ErrorBody>(missing).error.message).toContain('no-such-image');
    const noParam = await p.upload(httpEvent({ method: 'GET', path: '/upload-status' }));
    expect(noParam.statusCode).toBe(400);
    expect(bodyOf<ErrorBody>(noParam).error.message).toContain('image_id');
  });

  it('GET /upload-status walks uploaded → ocr_done → merchant → compacted as the stages run', async () => {
    const p = await localPipeline();
    const [receipt] = demoReceipts();
    const bytes = p.ocr.register('status', specLines(receipt!.spec));
    const { image_id } = bodyOf<SubmitBody>(
      await p.upload(httpEvent({ headers: { 'content-type': 'image/png' }, body: bytes })),
    );
    expect(await statusOf(p, image_id)).toMatchObject({ stage: 'uploaded', job_status: 'PENDING', receipts: [] });

    expect(await p.runOcr()).toBe(1);
    expect(await statusOf(p, image_id)).toMatchObject({ stage: 'ocr_done', job_status: 'COMPLETED' });

    const [results] = await p.adapters.resultsQueue.receive({ maxMessages: 1 });
    expect(await p.results({ Records: [{ messageId: results!.id, body: results!.body }] })).toEqual({
      batchItemFailures: [],
    });
    const merchant = await statusOf(p, image_id);
    expect(merchant.stage).toBe('merchant');
    expect(merchant.receipts[0]).toMatchObject({ place_id: receipt!.truth.place_id, compacted: false });

    await p.pumpStream();
    const messages = await p.adapters.compactionQueue.receive({ maxMessages: 10 });
    expect(messages).toHaveLength(2);
    expect(await p.compaction({ Records: messages.map((m) => ({ messageId: m.id, body: m.body })) })).toEqual({
      batchItemFailures: [],
    });
    expect(await statusOf(p, image_id)).toMatchObject({ stage: 'compacted', receipts: [{ compacted: true }] });
  });

  it('reaches compacted after the local runtime drains', async () => {
    const ocr = new TaggedOcr();
    const [receipt] = demoReceipts();
    const bytes = ocr.register('drain', specLines(receipt!.spec));
    const runtime = await LocalRuntime.open({ logger: silentLogger, ocr, catalog: syntheticCatalog() });
    try {
      const res = await runtime.upload(httpEvent({ headers: { 'content-type': 'image/png' }, body: bytes }));
      const { image_id } = bodyOf<SubmitBody>(res);
      await runtime.drain();
      const status = bodyOf(
        await runtime.upload(httpEvent({ method: 'GET', path: '/upload-status', query: { image_id } })),
      );
      expect(status).toMatchObject({
        stage: 'compacted',
        job_status: 'COMPLETED',
        receipts: [{ place_id: receipt!.truth.place_id, compacted: true }],
      });
    } finally {
      await runtime.stop();
    }
  });
});

describe('upload API: bearer keys', () => {
  const KEY = 'rf_live_8c1d2e3f4a5b6c7d';
  let p: LocalPipeline;

  let uploads = 0;
  // Another picture each time: the same bytes twice are one image (a duplicate upload).
  const upload = (bearer?: string, headers: Record<string, string> = {}) =>
    p.upload(
      httpEvent({
        headers: { 'content-type': 'image/png', ...headers },
        body: pngHeader(10 + ++uploads, 10),
        ...(bearer === undefined ? {} : { bearer }),
      }),
    );

  it('without a bearer token: 401 and nothing written downstream', async () => {
    p = await localPipeline({ apiKeys: [KEY] });
    const res = await upload();
    expect(res.statusCode).toBe(401);
    expect(bodyOf<ErrorBody>(res).error.code).toBe('UNAUTHORIZED');
    expect(await downstream(p)).toEqual({ jobs: 0, objects: 0, messages: 0 });
  });

  it('with a wrong key (or another scheme): 401 and nothing written, for uploads, presigns and status', async () => {
    p = await localPipeline({ apiKeys: [KEY] });
    expect((await upload('wrong')).statusCode).toBe(401);
    expect((await upload(`${KEY}x`)).statusCode).toBe(401);
    expect((await upload(undefined, { authorization: `Basic ${KEY}` })).statusCode).toBe(401);
    expect((await upload(undefined, { authorization: KEY })).statusCode).toBe(401);
    const presign = await p.upload(
      httpEvent({
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ filename: 'a.png', content_type: 'image/png' }),
        bearer: 'wrong',
      }),
    );
    expect(presign.statusCode).toBe(401);
    expect(
      (await p.upload(httpEvent({ method: 'GET', path: '/upload-status', query: { image_id: 'x' } }))).statusCode,
    ).toBe(401);
    expect(await downstream(p)).toEqual({ jobs: 0, objects: 0, messages: 0 });
    expect(await p.adapters.jobs.listJobsByStatus('PENDING')).toEqual([]);
  });

  it('with the right key: 201 (any case of the scheme), and each of several keys works', async () => {
    p = await localPipeline({ apiKeys: ['another-key-0001', KEY] });
    expect((await upload(KEY)).statusCode).toBe(201);
    expect((await upload(undefined, { Authorization: `bearer ${KEY}` })).statusCode).toBe(201);
    expect((await upload('another-key-0001')).statusCode).toBe(201);
    expect(await downstream(p)).toEqual({ jobs: 3, objects: 3, messages: 3 });
  });
});
