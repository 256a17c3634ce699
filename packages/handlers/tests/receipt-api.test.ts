import { demoReceipts } from '@receiptflow/adapters-local/synthetic';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HttpApiEvent, HttpApiResult } from '../src/http/api-gateway.js';
import { bodyOf, httpEvent, specLines } from './support/fixtures.js';
import { localPipeline, type LocalPipeline } from './support/local-pipeline.js';

interface ErrorBody {
  error: { code: string; message: string };
}

const ALICE = 'k-alice-0001';
const BOB = 'k-bob-0002';

/** One request to the whole API, as the local server (and the API Lambdas) would pass it. */
function call(
  p: LocalPipeline,
  method: string,
  path: string,
  options: { bearer?: string; query?: Record<string, string>; body?: string; headers?: Record<string, string> } = {},
): Promise<HttpApiResult> {
  return p.api(
    httpEvent({
      method,
      path,
      ...(options.bearer === undefined ? {} : { bearer: options.bearer }),
      ...(options.query ? { query: options.query } : {}),
      ...(options.body === undefined ? {} : { body: options.body }),
      ...(options.headers ? { headers: options.headers } : {}),
    }),
  );
}

async function downloaded(p: LocalPipeline, url: string): Promise<number[]> {
  const bytes: number[] = [];
  for await (const chunk of (await p.adapters.rawImages.openPresignedDownload(url)).body) bytes.push(...chunk);
  return bytes;
}

