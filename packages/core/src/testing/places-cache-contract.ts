import { expect, it } from 'vitest';
import type { PlacesCache } from '../ports/index.js';
import { type ContractSubject, defineContract } from './contract-helpers.js';
import { makePlacesCacheEntry } from './fixtures.js';

/** What a PlacesCache contract factory returns: a fresh, empty cache. */
export type PlacesCacheContractSubject = ContractSubject<PlacesCache>;

/** The PlacesCache contract: rows by key, returned expired or not, overwritten by put (docs/lessons.md#lesson-21-places-accepted-the-wrong-merchant). */
export const describePlacesCacheContract = defineContract<PlacesCache>('PlacesCache', (cache) => {
  it('get of an absent key is null', async () => {
    expect(await cache.get('phone:+15550000000')).toBeNull();
  });

  it('round-trips an entry, with a key of any characters', async () => {
    const entry = makePlacesCacheEntry({ key: "text:Trader Joe's #123, 123 Main St / Springfield" });
    await cache.put(entry);
    expect(await cache.get(entry.key)).toEqual(entry);
    expect(await cache.get(`${entry.key} `)).toBeNull();
  });

  it('round-trips a NO_RESULTS entry with no candidates', async () => {
    const entry = makePlacesCacheEntry({ status: 'NO_RESULTS', candidates: [] });
    await cache.put(entry);
    expect(await cache.get(entry.key)).toEqual(entry);
  });

  it('returns an expired row as stored (the caller decides to refetch)', async () => {
    const entry = makePlacesCacheEntry({
      fetched_at: '2000-01-01T00:00:00.000Z',
      expires_at: '2000-01-31T00:00:00.000Z',
    });
    await cache.put(entry);
    expect(await cache.get(entry.key)).toEqual(entry);
  });

  // docs/lessons.md#lesson-21-places-accepted-the-wrong-merchant
  it('put overwrites, including an expired row', async () => {
    const expired = makePlacesCacheEntry({
      status: 'NO_RESULTS',
      candidates: [],
      fetched_at: '2000-01-01T00:00:00.000Z',
      expires_at: '2000-01-31T00:00:00.000Z',
    });
    await cache.put(expired);
    const fresh = makePlacesCacheEntry({ key: expired.key });
    await cache.put(fresh);
    expect(await cache.get(expired.key)).toEqual(fresh);
  });

  it('returns copies: mutating a read entry changes nothing stored', async () => {
    const entry = makePlacesCacheEntry();
    await cache.put(entry);
    const read = await cache.get(entry.key);
    read!.candidates.push({ place_id: 'x', name: 'x', formatted_address: null, phone: null });
    expect(await cache.get(entry.key)).toEqual(entry);
  });
});
