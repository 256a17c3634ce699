import { demoReceipts, syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import type { ReceiptSummary } from '@receiptflow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localApiRoutesFrom } from '../src/container/handler-factories.js';
import { API_ROUTE_KEYS } from '../src/handlers/api-route-keys.js';
import { serveApi, type ApiServer } from './support/api-server.js';
import { bodyOf, httpEvent, specLines } from './support/fixtures.js';
import { localPipeline, type LocalPipeline } from './support/local-pipeline.js';

// GET /receipts, GET /merchants, PATCH and DELETE /receipts/{image_id}/{receipt_id}, through
// the real local HTTP server (the one `receipts serve` runs) over a pipeline with a fake OCR.

interface ErrorBody {
  error: { code: string; message: string };
}
interface Listing {
  receipts: ReceiptSummary[];
  next_cursor: string | null;
}

const ALICE = 'k-alice-list-01';
const BOB = 'k-bob-list-0002';
const demo = demoReceipts();

/** `MM/DD/YYYY` as printed → `YYYY-MM-DD`. */
function isoOf(printed: string): string {
  const [m, d, y] = printed.split('/');
  return `${y}-${m}-${d}`;
}

describe('the list and change API over the local HTTP server', () => {
  let p: LocalPipeline;
  let server: ApiServer;
  /** alice's uploads: demo receipt n → image_id. */
  const alice = new Map<number, string>();
  let bobImage = '';
  const ALICE_RECEIPTS = [0, 1, 2, 3, 5];

  const get = async <T>(path: string, bearer = ALICE): Promise<T> => {
    const res = await server.request('GET', path, { bearer });
    const text = await res.text();
    expect(res.status, `${path}: ${text}`).toBe(200);
    return JSON.parse(text) as T;
  };

  beforeAll(async () => {
    p = await localPipeline({
      apiKeys: [
        { owner: 'alice', key: ALICE },
        { owner: 'bob', key: BOB },
      ],
    });
    server = await serveApi(p, [
      { owner: 'alice', key: ALICE },
      { owner: 'bob', key: BOB },
    ]);
    const upload = async (name: string, key: string, n: number) => {
      const bytes = p.ocr.register(name, specLines(demo[n]!.spec));
      const res = await p.api(
        httpEvent({ bearer: key, headers: { 'content-type': 'image/png' }, body: bytes, query: { filename: name } }),
      );
      expect(res.statusCode, res.body).toBe(201);
      return bodyOf<{ image_id: string }>(res).image_id;
    };
    for (const n of ALICE_RECEIPTS) alice.set(n, await upload(`a${n}.png`, ALICE, n));
    bobImage = await upload('b0.png', BOB, 0);
    await p.drain();
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it("GET /receipts lists the owner's receipts newest first with their dates, totals and merchants", async () => {
    const { receipts, next_cursor } = await get<Listing>('/receipts');
    expect(next_cursor).toBeNull();
    expect(receipts.map((r) => r.image_id).sort()).toEqual([...alice.values()].sort());
    expect(receipts.every((r) => r.owner === 'alice')).toBe(true);
    const dates = receipts.map((r) => r.date!);
    expect(dates).toEqual([...dates].sort().reverse());
    for (const r of receipts) {
      const n = [...alice].find(([, id]) => id === r.image_id)![0];
      expect(r.date).toBe(isoOf(demo[n]!.truth.date));
      expect(r.total?.amount_minor).toBe(Math.round(demo[n]!.truth.total * 100));
      expect(r.merchant?.place_id).toBe(demo[n]!.truth.place_id);
    }
    // bob sees only his own.
    const bobs = await get<Listing>('/receipts', BOB);
    expect(bobs.receipts.map((r) => r.image_id)).toEqual([bobImage]);
  });

  it('pages with limit and cursor: every receipt once, in the same order', async () => {
    const all = (await get<Listing>('/receipts')).receipts.map((r) => `${r.image_id}/${r.receipt_id}`);
    const paged: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/receipts?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page: Listing = await get<Listing>(query);
      expect(page.receipts.length).toBeLessThanOrEqual(2);
      paged.push(...page.receipts.map((r) => `${r.image_id}/${r.receipt_id}`));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(paged).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 2));
  });

  it('filters by merchant, date range, amount range and text (combined with AND)', async () => {
    const place = demo[0]!.truth.place_id;
    const byMerchant = await get<Listing>(`/receipts?merchant=${encodeURIComponent(place)}`);
    const expected = ALICE_RECEIPTS.filter((n) => demo[n]!.truth.place_id === place).map((n) => alice.get(n));
    expect(byMerchant.receipts.map((r) => r.image_id).sort()).toEqual(expected.sort());

    const day = isoOf(demo[1]!.truth.date);
    const byDay = await get<Listing>(`/receipts?from=${day}&to=${day}`);
    expect(byDay.receipts.map((r) => r.date)).toEqual(
      ALICE_RECEIPTS.filter((n) => isoOf(demo[n]!.truth.date) === day).map(() => day),
    );
    expect(byDay.receipts.map((r) => r.image_id)).toContain(alice.get(1));

    const total = demo[2]!.truth.total;
    const byAmount = await get<Listing>(`/receipts?min=${total}&max=${total}`);
    expect(byAmount.receipts.map((r) => r.image_id)).toContain(alice.get(2));
    expect(byAmount.receipts.every((r) => r.total!.amount_minor === Math.round(total * 100))).toBe(true);

    const word = demo[3]!.spec.items[0]!.name;
    const byText = await get<Listing>(`/receipts?text=${encodeURIComponent(word.toUpperCase())}`);
    expect(byText.receipts.map((r) => r.image_id)).toContain(alice.get(3));
    const none = await get<Listing>(`/receipts?text=${encodeURIComponent(word)}&merchant=no-such-place`);
    expect(none.receipts).toEqual([]);
  });

  it('GET /merchants counts the owner’s receipts per place, with the last date seen', async () => {
    const { merchants } = await get<{
      merchants: { place_id: string; receipt_count: number; last_seen: string }[];
    }>('/merchants');
    const counts = new Map<string, number>();
    for (const n of ALICE_RECEIPTS) counts.set(demo[n]!.truth.place_id, (counts.get(demo[n]!.truth.place_id) ?? 0) + 1);
    expect(new Map(merchants.map((m) => [m.place_id, m.receipt_count]))).toEqual(counts);
    for (const m of merchants) {
      const newest = ALICE_RECEIPTS.filter((n) => demo[n]!.truth.place_id === m.place_id)
        .map((n) => isoOf(demo[n]!.truth.date))
        .sort()
        .at(-1);
      expect(m.last_seen).toBe(newest);
    }
    const bobs = await get<{ merchants: { place_id: string }[] }>('/merchants', BOB);
    expect(bobs.merchants.map((m) => m.place_id)).toEqual([demo[0]!.truth.place_id]);
  });

  it('PATCH corrects fields and the merchant, answers the receipt view, and the listing follows', async () => {
    const id = alice.get(1)!;
    const other = demo[5]!.truth.place_id;
    const res = await server.request('PATCH', `/receipts/${id}/1`, {
      bearer: ALICE,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({
        merchant: { place_id: other },
        fields: { date: '2019-02-03', total: { minor: 4321 } },
      }),
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const view = JSON.parse(text) as {
      receipt: { image_id: string; fields: { date: { value: string; source: string }; total: { minor: number } } };
      merchant: { place_id: string; source: string };
      lines: unknown[];
    };
    expect(view.receipt.image_id).toBe(id);
    expect(view.receipt.fields.date).toMatchObject({ value: '2019-02-03', source: 'user' });
    expect(view.receipt.fields.total.minor).toBe(4321);
    expect(view.merchant).toMatchObject({ place_id: other, source: 'user' });
    expect(view.lines.length).toBeGreaterThan(0);

    const listed = await get<Listing>('/receipts?from=2019-01-01&to=2019-12-31');
    expect(listed.receipts).toEqual([
      expect.objectContaining({
        image_id: id,
        date: '2019-02-03',
        total: expect.objectContaining({ amount_minor: 4321 }),
        merchant: expect.objectContaining({ place_id: other, source: 'user' }),
      }),
    ]);
    // bob cannot correct alice's receipt: 404, as for an unknown one.
    const foreign = await server.request('PATCH', `/receipts/${id}/1`, {
      bearer: BOB,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fields: { date: '2020-01-01' } }),
    });
    expect(foreign.status).toBe(404);
    expect(((await foreign.json()) as ErrorBody).error.code).toBe('NOT_FOUND');
  });

  // Issue 15/16: GET /places offers places only Places knows (receipt_count 0); PATCH takes them.
  it('PATCH corrects the merchant to a place only the Places service knows, and refuses one nobody knows', async () => {
    const id = alice.get(2)!;
    const mine = new Set(ALICE_RECEIPTS.map((n) => demo[n]!.truth.place_id));
    const shop = syntheticCatalog().find((c) => !mine.has(c.place_id))!;
    const patch = (place_id: string) =>
      server.request('PATCH', `/receipts/${id}/1`, {
        bearer: ALICE,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ merchant: { place_id } }),
      });
    const res = await patch(shop.place_id);
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect((JSON.parse(text) as { merchant: unknown }).merchant).toMatchObject({
      place_id: shop.place_id,
      merchant_name: shop.name,
      address: shop.formatted_address,
      source: 'user',
    });
    const unknown = await patch('ChIJ-nobody-knows-this');
    expect(unknown.status).toBe(400);
    const body = (await unknown.json()) as ErrorBody & { error: { message: string } };
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(body)).toMatch(/merchant\.place_id/);
  });

  it('DELETE answers 204 (again on a repeat), and the receipt is gone from GET and the listing', async () => {
    const id = alice.get(5)!;
    expect((await server.request('DELETE', `/receipts/${id}/1`, { bearer: BOB })).status).toBe(404);
    const res = await server.request('DELETE', `/receipts/${id}/1`, { bearer: ALICE });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect((await server.request('GET', `/receipts/${id}/1`, { bearer: ALICE })).status).toBe(404);
    expect((await get<Listing>('/receipts')).receipts.map((r) => r.image_id)).not.toContain(id);
    expect((await server.request('DELETE', `/receipts/${id}/1`, { bearer: ALICE })).status).toBe(204);
    expect((await server.request('DELETE', `/receipts/${id}/2`, { bearer: ALICE })).status).toBe(404);
  });

  it('bad input is a 400 VALIDATION_FAILED whose message names the parameter', async () => {
    const id = alice.get(0)!;
    const otherListing = (await get<Listing>('/receipts?limit=1')).next_cursor!;
    const json = { 'content-type': 'application/json' };
    const cases: [string, string, { body?: string | Uint8Array; headers?: Record<string, string> }, RegExp][] = [
      ['GET', '/receipts?cursor=not-a-cursor', {}, /\bcursor\b/],
      ['GET', '/receipts?cursor=%24%24%24', {}, /\bcursor\b/],
      // A cursor of another listing (other filters) is refused, not a page of something else.
      ['GET', `/receipts?merchant=x&cursor=${encodeURIComponent(otherListing)}`, {}, /\bcursor\b/],
      ['GET', '/receipts?merchnat=x', {}, /unknown query parameter merchnat/],
      ['GET', '/receipts?from=2024-13-01', {}, /\bfrom\b/],
      ['GET', '/receipts?to=03%2F14%2F2024', {}, /\bto\b/],
      ['GET', '/receipts?from=2024-05-01&to=2024-04-01', {}, /\bfrom\b/],
      ['GET', '/receipts?limit=101', {}, /\blimit\b/],
      ['GET', '/receipts?limit=0', {}, /\blimit\b/],
      ['GET', '/receipts?limit=ten', {}, /\blimit\b/],
      ['GET', '/receipts?min=abc', {}, /\bmin\b/],
      ['GET', '/receipts?max=1e9', {}, /\bmax\b/],
      ['GET', '/receipts?min=20&max=10', {}, /\bmin\b/],
      ['GET', '/receipts?text=', {}, /\btext\b/],
      ['GET', '/merchants?limit=3', {}, /unknown query parameter limit/],
      [
        'PATCH',
        `/receipts/${id}/1`,
        { headers: { 'content-type': 'text/plain' }, body: '{}' },
        /\bbody\b.*content-type/,
      ],
      ['PATCH', `/receipts/${id}/1`, { body: new TextEncoder().encode('{"fields":{}}') }, /\bbody\b.*content-type/],
      ['PATCH', `/receipts/${id}/1`, { headers: json, body: 'date=2024-01-01' }, /\bbody\b.*not valid JSON/],
      ['PATCH', `/receipts/${id}/1`, { headers: json, body: '' }, /\bbody\b/],
      ['PATCH', `/receipts/${id}/1`, { headers: json, body: '{"colour":"red"}' }, /\bcolour\b/],
      ['PATCH', `/receipts/${id}/1`, { headers: json, body: '{"fields":{"tip":{"minor":1}}}' }, /fields\.tip\b/],
      ['PATCH', `/receipts/${id}/1`, { headers: json, body: '{"fields":{"date":"yesterday"}}' }, /fields\.date\b/],
      ['PATCH', `/receipts/${id}/1`, { headers: json, body: '[]' }, /\(root\)|body/],
      ['PATCH', `/receipts/${id}/one`, { headers: json, body: '{"fields":{"date":"2024-01-01"}}' }, /receipt_id/],
      ['PATCH', `/receipts/${id}/0`, { headers: json, body: '{"fields":{"date":"2024-01-01"}}' }, /receipt_id/],
      ['DELETE', `/receipts/bad$id/1`, {}, /image_id/],
    ];
    for (const [method, path, options, message] of cases) {
      const res = await server.request(method, path, { bearer: ALICE, ...options });
      const text = await res.text();
      expect(res.status, `${method} ${path}: ${text}`).toBe(400);
      const { error } = JSON.parse(text) as ErrorBody;
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.message, `${method} ${path}`).toMatch(message);
    }
    // None of the refused corrections changed the receipt.
    const view = await get<{ receipt: { fields: { date: { source: string } } } }>(`/receipts/${id}/1`);
    expect(view.receipt.fields.date.source).not.toBe('user');
  });

  it('no key is a 401 on every new route', async () => {
    for (const [method, path] of [
      ['GET', '/receipts'],
      ['GET', '/merchants'],
      ['PATCH', `/receipts/${alice.get(0)!}/1`],
      ['DELETE', `/receipts/${alice.get(0)!}/1`],
    ] as const) {
      expect((await server.request(method, path)).status, `${method} ${path}`).toBe(401);
    }
  });
});

describe('API_ROUTE_KEYS', () => {
  it('is exactly the set of routes the local server serves, each once', async () => {
    const p = await localPipeline();
    const keys = localApiRoutesFrom(p.container).map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort()).toEqual([...API_ROUTE_KEYS].sort());
  });
});
