import { afterEach, describe, expect, it } from 'vitest';
import { syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { fakePlacesSku, startFakePlacesServer } from '../src/fake-servers/index.js';
import type { FakePlacesServer } from '../src/fake-servers/index.js';

describe('startFakePlacesServer', () => {
  let server: FakePlacesServer;
  afterEach(() => server?.close());

  const post = (headers: Record<string, string>, body: unknown) =>
    fetch(`${server.url}/v1/places:searchText`, { method: 'POST', headers, body: JSON.stringify(body) });

  it('answers 400 when the field mask header is missing, like Google', async () => {
    server = await startFakePlacesServer({ catalog: syntheticCatalog() });
    const response = await post({}, { textQuery: 'BLUEBIRD BAKERY' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { status: string; message: string } };
    expect(body.error.status).toBe('INVALID_ARGUMENT');
    expect(body.error.message).toContain('FieldMask');
  });

  it('answers {} when nothing matches', async () => {
    server = await startFakePlacesServer({ catalog: syntheticCatalog() });
    const response = await post({ 'X-Goog-FieldMask': '*' }, { textQuery: 'zqxvj wplmkr' });
    expect(await response.json()).toEqual({});
  });

  it('honours maxResultCount', async () => {
    server = await startFakePlacesServer({ catalog: syntheticCatalog() });
    const response = await post(
      { 'X-Goog-FieldMask': 'places.id' },
      { textQuery: 'COPPER KETTLE CAFE', maxResultCount: 1 },
    );
    const body = (await response.json()) as { places: unknown[] };
    expect(body.places).toHaveLength(1);
    expect(Object.keys(body.places[0] as object)).toEqual(['id']);
  });

  it('records the SKU each field mask bills at: the highest tier among its fields', async () => {
    server = await startFakePlacesServer({ catalog: syntheticCatalog() });
    const masks = [
      'places.id',
      'places.id,places.displayName,places.formattedAddress',
      'places.id,places.displayName,places.nationalPhoneNumber',
      '*',
    ];
    for (const mask of masks) await post({ 'X-Goog-FieldMask': mask }, { textQuery: 'COPPER KETTLE CAFE' });
    expect(server.requests.map((r) => r.sku)).toEqual([
      'Text Search Essentials (IDs Only)',
      'Text Search Pro',
      'Text Search Enterprise',
      'Text Search Enterprise + Atmosphere',
    ]);
    // A field it does not know is billed at the top, never assumed cheap.
    expect(fakePlacesSku('places.id,places.reviews')).toBe('Text Search Enterprise + Atmosphere');
  });

  it('setDown(true) answers every request 503 UNAVAILABLE until setDown(false)', async () => {
    server = await startFakePlacesServer({ catalog: syntheticCatalog() });
    server.setDown(true);
    const down = await post({ 'X-Goog-FieldMask': 'places.id' }, { textQuery: 'COPPER KETTLE CAFE' });
    expect(down.status).toBe(503);
    expect(((await down.json()) as { error: { status: string } }).error.status).toBe('UNAVAILABLE');
    server.setDown(false);
    const up = await post({ 'X-Goog-FieldMask': 'places.id' }, { textQuery: 'COPPER KETTLE CAFE' });
    expect(up.status).toBe(200);
  });

  it('serves injected faults in order, with Retry-After, and counts every request', async () => {
    server = await startFakePlacesServer({
      catalog: syntheticCatalog(),
      faults: [{ status: 429, retryAfterSeconds: 7 }],
    });
    server.injectFaults({ status: 500 });
    const first = await post({ 'X-Goog-FieldMask': '*' }, { textQuery: 'x' });
    const second = await post({ 'X-Goog-FieldMask': '*' }, { textQuery: 'x' });
    const third = await post({ 'X-Goog-FieldMask': '*' }, { textQuery: 'BLUEBIRD BAKERY' });
    expect([first.status, second.status, third.status]).toEqual([429, 500, 200]);
    expect(first.headers.get('retry-after')).toBe('7');
    expect(server.requestCount).toBe(3);
  });
});
