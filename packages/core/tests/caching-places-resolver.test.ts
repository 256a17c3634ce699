import { describe, expect, it } from 'vitest';
import {
  CachingPlacesResolver,
  phoneCacheKey,
  textCacheKey,
  type Clock,
  type PlaceCandidate,
  type PlacesCache,
  type PlacesCacheEntry,
  type PlacesResolver,
} from '../src/index.js';

const DAY = 86_400_000;
const PLACE: PlaceCandidate = {
  place_id: 'p1',
  name: 'HARBOR LANE GROCERY',
  formatted_address: '1452 HARBOR LANE, OAKLAND, CA 94607',
  phone: '(510) 555-0142',
};

class TestClock implements Clock {
  constructor(public t = Date.UTC(2024, 0, 1)) {}
  now() {
    return this.t;
  }
  async sleep() {}
}

class MapCache implements PlacesCache {
  readonly rows = new Map<string, PlacesCacheEntry>();
  puts = 0;
  async get(key: string) {
    return this.rows.get(key) ?? null;
  }
  async put(entry: PlacesCacheEntry) {
    this.puts++;
    this.rows.set(entry.key, structuredClone(entry));
  }
}

class CountingPlaces implements PlacesResolver {
  calls: string[] = [];
  constructor(private answer: PlaceCandidate[]) {}
  async findByPhone(phone: string) {
    this.calls.push(`phone:${phone}`);
    return this.answer;
  }
  async searchText(query: string) {
    this.calls.push(`text:${query}`);
    return this.answer;
  }
  async getPlace(placeId: string) {
    this.calls.push(`id:${placeId}`);
    return this.answer.find((p) => p.place_id === placeId) ?? null;
  }
}

function setup(answer: PlaceCandidate[] = [PLACE]) {
  const clock = new TestClock();
  const cache = new MapCache();
  const inner = new CountingPlaces(answer);
  return { clock, cache, inner, resolver: new CachingPlacesResolver(inner, cache, clock) };
}

// docs/lessons.md#lesson-21-places-accepted-the-wrong-merchant
describe('CachingPlacesResolver', () => {
  it('keys phone lookups by digits, so formatting shares one row', async () => {
    const { resolver, inner, cache } = setup();
    expect(await resolver.findByPhone('(510) 555-0142')).toEqual([PLACE]);
    expect(await resolver.findByPhone('+1 510.555.0142')).toEqual([PLACE]);
    expect(inner.calls).toHaveLength(1);
    expect([...cache.rows.keys()]).toEqual(['phone:5105550142']);
    expect(await phoneCacheKey('510-555-0142')).toBe('phone:5105550142');
  });

  it('keys text searches by the normalised query', async () => {
    const { resolver, inner } = setup();
    await resolver.searchText('Harbor  Lane, Grocery');
    await resolver.searchText('HARBOR LANE GROCERY');
    expect(inner.calls).toHaveLength(1);
    expect(textCacheKey('Harbor  Lane, Grocery')).toBe('text:HARBOR LANE GROCERY');
  });

  it('serves an OK row for 30 days, then refetches exactly once and overwrites it', async () => {
    const { resolver, inner, cache, clock } = setup();
    await resolver.findByPhone('5105550142');
    clock.t += 29 * DAY;
    await resolver.findByPhone('5105550142');
    expect(inner.calls).toHaveLength(1);
    clock.t += 2 * DAY;
    await resolver.findByPhone('5105550142');
    await resolver.findByPhone('5105550142');
    expect(inner.calls).toHaveLength(2);
    const row = cache.rows.get('phone:5105550142')!;
    expect(row.fetched_at).toBe(new Date(clock.t).toISOString());
    expect(Date.parse(row.expires_at)).toBe(clock.t + 30 * DAY);
  });

  it('an expired pre-existing row triggers one call and is overwritten', async () => {
    const { resolver, inner, cache, clock } = setup();
    await cache.put({
      key: 'phone:5105550142',
      status: 'OK',
      candidates: [{ ...PLACE, name: 'STALE NAME' }],
      fetched_at: new Date(clock.t - 40 * DAY).toISOString(),
      expires_at: new Date(clock.t - 10 * DAY).toISOString(),
    });
    expect(await resolver.findByPhone('5105550142')).toEqual([PLACE]);
    expect(inner.calls).toHaveLength(1);
    expect(cache.rows.get('phone:5105550142')!.candidates[0]!.name).toBe('HARBOR LANE GROCERY');
  });

  it('remembers NO_RESULTS for a day: [] without a call, never a match', async () => {
    const { resolver, inner, cache, clock } = setup([]);
    expect(await resolver.searchText('NOWHERE CAFE')).toEqual([]);
    expect(cache.rows.get('text:NOWHERE CAFE')).toMatchObject({ status: 'NO_RESULTS', candidates: [] });
    expect(await resolver.searchText('NOWHERE CAFE')).toEqual([]);
    expect(inner.calls).toHaveLength(1);
    clock.t += DAY + 1;
    await resolver.searchText('NOWHERE CAFE');
    expect(inner.calls).toHaveLength(2);
  });

  it('a NO_RESULTS row that somehow carries candidates is still not served as a hit', async () => {
    const { resolver, inner, cache, clock } = setup();
    await cache.put({
      key: 'phone:5105550142',
      status: 'NO_RESULTS',
      candidates: [PLACE],
      fetched_at: new Date(clock.t).toISOString(),
      expires_at: new Date(clock.t + DAY).toISOString(),
    });
    expect(await resolver.findByPhone('5105550142')).toEqual([]);
    expect(inner.calls).toHaveLength(0);
  });

  it('blank lookups make no call and write no row', async () => {
    const { resolver, inner, cache } = setup();
    expect(await resolver.findByPhone('n/a')).toEqual([]);
    expect(await resolver.searchText('  ,, ')).toEqual([]);
    expect(inner.calls).toHaveLength(0);
    expect(cache.puts).toBe(0);
  });
});

