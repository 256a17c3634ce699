import { afterEach, describe, expect, it } from 'vitest';
import { DependencyError, TransientDependencyError, type Clock } from '@receiptflow/core';
import { describePlacesResolverContract } from '@receiptflow/core/testing';
import { merchantPlace, SYNTHETIC_MERCHANTS, syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import {
  GooglePlacesResolver,
  PHONE_LOOKUP_FIELD_MASK,
  PLACE_DETAILS_FIELD_MASK,
  TEXT_SEARCH_FIELD_MASK,
  TEXT_SEARCH_FIELDS,
  skuOfFieldMask,
} from '../../src/places/index.js';
import { startFakePlacesServer } from '@receiptflow/devkit/fake-servers';
import type { FakePlacesFault, FakePlacesServer } from '@receiptflow/devkit/fake-servers';

const API_KEY = 'test-key';
/** Backoff that takes no time: these tests are about what is sent and raised, not when. */
const noWait: Clock = { now: () => Date.UTC(2024, 0, 1), sleep: async () => {} };
const grocery = merchantPlace(SYNTHETIC_MERCHANTS[0]!);

describePlacesResolverContract('GooglePlacesResolver against the fake Places server', async () => {
  const server = await startFakePlacesServer({ catalog: syntheticCatalog(), apiKey: API_KEY });
  return {
    subject: new GooglePlacesResolver({ apiKey: API_KEY, baseUrl: server.url, clock: noWait }),
    known: {
      place_id: grocery.place_id,
      name: grocery.name,
      formatted_address: grocery.formatted_address!,
      phone: grocery.phone!,
    },
    cleanup: () => server.close(),
  };
});

describe('GooglePlacesResolver', () => {
  let server: FakePlacesServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function setUp(faults: FakePlacesFault[] = []) {
    server = await startFakePlacesServer({ catalog: syntheticCatalog(), apiKey: API_KEY, faults });
    const sleeps: number[] = [];
    const resolver = new GooglePlacesResolver({
      apiKey: API_KEY,
      baseUrl: server.url,
      maxRetries: 3,
      baseDelayMs: 100,
      clock: { now: () => Date.UTC(2024, 0, 1), sleep: async (ms) => void sleeps.push(ms) },
    });
    return { server, resolver, sleeps };
  }

  it('sends the API key, the query, and a text-search mask of id, name and address only', async () => {
    const { server, resolver } = await setUp();
    await resolver.searchText('BLUEBIRD BAKERY 17 ORCHARD ROAD');
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/places:searchText');
    expect(request?.apiKey).toBe(API_KEY);
    expect(request?.fieldMask?.split(',').sort()).toEqual(TEXT_SEARCH_FIELDS.map((f) => `places.${f}`).sort());
    expect(request?.body).toEqual({ textQuery: 'BLUEBIRD BAKERY 17 ORCHARD ROAD', maxResultCount: 5 });
  });

  // issue 20, item 6: the phone fields made every call bill at Text Search Enterprise.
  it('bills a text search at Text Search Pro and only a phone lookup at Enterprise', async () => {
    const { server, resolver } = await setUp();
    await resolver.searchText(`${grocery.name} ${grocery.formatted_address}`);
    await resolver.findByPhone(grocery.phone!);
    // The fake's own field table, not the adapter's, decides the SKU.
    expect(server.requests.map((r) => r.sku)).toEqual(['Text Search Pro', 'Text Search Enterprise']);
    expect(skuOfFieldMask(TEXT_SEARCH_FIELD_MASK)).toBe('Text Search Pro');
    expect(skuOfFieldMask(PHONE_LOOKUP_FIELD_MASK)).toBe('Text Search Enterprise');
    expect(skuOfFieldMask('places.id')).toBe('Text Search Essentials (IDs Only)');
  });

  it('a text search returns id, name and address, and no phone (not asked for)', async () => {
    const { resolver } = await setUp();
    const [place] = await resolver.searchText(`${grocery.name} ${grocery.formatted_address}`);
    expect(place).toEqual({ ...grocery, phone: null });
  });

  // docs/lessons.md#lesson-21-places-accepted-the-wrong-merchant
  it('a phone lookup reads name, address and phone, all present because all are masked', async () => {
    const { resolver } = await setUp();
    const [place] = await resolver.findByPhone(grocery.phone!);
    expect(place).toEqual(grocery);
  });

  it('would see a field come back missing if the mask left it out, as Google does', async () => {
    const { server } = await setUp();
    const withoutPhone = PHONE_LOOKUP_FIELD_MASK.split(',')
      .filter((f) => !f.includes('PhoneNumber'))
      .join(',');
    const response = await fetch(`${server.url}/v1/places:searchText`, {
      method: 'POST',
      headers: { 'X-Goog-Api-Key': API_KEY, 'X-Goog-FieldMask': withoutPhone },
      body: JSON.stringify({ textQuery: `${grocery.name} ${grocery.formatted_address}` }),
    });
    const body = (await response.json()) as { places: Array<Record<string, unknown>> };
    expect(body.places[0]).toEqual({
      id: grocery.place_id,
      displayName: { text: grocery.name, languageCode: 'en' },
      formattedAddress: grocery.formatted_address,
    });
  });

  it('retries a 429, waiting as long as Retry-After asks, then succeeds', async () => {
    const { server, resolver, sleeps } = await setUp([{ status: 429, retryAfterSeconds: 2 }]);
    const found = await resolver.findByPhone(grocery.phone!);
    expect(found.map((p) => p.place_id)).toEqual([grocery.place_id]);
    expect(server.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(sleeps).toEqual([2000]);
    expect(resolver.calls).toEqual({ phone: 1, text: 0, details: 0, total: 1 });
  });

  it('backs off exponentially over 5xx answers without Retry-After', async () => {
    const { server, resolver, sleeps } = await setUp([{ status: 500 }, { status: 503 }, { status: 500 }]);
    const found = await resolver.searchText(`${grocery.name} ${grocery.formatted_address}`);
    expect(found[0]?.place_id).toBe(grocery.place_id);
    expect(server.requestCount).toBe(4);
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('gives up with a retryable TransientDependencyError once retries run out', async () => {
    const faults = Array.from({ length: 4 }, () => ({ status: 503 }));
    const { server, resolver } = await setUp(faults);
    const error = await resolver.searchText('BLUEBIRD BAKERY').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDependencyError);
    expect((error as TransientDependencyError).retryable).toBe(true);
    expect((error as Error).message).toMatch(/places: .*4 attempt\(s\).*HTTP 503/);
    expect(server.requestCount).toBe(4);
  });

  it('resolves an HTTP-date Retry-After against its clock, not the wall clock', async () => {
    const now = Date.UTC(2024, 0, 1, 12, 0, 0);
    const sleeps: number[] = [];
    let calls = 0;
    const resolver = new GooglePlacesResolver({
      apiKey: API_KEY,
      clock: { now: () => now, sleep: async (ms) => void sleeps.push(ms) },
      fetch: async () =>
        ++calls === 1
          ? new Response('{}', { status: 429, headers: { 'retry-after': new Date(now + 3_000).toUTCString() } })
          : new Response(JSON.stringify({ places: [] }), { status: 200 }),
    });
    await expect(resolver.searchText('BLUEBIRD BAKERY')).resolves.toEqual([]);
    // 3 s after the clock's 2024 noon; against today's wall clock the date is long past (0 ms).
    expect(sleeps).toEqual([3_000]);
  });

  it('does not sit out a Retry-After longer than it may wait', async () => {
    const { server, resolver, sleeps } = await setUp([{ status: 429, retryAfterSeconds: 3600 }]);
    await expect(resolver.searchText('BLUEBIRD BAKERY')).rejects.toBeInstanceOf(TransientDependencyError);
    expect(sleeps).toEqual([]);
    expect(server.requestCount).toBe(1);
  });

  it('maps a 403 to a DependencyError naming the status and Google message, without retrying', async () => {
    server = await startFakePlacesServer({ catalog: syntheticCatalog(), apiKey: API_KEY });
    const resolver = new GooglePlacesResolver({ apiKey: 'wrong-key', baseUrl: server.url, clock: noWait });
    const error = await resolver.searchText('BLUEBIRD BAKERY').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as DependencyError).dependency).toBe('places');
    expect((error as Error).message).toContain('HTTP 403');
    expect((error as Error).message).toContain('PERMISSION_DENIED: API key not valid');
    expect(server.requestCount).toBe(1);
  });

  it('retries a request that times out, then reports it as transient', async () => {
    const resolver = new GooglePlacesResolver({
      apiKey: API_KEY,
      maxRetries: 1,
      clock: noWait,
      fetch: async () => {
        throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
      },
    });
    const error = await resolver.searchText('BLUEBIRD BAKERY').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDependencyError);
    expect((error as Error).message).toContain('timed out');
  });

  it('refuses an answer in an unexpected shape with a DependencyError naming the field', async () => {
    const resolver = new GooglePlacesResolver({
      apiKey: API_KEY,
      clock: noWait,
      fetch: async () => new Response(JSON.stringify({ places: [{ displayName: { text: 'X' } }] }), { status: 200 }),
    });
    const error = await resolver.searchText('anything').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as Error).message).toContain('places.0.id');
  });

  it('drops search results whose phone does not match the number asked for', async () => {
    const resolver = new GooglePlacesResolver({
      apiKey: API_KEY,
      clock: noWait,
      fetch: async () =>
        new Response(
          JSON.stringify({
            places: [
              { id: 'a', displayName: { text: 'A' }, nationalPhoneNumber: '(510) 555-0142' },
              { id: 'b', displayName: { text: 'B' }, nationalPhoneNumber: '(510) 555-0143' },
              { id: 'c', displayName: { text: 'C' } },
            ],
          }),
          { status: 200 },
        ),
    });
    expect((await resolver.findByPhone('+1 510 555 0142')).map((p) => p.place_id)).toEqual(['a']);
  });

  it('gets a place by id with Place Details: GET, the id in the path, a mask of the place fields (Enterprise for the phone)', async () => {
    const { server, resolver } = await setUp();
    const place = await resolver.getPlace(grocery.place_id);
    expect(place).toEqual(grocery);
    const [request] = server.requests;
    expect(request?.method).toBe('GET');
    expect(request?.path).toBe(`/v1/places/${encodeURIComponent(grocery.place_id)}`);
    expect(request?.apiKey).toBe(API_KEY);
    expect(request?.fieldMask).toBe(PLACE_DETAILS_FIELD_MASK);
    expect(request?.fieldMask).toBe('id,displayName,formattedAddress,nationalPhoneNumber,internationalPhoneNumber');
    expect(request?.sku).toBe('Place Details Enterprise');
    expect(resolver.calls).toEqual({ phone: 0, text: 0, details: 1, total: 1 });
  });

  it('answers null for an id Google does not know (404) or rejects as no place id (400), without retrying', async () => {
    const { server, resolver } = await setUp();
    expect(await resolver.getPlace('ChIJ-not-in-the-catalog')).toBeNull();
    expect(server.requests.map((r) => r.status)).toEqual([404]);
    server.injectFaults({ status: 400, message: 'Not a valid Place ID: bad/id' });
    expect(await resolver.getPlace('bad/id')).toBeNull();
    expect(server.requests.map((r) => r.status)).toEqual([404, 400]);
  });

  it('retries a Place Details 503, gives up as transient, and maps a 403 to a DependencyError', async () => {
    const { server, resolver, sleeps } = await setUp([{ status: 503 }]);
    expect(await resolver.getPlace(grocery.place_id)).toEqual(grocery);
    expect(sleeps).toEqual([100]);
    server.injectFaults({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
    await expect(resolver.getPlace(grocery.place_id)).rejects.toThrow(TransientDependencyError);
    server.injectFaults({ status: 403, message: 'API key not valid.' });
    const refused = await resolver.getPlace(grocery.place_id).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DependencyError);
    expect(refused).not.toBeInstanceOf(TransientDependencyError);
    expect((refused as Error).message).toMatch(/getPlace refused with HTTP 403 PERMISSION_DENIED/);
  });

  it('counts lookups that reach Google, not blank ones', async () => {
    const { resolver } = await setUp();
    await resolver.searchText('BLUEBIRD BAKERY');
    await resolver.findByPhone('(802) 555-0128');
    await resolver.searchText('  ');
    await resolver.findByPhone('12');
    expect(resolver.calls).toEqual({ phone: 1, text: 1, details: 0, total: 2 });
  });
});
