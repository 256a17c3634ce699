import type { PlacesCacheEntry } from '../domain/index.js';

/** Cached Places answers by lookup key (`phone:…`, `text:…`); a row expires at `expires_at`. */
export interface PlacesCache {
  /** The stored row, expired or not: the caller decides (an expired row means refetch). */
  get(key: string): Promise<PlacesCacheEntry | null>;
  /** Creates or overwrites. */
  put(entry: PlacesCacheEntry): Promise<void>;
}