// Issue 15/16: a merchant correction to a place only Places knows reads it by id, once per place.
describe('CachingPlacesResolver.getPlace', () => {
  it('asks by id once, then answers from the id: row until it expires', async () => {
    const { clock, cache, inner, resolver } = setup();
    expect(await resolver.getPlace(PLACE.place_id)).toEqual(PLACE);
    expect(await resolver.getPlace(` ${PLACE.place_id} `)).toEqual(PLACE);
    expect(inner.calls).toEqual([`id:${PLACE.place_id}`]);
    expect([...cache.rows.keys()]).toEqual([`id:${PLACE.place_id}`]);
    clock.t += 30 * 24 * 3600_000 + 1; // past the default 30-day OK TTL
    expect(await resolver.getPlace(PLACE.place_id)).toEqual(PLACE);
    expect(inner.calls).toHaveLength(2);
  });

  it('remembers an unknown id as NO_RESULTS (null, no second call), and makes no call for a blank one', async () => {
    const { cache, inner, resolver } = setup();
    expect(await resolver.getPlace('p-unknown')).toBeNull();
    expect(await resolver.getPlace('p-unknown')).toBeNull();
    expect(inner.calls).toEqual(['id:p-unknown']);
    expect(cache.rows.get('id:p-unknown')?.status).toBe('NO_RESULTS');
    expect(await resolver.getPlace('   ')).toBeNull();
    expect(inner.calls).toHaveLength(1);
  });
});

// issue 20, item 6: "+44 20 7946 0958" and "020 7946 0958" paid Places twice.
describe('CachingPlacesResolver with phoneCountry (E.164 keys)', () => {
  const london: PlaceCandidate = { ...PLACE, place_id: 'p-london', phone: '020 7946 0958' };

  it('keys every formatting of one line, national or international, to one E.164 row', async () => {
    const clock = new TestClock();
    const cache = new MapCache();
    const inner = new CountingPlaces([london]);
    const resolver = new CachingPlacesResolver(inner, cache, clock, { phoneCountry: 'GB' });
    for (const phone of ['+44 20 7946 0958', '020 7946 0958', 'TEL: 020-7946-0958', '0044 20 7946 0958']) {
      expect(await resolver.findByPhone(phone)).toEqual([london]);
    }
    expect(inner.calls).toHaveLength(1);
    expect([...cache.rows.keys()]).toEqual(['phone:+442079460958']);
  });

  it('reads national numbers in the configured country only', async () => {
    expect(await phoneCacheKey('03-7954 3388', 'MY')).toBe('phone:+60379543388');
    expect(await phoneCacheKey('+603-79543388', 'MY')).toBe('phone:+60379543388');
    // Without a country a national number has no E.164 form: the digits key, as before.
    expect(await phoneCacheKey('020 7946 0958')).toBe('phone:02079460958');
    // A fragment that is no possible number keeps the digits key rather than a wrong E.164.
    expect(await phoneCacheKey('12-34', 'GB')).toBe('phone:1234');
  });

  it('refuses a phoneCountry that is not a country, naming it, before any Places call', async () => {
    const inner = new CountingPlaces([]);
    const make = (phoneCountry: string) =>
      new CachingPlacesResolver(inner, new MapCache(), new TestClock(), { phoneCountry });
    expect(() => make('gb')).toThrow(/phoneCountry "gb"/);
    // Well formed but no such country: refused on the first phone lookup, with the same error.
    await expect(make('UK').findByPhone('020 7946 0958')).rejects.toThrow(/phoneCountry "UK"/);
    expect(inner.calls).toEqual([]);
    expect(() => make('GB')).not.toThrow();
  });
});
