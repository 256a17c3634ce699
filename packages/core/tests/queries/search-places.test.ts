import { describe, expect, it } from 'vitest';
import { InMemoryReceiptCatalog } from '@receiptflow/adapters-local';
import { TransientDependencyError, ValidationError, searchPlaces } from '@receiptflow/core';
import { pipeline } from '../use-cases/harness.js';

const HARBOR = ['HARBOR LANE GROCERY', '1452 HARBOR LANE', 'OAKLAND, CA 94607', 'TEL (510) 555-0142', 'TOTAL 5.59'];
const HARBOR_ID = 'syn-harbor-lane-grocery-oakland';

async function withAlicesHarbor() {
  const p = pipeline();
  const done = await p.ingest(HARBOR, 'h.png', { owner: 'alice' });
  expect(done.processed).toBeDefined();
  const catalog = new InMemoryReceiptCatalog({ table: p.table });
  expect((await catalog.listMerchants('alice')).map((m) => m.place_id)).toEqual([HARBOR_ID]);
  return { p, deps: { catalog, places: p.places } };
}

describe('searchPlaces', () => {
  it("lists the owner's matching merchants first (with their receipt count), then what Places finds, each once", async () => {
    const { deps } = await withAlicesHarbor();
    const { places, places_unavailable } = await searchPlaces(deps, 'alice', '  harbor lane ');
    expect(places_unavailable).toBe(false);
    expect(places[0]).toMatchObject({ place_id: HARBOR_ID, receipt_count: 1 });
    // Places found it too: its address comes along, and it is not listed twice.
    expect(places[0]!.formatted_address).not.toBeNull();
    expect(places.filter((p) => p.place_id === HARBOR_ID)).toHaveLength(1);
    expect(places.length).toBeLessThanOrEqual(10);
  });

  it("never shows one owner's merchants to another: bob's search finds the place only through Places", async () => {
    const { deps } = await withAlicesHarbor();
    const { places } = await searchPlaces(deps, 'bob', 'harbor lane');
    for (const place of places) expect(place.receipt_count).toBe(0);
  });

  it('asks Places once for a repeated search (the cache answers the second)', async () => {
    const { p, deps } = await withAlicesHarbor();
    const before = p.catalogPlaces.calls;
    const first = await searchPlaces(deps, 'alice', 'copper kettle');
    expect(first.places[0]).toMatchObject({ name: 'COPPER KETTLE CAFE', receipt_count: 0 });
    expect(p.catalogPlaces.calls).toBe(before + 1);
    expect(await searchPlaces(deps, 'alice', 'copper kettle')).toEqual(first);
    expect(p.catalogPlaces.calls).toBe(before + 1);
  });

  it("still answers the owner's merchants when Places is down", async () => {
    const { deps } = await withAlicesHarbor();
    const down = {
      searchText: async () => {
        throw new TransientDependencyError('places', 'Places answered 503');
      },
    };
    const result = await searchPlaces({ ...deps, places: down }, 'alice', 'harbor');
    expect(result).toEqual({
      places: [
        { place_id: HARBOR_ID, name: 'HARBOR LANE GROCERY', formatted_address: null, phone: null, receipt_count: 1 },
      ],
      places_unavailable: true,
    });
  });

  it('refuses a missing, blank or too long query, naming query', async () => {
    const { deps } = await withAlicesHarbor();
    for (const query of [undefined, '', '   ', 'x'.repeat(201)]) {
      const error = await searchPlaces(deps, 'alice', query).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toMatch(/query/);
    }
  });
});
