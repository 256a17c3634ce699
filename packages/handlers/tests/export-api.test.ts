import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsExportArtifacts, UuidIdGenerator } from '@receiptflow/adapters-local';
import { demoReceipts } from '@receiptflow/adapters-local/synthetic';
import { EXPORT_CSV_COLUMNS, EXPORT_URL_SECONDS, type ReceiptSummary } from '@receiptflow/core';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportRoutes } from '../src/handlers/export-routes.js';
import { ApiKeyAuth } from '../src/http/api-key-auth.js';
import { createApiRouter } from '../src/http/router.js';
import { createLocalHttpServer } from '../src/local/http-server.js';
import { serveApi, type ApiServer } from './support/api-server.js';
import { bodyOf, httpEvent, specLines } from './support/fixtures.js';
import { localPipeline, type LocalPipeline } from './support/local-pipeline.js';

interface ErrorBody {
  error: { code: string; message: string };
}

const ALICE = 'k-alice-export-1';
const BOB = 'k-bob-export-002';
const KEYS = [
  { owner: 'alice', key: ALICE },
  { owner: 'bob', key: BOB },
];

describe('the local server writes a streamed answer as it is produced', () => {
  /** A server whose one answer is a stream the test releases chunk by chunk. */
  async function streamingServer(body: () => AsyncIterable<string>) {
    const server = createLocalHttpServer(() => ({
      authorize: () => true,
      api: () =>
        Promise.resolve({ statusCode: 200, headers: { 'content-type': 'text/plain' }, body: '', bodyStream: body() }),
      admitUpload: () => Promise.reject(new Error('no uploads here')),
    }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/export`;
    const close = () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    return { url, close };
  }

  it(
    'the client reads the first chunk while the source is still waiting to yield the second',
    { timeout: 60_000 },
    async () => {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let exhausted = false;
      const { url, close } = await streamingServer(async function* () {
        yield 'first chunk\n';
        await released; // a buffering server would wait here forever: the client never gets a byte
        yield 'second chunk\n';
        exhausted = true;
      });
      try {
        const response = await fetch(url);
        expect(response.status).toBe(200);
        const reader = response.body!.getReader();
        const first = await Promise.race([
          reader.read(),
          new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000)),
        ]);
        expect(first, 'no bytes arrived before the source was exhausted: the answer was buffered').not.toBe('timeout');
        expect(new TextDecoder().decode((first as { value?: Uint8Array }).value)).toBe('first chunk\n');
        expect(exhausted).toBe(false);
        release();
        let rest = '';
        for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
        expect(rest).toBe('second chunk\n');
        expect(exhausted).toBe(true);
      } finally {
        release();
        await close();
      }
    },
  );

  it('a source that fails midway breaks the answer (a client error), never a short body that looks whole', async () => {
    const { url, close } = await streamingServer(async function* () {
      yield 'image_id,receipt_id\r\n';
      await new Promise((resolve) => setTimeout(resolve, 50));
      throw new Error('the catalog went away');
    });
    try {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      await expect(response.text()).rejects.toThrow();
    } finally {
      await close();
    }
  });
});

describe('GET /export', () => {
  let p: LocalPipeline;
  let server: ApiServer;
  const demo = demoReceipts();
  const mine = [0, 1, 2, 3];

  beforeAll(async () => {
    p = await localPipeline({ apiKeys: KEYS });
    server = await serveApi(p, KEYS);
    const upload = async (name: string, key: string, n: number) => {
      const bytes = p.ocr.register(name, specLines(demo[n]!.spec));
      const res = await p.api(
        httpEvent({ bearer: key, headers: { 'content-type': 'image/png' }, body: bytes, query: { filename: name } }),
      );
      expect(res.statusCode, res.body).toBe(201);
    };
    for (const n of mine) await upload(`a${n}.png`, ALICE, n);
    await upload('b4.png', BOB, 4);
    await p.drain();
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  const listing = async (query = '') => {
    const res = await server.request('GET', `/receipts?limit=100${query}`, { bearer: ALICE });
    return ((await res.json()) as { receipts: ReceiptSummary[] }).receipts;
  };

  it('format=csv streams one row per receipt of the owner, newest first, as a CSV attachment', async () => {
    const res = await server.request('GET', '/export?format=csv', { bearer: ALICE });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="receipts.csv"');
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    const rows = parse(await res.text(), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual([...EXPORT_CSV_COLUMNS]);
    const listed = await listing();
    expect(rows.map((r) => `${r.image_id}/${r.receipt_id}`)).toEqual(
      listed.map((r) => `${r.image_id}/${r.receipt_id}`),
    );
    expect(rows).toHaveLength(mine.length);
    for (const row of rows) {
      const n = mine.find(
        (m) => demo[m]!.truth.place_id === row.place_id && demo[m]!.truth.total.toFixed(2) === row.total,
      );
      expect(n, JSON.stringify(row)).toBeDefined();
    }
  });

  it('format=jsonl takes the listing filters and writes one JSON object per line', async () => {
    const place = demo[0]!.truth.place_id;
    const res = await server.request('GET', `/export?format=jsonl&merchant=${encodeURIComponent(place)}`, {
      bearer: ALICE,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const text = await res.text();
    expect(text.endsWith('\n')).toBe(true);
    const records = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { image_id: string; merchant: { place_id: string | null } | null });
    expect(records.map((r) => r.image_id)).toEqual((await listing(`&merchant=${place}`)).map((r) => r.image_id));
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.merchant?.place_id === place)).toBe(true);
    // bob's export holds bob's receipt only.
    const bobs = await (await server.request('GET', '/export?format=jsonl', { bearer: BOB })).text();
    const bobsPlaces = bobs
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { merchant: { place_id: string } }).merchant.place_id);
    expect(bobsPlaces).toEqual([demo[4]!.truth.place_id]);
  });

  it('a missing or unknown format, a bad filter or a paging parameter is a 400 naming it', async () => {
    const cases: [string, RegExp][] = [
      ['/export', /\bformat\b/],
      ['/export?format=xml', /\bformat\b/],
      ['/export?format=', /\bformat\b/],
      ['/export?format=csv&from=2024-02-30', /\bfrom\b/],
      ['/export?format=csv&min=lots', /\bmin\b/],
      ['/export?format=csv&limit=5', /unknown query parameter limit/],
      ['/export?format=csv&merchnat=x', /unknown query parameter merchnat/],
    ];
    for (const [path, message] of cases) {
      const res = await server.request('GET', path, { bearer: ALICE });
      const text = await res.text();
      expect(res.status, `${path}: ${text}`).toBe(400);
      expect((JSON.parse(text) as ErrorBody).error.code).toBe('VALIDATION_FAILED');
      expect((JSON.parse(text) as ErrorBody).error.message, path).toMatch(message);
    }
    expect((await server.request('GET', '/export?format=csv')).status).toBe(401);
  });

  it('with ExportArtifacts (as on AWS) it writes the export and answers 303 to a 15-minute GET of it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'export-route-'));
    try {
      const artifacts = new FsExportArtifacts({ bucket: 'exports', dir, fsync: false });
      const api = createApiRouter(
        exportRoutes({ catalog: p.adapters.receiptCatalog, publish: { artifacts, ids: new UuidIdGenerator() } }),
        {
          auth: new ApiKeyAuth(KEYS.map((k) => ({ owner: k.owner, sha256: ApiKeyAuth.hash(k.key) }))),
          logger: p.logger,
        },
      );
      const before = Date.now();
      const res = await api(httpEvent({ method: 'GET', path: '/export', bearer: ALICE, query: { format: 'csv' } }));
      expect(res.statusCode, res.body).toBe(303);
      const location = res.headers!.location!;
      const { url, expires_at } = bodyOf<{ url: string; expires_at: string }>(res);
      expect(url).toBe(location);
      const lifetime = Date.parse(expires_at) - before;
      expect(lifetime).toBeGreaterThan((EXPORT_URL_SECONDS - 60) * 1000);
      expect(lifetime).toBeLessThanOrEqual((EXPORT_URL_SECONDS + 60) * 1000);
      expect(decodeURIComponent(new URL(location).pathname)).toMatch(/\/exports\/exports\/alice\/[0-9a-f-]{36}\.csv$/);

      const object = await artifacts.openPresignedDownload(location);
      expect(object.contentType).toBe('text/csv; charset=utf-8');
      let published = '';
      for await (const chunk of object.body) published += new TextDecoder().decode(chunk);
      const streamed = await (await server.request('GET', '/export?format=csv', { bearer: ALICE })).text();
      expect(published).toBe(streamed);

      // A bad query writes nothing and is the same 400.
      const bad = await api(
        httpEvent({ method: 'GET', path: '/export', bearer: ALICE, query: { format: 'csv', to: 'soon' } }),
      );
      expect(bad.statusCode).toBe(400);
      expect(bodyOf<ErrorBody>(bad).error.message).toMatch(/\bto\b/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
