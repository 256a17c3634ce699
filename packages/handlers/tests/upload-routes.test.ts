import {
  InvalidUploadError,
  NotFoundError,
  PoisonMessageError,
  type PresignedUpload,
  type SubmitJobDeps,
} from '@receiptflow/core';
import { describe, expect, it } from 'vitest';
import { createUploadReceiptHandler } from '../src/handlers/upload-receipt-handler.js';
import { createUploadStatusHandler, type UploadStatusDeps } from '../src/handlers/upload-status-handler.js';
import { uploadErrorResult } from '../src/http/upload-request.js';
import { bodyOf, collectingLogger, httpEvent, pngHeader } from './support/fixtures.js';

interface ErrorBody {
  error: { code: string; message: string };
}

/** Deps whose every use throws: a route that answers without touching them proves it did not. */
function untouchableDeps<T extends object>(): T {
  return new Proxy({} as T, {
    get: (_, name) => {
      throw new Error(`the route used deps.${String(name)}`);
    },
  });
}
const untouchable = untouchableDeps<SubmitJobDeps>();

describe('upload routes, each on its own', () => {
  it('GET /upload-status without image_id → 400 naming the parameter, no store read', async () => {
    const res = await createUploadStatusHandler(untouchableDeps<UploadStatusDeps>())(
      httpEvent({ method: 'GET', path: '/upload-status' }),
      'default',
    );
    expect(res.statusCode).toBe(400);
    expect(bodyOf<ErrorBody>(res).error).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'query parameter image_id is required',
    });
  });

  it('POST /upload-receipt with an unaccepted media type → 415 before any store is touched', async () => {
    const handler = createUploadReceiptHandler({ submit: untouchable, logger: collectingLogger() });
    const res = await handler(httpEvent({ headers: { 'content-type': 'text/plain' }, body: 'hello' }), 'default');
    expect(res.statusCode).toBe(415);
    expect(bodyOf<ErrorBody>(res).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it("a route handler throws what its use case throws; mapping it is the API's job", async () => {
    let n = 0;
    const failing = {
      ids: { newId: () => `id-${++n}` },
      clock: { now: () => Date.parse('2026-01-01T00:00:00Z') },
      images: { bucket: 'raw', put: () => Promise.reject(new Error('disk on fire')) },
      // The bytes are new: the claim on them is this upload's own.
      jobs: { claimImageHash: (claim: unknown) => Promise.resolve(claim) },
    } as unknown as SubmitJobDeps;
    const handler = createUploadReceiptHandler({ submit: failing, logger: collectingLogger() });
    await expect(
      handler(httpEvent({ headers: { 'content-type': 'image/png' }, body: pngHeader(10, 10) }), 'default'),
    ).rejects.toThrow('disk on fire');
  });
});

describe('uploadErrorResult', () => {
  const upload: PresignedUpload = {
    method: 'PUT',
    url: 'local://uploads/raw/x',
    fields: {},
    headers: {},
    max_bytes: 10,
    expires_at: '2030-01-01T00:00:00.000Z',
  };

  it('refused upload bytes → 422 carrying the fresh upload for the same image', () => {
    const res = uploadErrorResult(new InvalidUploadError('img-1', 'not an image', upload), collectingLogger());
    expect(res.statusCode).toBe(422);
    expect(bodyOf(res)).toMatchObject({ error: { code: 'INVALID_UPLOAD' }, image_id: 'img-1', upload });
  });

  it("a client's mistake keeps its code: NotFoundError → 404", () => {
    const res = uploadErrorResult(new NotFoundError('image', 'img-9'), collectingLogger());
    expect(res.statusCode).toBe(404);
    expect(bodyOf<ErrorBody>(res).error).toEqual({ code: 'NOT_FOUND', message: 'image not found: img-9' });
  });

  it('anything else is logged and answered 503 (retryable) or 500 (not), without its cause', () => {
    const logger = collectingLogger();
    const transient = uploadErrorResult(new Error('socket hang up at /internal/host'), logger);
    expect(transient.statusCode).toBe(503);
    expect(transient.body).not.toContain('/internal/host');
    expect(uploadErrorResult(new PoisonMessageError('never passes'), logger).statusCode).toBe(500);
    expect(logger.entries.filter((e) => e.level === 'error').map((e) => e.fields.error)).toEqual([
      'socket hang up at /internal/host',
      'never passes',
    ]);
  });
});
