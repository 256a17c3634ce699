import { describe, expect, it } from 'vitest';
import {
  ContentTypeMismatchError,
  InvalidUploadError,
  MAX_PRESIGNED_UPLOAD_BYTES,
  NotFoundError,
  ValidationError,
  confirmUpload,
  submitJob,
} from '@receiptflow/core';
import { heifContainer } from '@receiptflow/core/testing';
import { PNG_BYTES, distinctPng, pipeline } from './harness.js';

/** SOI, a 1x1 baseline frame header, EOI: a JPEG as far as header inspection goes. */
const JPEG_BYTES = new Uint8Array([
  0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, 0, 1, 0, 1, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xff, 0xd9,
]);

describe('submitJob / confirmUpload with local adapters', () => {
  // docs/lessons.md#lesson-22-same-filename-overwritten-upload
  it('two uploads with the same filename produce two objects and two jobs', async () => {
    const p = pipeline();
    // Different bytes (equal bytes are a duplicate upload, answered with the first image).
    const a = await submitJob(p.submitDeps, {
      filename: 'receipt.png',
      contentType: 'image/png',
      body: distinctPng(1),
    });
    const b = await submitJob(p.submitDeps, {
      filename: 'receipt.png',
      contentType: 'image/png',
      body: distinctPng(2),
    });
    expect(a.s3_key).not.toBe(b.s3_key);
    expect(a.s3_key).toBe(`raw/${a.image_id}/receipt.png`);
    expect(await p.raw.list('raw/')).toEqual([a.s3_key, b.s3_key].sort());
    expect(await p.jobs.getJob(a.job_id)).toMatchObject({ status: 'PENDING', s3_key: a.s3_key });
    expect(await p.jobs.getJob(b.job_id)).toMatchObject({ status: 'PENDING', s3_key: b.s3_key });
    expect((await p.ocrQueue.depth()).visible).toBe(2);
  });

  it('makes unsafe filenames safe key segments', async () => {
    const p = pipeline();
    const r = await submitJob(p.submitDeps, {
      filename: '../../etc/päss wd?.png',
      contentType: 'image/png',
      body: PNG_BYTES,
    });
    expect(r.s3_key).toMatch(new RegExp(`^raw/${r.image_id}/[A-Za-z0-9._-]+$`));
    expect(r.s3_key.endsWith('.png')).toBe(true);
    expect((await p.jobs.getImage(r.image_id))?.filename).toBe('../../etc/päss wd?.png');
  });

  // docs/lessons.md#lesson-19-non-string-s3-metadata
  it('stores non-string metadata stringified', async () => {
    const p = pipeline();
    const r = await submitJob(p.submitDeps, { filename: 'a.png', contentType: 'image/png', body: PNG_BYTES });
    const head = await p.raw.head(r.s3_key);
    expect(head?.metadata.size_bytes).toBe(String(PNG_BYTES.length));
    expect(Object.values(head?.metadata ?? {}).every((v) => typeof v === 'string')).toBe(true);
  });

  it('refuses a wrong content type or an empty body, naming the field', async () => {
    const p = pipeline();
    await expect(
      submitJob(p.submitDeps, { filename: 'a.gif', contentType: 'image/gif', body: PNG_BYTES }),
    ).rejects.toThrow(/contentType "image\/gif"/);
    await expect(
      submitJob(p.submitDeps, { filename: 'a.png', contentType: 'image/png', body: new Uint8Array() }),
    ).rejects.toThrow(ValidationError);
    await expect(submitJob(p.submitDeps, { filename: ' ', contentType: 'image/png', body: PNG_BYTES })).rejects.toThrow(
      /filename/,
    );
    expect(await p.raw.list('raw/')).toEqual([]);
  });

  it('the sniffed type decides: bytes of another format than declared are refused naming both, nothing stored or queued', async () => {
    const p = pipeline();
    const heic = heifContainer({ width: 640, height: 480 });
    for (const [declared, body, actual] of [
      ['image/jpeg', PNG_BYTES, 'image/png'],
      ['image/jpeg', heic, 'image/heic'],
      ['image/heic', JPEG_BYTES, 'image/jpeg'],
    ] as const) {
      const refusal = submitJob(p.submitDeps, { filename: 'r.jpg', contentType: declared, body });
      await expect(refusal).rejects.toThrow(ContentTypeMismatchError);
      await expect(refusal).rejects.toThrow(`content-type says ${declared} but the body is ${actual}`);
    }
    await expect(
      submitJob(p.submitDeps, {
        filename: 'r.png',
        contentType: 'image/png',
        body: new TextEncoder().encode('%PDF-1.7 a receipt from a shop'),
      }),
    ).rejects.toThrow(/PDF is truncated/);
    expect(await p.raw.list('raw/')).toEqual([]);
    expect((await p.ocrQueue.depth()).visible).toBe(0);
  });

  it('accepts a HEIC direct upload as image/heic and refuses a HEIC bomb before storing it', async () => {
    const p = pipeline();
    const heic = heifContainer({ width: 4032, height: 3024, rotation: 270 });
    const r = await submitJob(p.submitDeps, { filename: 'IMG_0001.HEIC', contentType: 'image/heic', body: heic });
    expect(await p.jobs.getImage(r.image_id)).toMatchObject({ content_type: 'image/heic', upload_state: 'UPLOADED' });
    const bomb = heifContainer({ width: 100_000, height: 100_000 });
    await expect(
      submitJob(p.submitDeps, { filename: 'bomb.heic', contentType: 'image/heic', body: bomb }),
    ).rejects.toThrow(/above the 50 MP limit/);
    expect(await p.raw.list('raw/')).toEqual([r.s3_key]);
  });

  it('presigned flow: URL first, nothing enqueued until confirm, confirm is idempotent', async () => {
    const p = pipeline();
    const r = await submitJob(p.submitDeps, { filename: 'big.png', contentType: 'image/png' });
    expect(r.upload).toMatchObject({
      method: 'PUT',
      max_bytes: MAX_PRESIGNED_UPLOAD_BYTES,
      headers: { 'content-type': 'image/png' },
    });
    expect((await p.ocrQueue.depth()).visible).toBe(0);
    await expect(confirmUpload(p.submitDeps, { image_id: r.image_id })).rejects.toThrow(NotFoundError);
    await p.raw.put(r.s3_key, PNG_BYTES, { contentType: 'image/png' });
    expect(await confirmUpload(p.submitDeps, { image_id: r.image_id })).toEqual({
      job_id: r.job_id,
      image_id: r.image_id,
      enqueued: true,
    });
    expect(await confirmUpload(p.submitDeps, { image_id: r.image_id })).toMatchObject({ enqueued: false });
    expect((await p.ocrQueue.depth()).visible).toBe(1);
    expect(await p.jobs.getImage(r.image_id)).toMatchObject({ upload_state: 'UPLOADED', size_bytes: PNG_BYTES.length });
  });

  it('confirm refuses bad bytes before OCR, deletes them, and hands out a fresh upload; good bytes then go through', async () => {
    const p = pipeline();
    const r = await submitJob(p.submitDeps, { filename: 'scan.png', contentType: 'image/png', maxBytes: 4096 });
    const bad: [Uint8Array, RegExp][] = [
      [
        new TextEncoder().encode('<html>definitely not an image</html>'),
        /not a JPEG, PNG, WebP, TIFF, HEIC\/HEIF or PDF file/,
      ],
      [JPEG_BYTES, /declared image\/png but the bytes are image\/jpeg/],
    ];
    let upload = r.upload!;
    for (const [bytes, reason] of bad) {
      await p.raw.acceptPresignedPut(upload.url, bytes, 'image/png');
      const refused = await confirmUpload(p.submitDeps, { image_id: r.image_id }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(InvalidUploadError);
      expect((refused as InvalidUploadError).message).toMatch(reason);
      expect(await p.raw.head(r.s3_key)).toBeNull();
      expect((await p.ocrQueue.depth()).visible).toBe(0);
      expect(await p.jobs.getJob(r.job_id)).toMatchObject({ status: 'PENDING', failure_reason: null });
      // The fresh upload is a new URL with the same bounds; the used one stays used.
      const fresh = (refused as InvalidUploadError).upload;
      expect(fresh).toMatchObject({ method: 'PUT', max_bytes: MAX_PRESIGNED_UPLOAD_BYTES });
      expect(fresh.url).not.toBe(upload.url);
      await expect(p.raw.acceptPresignedPut(upload.url, PNG_BYTES, 'image/png')).rejects.toMatchObject({
        code: 'PRESIGNED_URL_USED',
      });
      upload = fresh;
    }
    await p.raw.acceptPresignedPut(upload.url, PNG_BYTES, 'image/png');
    expect(await confirmUpload(p.submitDeps, { image_id: r.image_id })).toMatchObject({ enqueued: true });
    expect((await p.ocrQueue.depth()).visible).toBe(1);
  });

  it('presigned HEIC: accepted as image/heic; a HEIC bomb or a HEIC declared as JPEG is refused at confirm', async () => {
    const p = pipeline();
    const heic = await submitJob(p.submitDeps, { filename: 'IMG_0002.HEIC', contentType: 'image/heic' });
    await p.raw.acceptPresignedPut(heic.upload!.url, heifContainer({ width: 3024, height: 4032 }), 'image/heic');
    expect(await confirmUpload(p.submitDeps, { image_id: heic.image_id })).toMatchObject({ enqueued: true });

    const bomb = await submitJob(p.submitDeps, { filename: 'bomb.heic', contentType: 'image/heic' });
    await p.raw.acceptPresignedPut(bomb.upload!.url, heifContainer({ width: 100_000, height: 100_000 }), 'image/heic');
    await expect(confirmUpload(p.submitDeps, { image_id: bomb.image_id })).rejects.toThrow(/above the 50 MP limit/);

    const lie = await submitJob(p.submitDeps, { filename: 'r.jpg', contentType: 'image/jpeg' });
    await p.raw.acceptPresignedPut(lie.upload!.url, heifContainer({ width: 64, height: 64 }), 'image/jpeg');
    await expect(confirmUpload(p.submitDeps, { image_id: lie.image_id })).rejects.toThrow(
      /declared image\/jpeg but the bytes are image\/heic/,
    );
    expect((await p.ocrQueue.depth()).visible).toBe(1);
  });

  it('confirm of an unknown image is NotFound', async () => {
    const p = pipeline();
    await expect(confirmUpload(p.submitDeps, { image_id: 'nope' })).rejects.toThrow(NotFoundError);
  });
});