describe('the read API, per owner', () => {
  let p: LocalPipeline;
  const images: Record<string, { id: string; bytes: Uint8Array }> = {};

  beforeAll(async () => {
    p = await localPipeline({
      apiKeys: [
        { owner: 'alice', key: ALICE },
        { owner: 'bob', key: BOB },
      ],
    });
    const receipts = demoReceipts();
    // alice: receipts 0 and 1; bob: a receipt printing the same lines as alice's first.
    const uploads: [string, string, number][] = [
      ['a0', ALICE, 0],
      ['a1', ALICE, 1],
      ['b0', BOB, 0],
    ];
    for (const [name, key, n] of uploads) {
      const bytes = p.ocr.register(name, specLines(receipts[n]!.spec));
      const res = await p.api(
        httpEvent({
          bearer: key,
          headers: { 'content-type': 'image/png' },
          body: bytes,
          query: { filename: `${name}.png` },
        }),
      );
      expect(res.statusCode, res.body).toBe(201);
      images[name] = { id: bodyOf<{ image_id: string }>(res).image_id, bytes };
    }
    await p.drain();
  }, 120_000);

  it("GET /receipts/{image_id}/{receipt_id} shows the owner's receipt; another owner gets 404 as for an unknown id", async () => {
    const a0 = images.a0!.id;
    const res = await call(p, 'GET', `/receipts/${a0}/1`, { bearer: ALICE });
    expect(res.statusCode, res.body).toBe(200);
    const view = bodyOf<{ receipt: { image_id: string }; lines: { text: string }[]; stage: string; image_url: string }>(
      res,
    );
    expect(view.receipt.image_id).toBe(a0);
    expect(view.lines.map((l) => l.text)).toEqual(specLines(demoReceipts()[0]!.spec));
    expect(view.stage).toBe('compacted');
    expect(await downloaded(p, view.image_url)).toEqual(Array.from(images.a0!.bytes));

    const foreign = await call(p, 'GET', `/receipts/${a0}/1`, { bearer: BOB });
    const unknown = await call(p, 'GET', `/receipts/no-such-image/1`, { bearer: BOB });
    expect([foreign.statusCode, unknown.statusCode]).toEqual([404, 404]);
    expect(bodyOf<ErrorBody>(foreign).error.code).toBe('NOT_FOUND');
    expect(bodyOf<ErrorBody>(foreign).error.message.replace(a0, 'ID')).toBe(
      bodyOf<ErrorBody>(unknown).error.message.replace('no-such-image', 'ID'),
    );
  });

  it('GET /images/{image_id} redirects the owner to a presigned GET of the upload; others get 404', async () => {
    const res = await call(p, 'GET', `/images/${images.b0!.id}`, { bearer: BOB });
    expect(res.statusCode).toBe(302);
    expect(await downloaded(p, res.headers!.location!)).toEqual(Array.from(images.b0!.bytes));
    expect((await call(p, 'GET', `/images/${images.b0!.id}`, { bearer: ALICE })).statusCode).toBe(404);
  });

  it("GET /upload-status and POST /upload-complete answer 404 for another owner's image", async () => {
    const a1 = images.a1!.id;
    expect((await call(p, 'GET', '/upload-status', { bearer: ALICE, query: { image_id: a1 } })).statusCode).toBe(200);
    const status = await call(p, 'GET', '/upload-status', { bearer: BOB, query: { image_id: a1 } });
    expect(status.statusCode).toBe(404);
    const complete = await call(p, 'POST', '/upload-complete', {
      bearer: BOB,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ image_id: a1 }),
    });
    expect(complete.statusCode).toBe(404);
    expect(bodyOf<ErrorBody>(complete).error.code).toBe('NOT_FOUND');
  });

  it("GET …/similar lists the owner's own receipts only, never itself nor bob's identical copy", async () => {
    const res = await call(p, 'GET', `/receipts/${images.a0!.id}/1/similar`, { bearer: ALICE, query: { k: '5' } });
    expect(res.statusCode, res.body).toBe(200);
    const { similar } = bodyOf<{ similar: { image_id: string; score: number }[] }>(res);
    expect(similar.map((s) => s.image_id)).toEqual([images.a1!.id]);
  });

  it('bad input is a 400 VALIDATION_FAILED naming the parameter', async () => {
    const a0 = images.a0!.id;
    const cases: [string, Record<string, string> | undefined, RegExp][] = [
      [`/receipts/${a0}/one`, undefined, /receipt_id/],
      [`/receipts/${a0}/0`, undefined, /receipt_id/],
      [`/receipts/bad$id/1`, undefined, /image_id/],
      [`/receipts/${a0}/1`, { merchant: 'x' }, /unknown query parameter merchant/],
      [`/receipts/${a0}/1/similar`, { k: '0' }, /\bk\b/],
      [`/receipts/${a0}/1/similar`, { k: '500' }, /\bk\b/],
      [`/receipts/${a0}/1/similar`, { k: 'ten' }, /\bk\b/],
      [`/receipts/${a0}/1/similar`, { kk: '3' }, /unknown query parameter kk/],
    ];
    for (const [path, query, message] of cases) {
      const res = await call(p, 'GET', path, { bearer: ALICE, ...(query ? { query } : {}) });
      expect(res.statusCode, `${path} ${JSON.stringify(query)}`).toBe(400);
      expect(bodyOf<ErrorBody>(res).error.code).toBe('VALIDATION_FAILED');
      expect(bodyOf<ErrorBody>(res).error.message, path).toMatch(message);
    }
  });

  it('no key → 401; an unknown route → 404; an authorizer owner that differs from the key → 401', async () => {
    expect((await call(p, 'GET', `/receipts/${images.a0!.id}/1`)).statusCode).toBe(401);
    expect((await call(p, 'GET', '/nowhere', { bearer: ALICE })).statusCode).toBe(404);
    const event: HttpApiEvent = httpEvent({ method: 'GET', path: `/receipts/${images.a0!.id}/1`, bearer: ALICE });
    const viaAuthorizer = (owner: string) =>
      p.api({
        ...event,
        requestContext: {
          ...event.requestContext,
          authorizer: { lambda: { owner } },
        } as HttpApiEvent['requestContext'],
      });
    expect((await viaAuthorizer('alice')).statusCode).toBe(200);
    expect((await viaAuthorizer('bob')).statusCode).toBe(401);
  });
});
