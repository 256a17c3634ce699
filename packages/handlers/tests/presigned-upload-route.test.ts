import { submitJob } from '@receiptflow/core';
import { describe, expect, it } from 'vitest';
import { presignedUploadRoute } from '../src/local/presigned-upload-route.js';
import { pngHeader } from './support/fixtures.js';
import { localPipeline } from './support/local-pipeline.js';

describe("serve's PUT /uploads route", () => {
  it('refuses with UPLOAD_CLOSED (409) once the upload was confirmed, before reading the body, even with an unused URL', async () => {
    const p = await localPipeline();
    const a = p.adapters;
    const deps = { jobs: a.jobs, images: a.rawImages, ocrQueue: a.ocrQueue, clock: a.clock, ids: a.ids };
    const created = await submitJob(deps, { filename: 'r.png', contentType: 'image/png' });
    const route = presignedUploadRoute(a.rawImages, a.jobs);

    const ticket = await route(created.upload!.url, 'image/png', null);
    await ticket.commit(pngHeader(10, 10));
    await a.jobs.markImageUploaded(created.image_id, 100); // what /upload-complete does once the bytes pass

    // A second, never-used URL for the same key: still refused, the image is being processed.
    const another = await a.rawImages.presignUpload(created.s3_key, {
      contentType: 'image/png',
      maxBytes: 1000,
      expiresInSeconds: 60,
    });
    await expect(route(another.url, 'image/png', 10)).rejects.toMatchObject({ code: 'UPLOAD_CLOSED' });
    expect(Array.from((await a.rawImages.get(created.s3_key)).body)).toEqual(Array.from(pngHeader(10, 10)));
  });

  it('a ticket admitted before the upload was confirmed is refused when its body arrives after', async () => {
    const p = await localPipeline();
    const a = p.adapters;
    const deps = { jobs: a.jobs, images: a.rawImages, ocrQueue: a.ocrQueue, clock: a.clock, ids: a.ids };
    const created = await submitJob(deps, { filename: 'r.png', contentType: 'image/png' });
    const route = presignedUploadRoute(a.rawImages, a.jobs);
    const first = await route(created.upload!.url, 'image/png', null);
    await first.commit(pngHeader(10, 10));
    const late = await a.rawImages.presignUpload(created.s3_key, {
      contentType: 'image/png',
      maxBytes: 1000,
      expiresInSeconds: 60,
    });
    const ticket = await route(late.url, 'image/png', null);
    await a.jobs.markImageUploaded(created.image_id, 100);
    await expect(ticket.commit(pngHeader(20, 20))).rejects.toMatchObject({ code: 'UPLOAD_CLOSED' });
  });

  it('an unknown image (URL for a key no upload waits on) is NOT_FOUND', async () => {
    const p = await localPipeline();
    const upload = await p.adapters.rawImages.presignUpload('raw/nope/x.png', {
      contentType: 'image/png',
      maxBytes: 10,
      expiresInSeconds: 60,
    });
    await expect(
      presignedUploadRoute(p.adapters.rawImages, p.adapters.jobs)(upload.url, 'image/png', 5),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
