import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  demoReceipts,
  renderBlankPage,
  renderReceipt,
  syntheticCatalog,
  type DemoReceipt,
} from '@receiptflow/adapters-local/synthetic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PresignedUpload } from '@receiptflow/core';
import { UsageError } from '@receiptflow/core';
import { startServe, type ServeHandle } from '../src/cli/commands/serve.js';

// Real tesseract OCR (~1 s per receipt): this file submits four receipts in all.

interface Status {
  image_id: string;
  stage: string;
  failed_stage: string | null;
  job_status: string | null;
  failure_reason: string | null;
  receipts: { place_id: string | null; source: string | null; compacted: boolean }[];
}

const RECEIPTS = demoReceipts();
let work: string;
let catalogPath: string;
const quiet = () => undefined;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'receipts-serve-'));
  catalogPath = join(work, 'catalog.json');
  await writeFile(catalogPath, JSON.stringify(syntheticCatalog()));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function serveArgs(data: string, ...extra: string[]): string[] {
  return ['--port', '0', '--data', join(work, data), '--places', catalogPath, '--log-format', 'json', ...extra];
}

async function api(
  base: string,
  method: string,
  path: string,
  options: { body?: Uint8Array | string; contentType?: string; token?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (options.contentType) headers['content-type'] = options.contentType;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const res = await fetch(new URL(path, base), {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
}

async function submitDirect(base: string, receipt: DemoReceipt, token?: string): Promise<string> {
  const { png } = await renderReceipt(receipt.spec);
  const res = await api(base, 'POST', `/upload-receipt?filename=${receipt.id}.png`, {
    body: png,
    contentType: 'image/png',
    ...(token ? { token } : {}),
  });
  expect(res.status).toBe(201);
  return String(res.body.image_id);
}

/** Polls GET /upload-status until the upload is compacted or failed (or 60 s pass). */
async function waitUntilDone(base: string, imageId: string, token?: string): Promise<Status> {
  const until = Date.now() + 60_000;
  for (;;) {
    const res = await api(base, 'GET', `/upload-status?image_id=${imageId}`, token ? { token } : {});
    expect(res.status).toBe(200);
    const status = res.body as unknown as Status;
    if (status.stage === 'compacted' || status.job_status === 'FAILED' || Date.now() > until) return status;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('receipts serve (local adapters, real tesseract)', () => {
  let serve: ServeHandle;
  beforeAll(async () => {
    serve = await startServe(serveArgs('main'), quiet);
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('two receipts submitted over HTTP are resolved and compacted', { timeout: 90_000 }, async () => {
    expect(serve.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ids = [await submitDirect(serve.url, RECEIPTS[0]!), await submitDirect(serve.url, RECEIPTS[1]!)];
    const statuses = await Promise.all(ids.map((id) => waitUntilDone(serve.url, id)));
    for (const [i, status] of statuses.entries()) {
      expect(status, JSON.stringify(status)).toMatchObject({ stage: 'compacted', job_status: 'COMPLETED' });
      expect(status.receipts).toEqual([
        expect.objectContaining({ place_id: RECEIPTS[i]!.truth.place_id, compacted: true }),
      ]);
    }
  });

  it(
    'the presigned flow: signed PUT, bytes checked at /upload-complete, bad bytes replaced, replays refused',
    { timeout: 90_000 },
    async () => {
      const receipt = RECEIPTS[4]!; // the same merchant as receipt 0, visited again
      const { png } = await renderReceipt(receipt.spec);
      const created = await api(serve.url, 'POST', '/upload-receipt', {
        body: JSON.stringify({ filename: 'big scan.png', content_type: 'image/png' }),
        contentType: 'application/json',
      });
      expect(created.status).toBe(201);
      const upload = created.body.upload as PresignedUpload;
      expect(upload).toMatchObject({ method: 'PUT', headers: { 'content-type': 'image/png' } });
      expect(upload.url.startsWith(`${serve.url}/uploads/`)).toBe(true);
      const imageId = String(created.body.image_id);
      expect((await api(serve.url, 'GET', `/upload-status?image_id=${imageId}`)).body.stage).toBe('awaiting_upload');
      const put = (url: string, body: Uint8Array | string, type = 'image/png') =>
        fetch(url, { method: 'PUT', body, headers: { 'content-type': type } });
      const complete = () =>
        api(serve.url, 'POST', '/upload-complete', {
          body: JSON.stringify({ image_id: imageId }),
          contentType: 'application/json',
        });

      const wrongType = await put(upload.url, png, 'image/jpeg');
      expect(wrongType.status).toBe(403);
      expect(((await wrongType.json()) as { error: { code: string } }).error.code).toBe('PRESIGNED_URL_INVALID');
      const forged = await put(upload.url.replace(/signature=[0-9a-f]{4}/, 'signature=0000'), png);
      expect(forged.status).toBe(403);

      // A non-image lands, but never reaches OCR: /upload-complete refuses it and hands out a new URL.
      expect((await put(upload.url, 'this is a text file, not a receipt')).status).toBe(200);
      const refused = await complete();
      expect(refused.status).toBe(422);
      expect(refused.body.error).toMatchObject({ code: 'INVALID_UPLOAD' });
      expect((await api(serve.url, 'GET', `/upload-status?image_id=${imageId}`)).body).toMatchObject({
        stage: 'awaiting_upload',
        job_status: 'PENDING',
      });
      const replay = await put(upload.url, png);
      expect(replay.status).toBe(409);
      expect(((await replay.json()) as { error: { code: string } }).error.code).toBe('PRESIGNED_URL_USED');

      const fresh = refused.body.upload as PresignedUpload;
      expect((await put(fresh.url, png)).status).toBe(200);
      expect((await complete()).status).toBe(200);
      const status = await waitUntilDone(serve.url, imageId);
      expect(status).toMatchObject({
        stage: 'compacted',
        receipts: [{ place_id: receipt.truth.place_id, compacted: true }],
      });
      // After processing: no PUT can replace the image its merchant was resolved from.
      expect((await put(fresh.url, renderBlankPage(100, 100))).status).toBe(409);
    },
  );

  it(
    'a blank page (OCR finds no text) ends FAILED with "no text found", at stage failed after ocr_done',
    { timeout: 60_000 },
    async () => {
      const res = await api(serve.url, 'POST', '/upload-receipt?filename=blank.png', {
        body: renderBlankPage(640, 900),
        contentType: 'image/png',
      });
      expect(res.status).toBe(201);
      const status = await waitUntilDone(serve.url, String(res.body.image_id));
      expect(status).toMatchObject({
        stage: 'failed',
        failed_stage: 'ocr_done',
        job_status: 'FAILED',
        failure_reason: 'no text found',
        receipts: [],
      });
    },
  );

  it('answers unknown routes with 404 and oversized direct uploads with 413', async () => {
    expect((await api(serve.url, 'GET', '/nope')).status).toBe(404);
    const big = new Uint8Array(6 * 1024 * 1024);
    const res = await api(serve.url, 'POST', '/upload-receipt', { body: big, contentType: 'image/png' });
    expect(res.status).toBe(413);
    expect((res.body.error as { message: string }).message).toContain('presigned');
  });
});

describe('receipts serve: tokens', () => {
  it('refuses to bind a non-loopback host without --token (UsageError, nothing bound)', async () => {
    const attempt = startServe(['--host', '0.0.0.0', ...serveArgs('open')], quiet);
    await expect(attempt).rejects.toBeInstanceOf(UsageError);
    await expect(attempt).rejects.toThrow(/--token is required when binding 0\.0\.0\.0/);
  });

  it('enforces --token when given', { timeout: 30_000 }, async () => {
    const serve = await startServe(serveArgs('token', '--token', 'tok-123'), quiet);
    try {
      const presign = {
        body: JSON.stringify({ filename: 'a.png', content_type: 'image/png' }),
        contentType: 'application/json',
      };
      expect((await api(serve.url, 'POST', '/upload-receipt', presign)).status).toBe(401);
      expect((await api(serve.url, 'POST', '/upload-receipt', { ...presign, token: 'tok-1234' })).status).toBe(401);
      const ok = await api(serve.url, 'POST', '/upload-receipt', { ...presign, token: 'tok-123' });
      expect(ok.status).toBe(201);
      expect((await api(serve.url, 'GET', `/upload-status?image_id=${String(ok.body.image_id)}`)).status).toBe(401);
      expect(
        (await api(serve.url, 'GET', `/upload-status?image_id=${String(ok.body.image_id)}`, { token: 'tok-123' })).body
          .stage,
      ).toBe('awaiting_upload');
    } finally {
      await serve.stop();
    }
  });
});

describe('receipts serve: owners', () => {
  it(
    "--token maps to --owner's key: the owner's image redirects to a download the server serves; another owner's data gets 404",
    { timeout: 90_000 },
    async () => {
      const { png } = await renderReceipt(RECEIPTS[1]!.spec);
      const alice = await startServe(serveArgs('owners', '--token', 'tok-alice', '--owner', 'alice'), quiet);
      let imageUrl: string;
      let imageId: string;
      try {
        const up = await api(alice.url, 'POST', '/upload-receipt', {
          body: png,
          contentType: 'image/png',
          token: 'tok-alice',
        });
        expect(up.status).toBe(201);
        imageId = String(up.body.image_id);
        const redirect = await fetch(new URL(`/images/${imageId}`, alice.url), {
          headers: { authorization: 'Bearer tok-alice' },
          redirect: 'manual',
        });
        expect(redirect.status).toBe(302);
        imageUrl = redirect.headers.get('location')!;
        // The download is the URL's own credential (no bearer), as an S3 presigned GET is.
        const image = await fetch(imageUrl);
        expect(image.status).toBe(200);
        expect(image.headers.get('content-type')).toBe('image/png');
        expect(new Uint8Array(await image.arrayBuffer())).toEqual(png);
        expect((await fetch(imageUrl.replace(/signature=[0-9a-f]{4}/, 'signature=0000'))).status).toBe(403);
      } finally {
        await alice.stop();
      }
      // The same data folder served for bob: alice's image does not exist for him.
      const bob = await startServe(serveArgs('owners', '--token', 'tok-bob', '--owner', 'bob'), quiet);
      try {
        expect((await api(bob.url, 'GET', `/images/${imageId}`, { token: 'tok-bob' })).status).toBe(404);
        expect((await api(bob.url, 'GET', `/upload-status?image_id=${imageId}`, { token: 'tok-bob' })).status).toBe(
          404,
        );
      } finally {
        await bob.stop();
      }
    },
  );
});

describe('receipts serve: restart', () => {
  it(
    'a presigned URL issued before a restart works after it, and one used before stays used',
    { timeout: 90_000 },
    async () => {
      const first = await startServe(serveArgs('restart-upload'), quiet);
      const presign = () =>
        api(first.url, 'POST', '/upload-receipt', {
          body: JSON.stringify({ filename: 'r.png', content_type: 'image/png' }),
          contentType: 'application/json',
        });
      const waiting = await presign();
      const used = await presign();
      const { png } = await renderReceipt(RECEIPTS[3]!.spec);
      const usedUrl = (used.body.upload as PresignedUpload).url;
      try {
        expect(
          (await fetch(usedUrl, { method: 'PUT', body: png, headers: { 'content-type': 'image/png' } })).status,
        ).toBe(200);
      } finally {
        await first.stop();
      }
      const second = await startServe(serveArgs('restart-upload'), quiet);
      // Port 0 gives the restarted serve another port; the signature does not cover the host.
      const moved = (url: string) => second.url + new URL(url).pathname + new URL(url).search;
      try {
        const put = await fetch(moved((waiting.body.upload as PresignedUpload).url), {
          method: 'PUT',
          body: png,
          headers: { 'content-type': 'image/png' },
        });
        expect(put.status).toBe(200);
        const replay = await fetch(moved(usedUrl), {
          method: 'PUT',
          body: png,
          headers: { 'content-type': 'image/png' },
        });
        expect(replay.status).toBe(409);
        const imageId = String(waiting.body.image_id);
        expect(
          (
            await api(second.url, 'POST', '/upload-complete', {
              body: JSON.stringify({ image_id: imageId }),
              contentType: 'application/json',
            })
          ).status,
        ).toBe(200);
        expect(await waitUntilDone(second.url, imageId)).toMatchObject({
          stage: 'compacted',
          receipts: [{ place_id: RECEIPTS[3]!.truth.place_id }],
        });
      } finally {
        await second.stop();
      }
    },
  );

  it(
    'a serve stopped before OCR finishes loses no job: the restarted serve completes it',
    { timeout: 90_000 },
    async () => {
      const first = await startServe(serveArgs('restart'), quiet);
      let imageId: string;
      try {
        imageId = await submitDirect(first.url, RECEIPTS[2]!);
        // Work is left: the stop below comes before the pipeline finished this upload.
        expect((await api(first.url, 'GET', `/upload-status?image_id=${imageId}`)).body.stage).toBe('uploaded');
      } finally {
        await first.stop();
      }
      const second = await startServe(serveArgs('restart'), quiet);
      try {
        const status = await waitUntilDone(second.url, imageId);
        expect(status).toMatchObject({
          stage: 'compacted',
          job_status: 'COMPLETED',
          receipts: [{ place_id: RECEIPTS[2]!.truth.place_id }],
        });
      } finally {
        await second.stop();
      }
    },
  );
});
