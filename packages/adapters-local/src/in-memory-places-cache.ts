import type { PlacesCache, PlacesCacheEntry } from '@receiptflow/core';

/**
 * Places answers in memory; rows are returned expired or not, and put always overwrites.
 *
 * @example
 * const places = new CachingPlacesResolver(new CatalogPlacesResolver(catalog), new InMemoryPlacesCache(), clock);
 */
export class InMemoryPlacesCache implements PlacesCache {
  private readonly entries = new Map<string, PlacesCacheEntry>();

  async get(key: string): Promise<PlacesCacheEntry | null> {
    const entry = this.entries.get(key);
    return entry ? structuredClone(entry) : null;
  }

  async put(entry: PlacesCacheEntry): Promise<void> {
    this.entries.set(entry.key, structuredClone(entry));
  }
}
