import { describe, expect, it } from 'vitest';
import { CachingPlacesResolver } from '@receiptflow/core';
import { CatalogPlacesResolver } from '@receiptflow/adapters-local';
import { FakeClock } from '@receiptflow/adapters-local';
import { InMemoryPlacesCache } from '@receiptflow/adapters-local';
import { syntheticCatalog } from '@receiptflow/adapters-local/synthetic';

const DAY = 86_400_000;

function setup() {
  const clock = new FakeClock();
  const catalog = new CatalogPlacesResolver(syntheticCatalog());
  const cache = new InMemoryPlacesCache();
  return { clock, catalog, cache, resolver: new CachingPlacesResolver(catalog, cache, clock) };
}

// docs/lessons.md#lesson-21-places-accepted-the-wrong-merchant
describe('CachingPlacesResolver over the local cache and catalog', () => {
  it('an expired row triggers exactly one call and is overwritten', async () => {
    const { clock, catalog, cache, resolver } = setup();
    await cache.put({
      key: 'phone:5105550142',
      status: 'OK',
      candidates: [{ place_id: 'stale', name: 'OLD NAME', formatted_address: null, phone: '(510) 555-0142' }],
      fetched_at: new Date(clock.now() - 60 * DAY).toISOString(),
      expires_at: new Date(clock.now() - DAY).toISOString(),
    });
    const first = await resolver.findByPhone('(510) 555-0142');
    const second = await resolver.findByPhone('510-555-0142');
    expect(first.map((c) => c.place_id)).toEqual(['syn-harbor-lane-grocery-oakland']);
    expect(second).toEqual(first);
    expect(catalog.calls.phone).toBe(1);
    expect((await cache.get('phone:5105550142'))?.candidates[0]?.place_id).toBe('syn-harbor-lane-grocery-oakland');
  });

  it('a NO_RESULTS row answers [] without a call while fresh, then is refetched', async () => {
    const { clock, catalog, cache, resolver } = setup();
    expect(await resolver.searchText('ZZZ QQQ XXX')).toEqual([]);
    expect((await cache.get('text:ZZZ QQQ XXX'))?.status).toBe('NO_RESULTS');
    expect(await resolver.searchText('zzz qqq xxx')).toEqual([]);
    expect(catalog.calls.text).toBe(1);
    await clock.advance(DAY + 1);
    await resolver.searchText('ZZZ QQQ XXX');
    expect(catalog.calls.text).toBe(2);
  });
});
