import { demoReceipts } from '@receiptflow/adapters-local/synthetic';
import { beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, httpEvent, specLines } from './support/fixtures.js';
import { localPipeline, type LocalPipeline } from './support/local-pipeline.js';

const ALICE = 'k-alice-places';
const BOB = 'k-bob-places';

interface PlaceSearch {
  places: { place_id: string; name: string | null; receipt_count: number }[];
  places_unavailable: boolean;
}

describe('GET /places', () => {
  let p: LocalPipeline;
  let placeId = '';
  let name = '';

  beforeAll(async () => {
    p = await localPipeline({
      apiKeys: [
        { owner: 'alice', key: ALICE },
        { owner: 'bob', key: BOB },
      ],
    });
    const bytes = p.ocr.register('a0', specLines(demoReceipts()[0]!.spec));
    const res = await p.api(
      httpEvent({ bearer: ALICE, headers: { 'content-type': 'image/png' }, body: bytes, query: { filename: 'a.png' } }),
    );
    expect(res.statusCode, res.body).toBe(201);
    await p.drain();
    const merchants = await p.api(httpEvent({ method: 'GET', path: '/merchants', bearer: ALICE }));
    const [merchant] = bodyOf<{ merchants: { place_id: string; name: string }[] }>(merchants).merchants;
    placeId = merchant!.place_id;
    name = merchant!.name;
  }, 120_000);

  const search = (bearer: string, query?: Record<string, string>) =>
    p.api(httpEvent({ method: 'GET', path: '/places', bearer, ...(query ? { query } : {}) }));

  it("answers the caller's matching merchant first, with its receipt count, then the Places service's", async () => {
    const res = await search(ALICE, { query: name.split(' ')[0]!.toLowerCase() });
    expect(res.statusCode, res.body).toBe(200);
    const body = bodyOf<PlaceSearch>(res);
    expect(body.places[0]).toMatchObject({ place_id: placeId, receipt_count: 1 });
    expect(body.places_unavailable).toBe(false);
  });

  it("shows another owner the place only as Places knows it, never the first owner's count", async () => {
    const body = bodyOf<PlaceSearch>(await search(BOB, { query: name }));
    expect(body.places.map((x) => x.receipt_count).every((n) => n === 0)).toBe(true);
  });

  it('is a 400 naming query when it is missing or blank, or another parameter is given', async () => {
    const queries: (Record<string, string> | undefined)[] = [undefined, { query: '  ' }, { q: name }];
    for (const query of queries) {
      const res = await search(ALICE, query);
      expect(res.statusCode, JSON.stringify(query)).toBe(400);
      expect(bodyOf<{ error: { code: string; message: string } }>(res).error).toMatchObject({
        code: 'VALIDATION_FAILED',
        message: expect.stringMatching(/query|\bq\b/),
      });
    }
  });
});
