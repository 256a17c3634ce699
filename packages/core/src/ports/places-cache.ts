import type { PlacesCacheEntry } from '../domain/index.js';

/**
 * Cached Places answers by lookup key (`phone:…`, `text:…`); a row expires at `expires_at`.
 *
 * @example
 * const hit = await cache.get('phone:+15551234567');
 * if (hit === null || hit.expires_at <= isoNow(clock)) {
 *   await cache.put({ key: 'phone:+15551234567', status: 'OK', candidates, fetched_at, expires_at });
 * }
 */
export interface PlacesCache {
  /** The stored row, expired or not: the caller decides (an expired row means refetch). */
  get(key: string): Promise<PlacesCacheEntry | null>;
  /** Creates or overwrites. */
  put(entry: PlacesCacheEntry): Promise<void>;
}
