import type { PlaceCandidate, PlacesCacheEntry } from '../domain/index.js';
import type { Clock, PlacesCache, PlacesResolver } from '../ports/index.js';
import { ConfigError } from '../errors.js';
import { normalizePhone, normalizeQuery } from './normalize.js';

export interface CachingPlacesResolverConfig {
  /** How long an answer with places is served from cache; default 30 days. */
  okTtlMs?: number;
  /** How long "no such place" is remembered; default 1 day (new businesses open). */
  noResultsTtlMs?: number;
  /**
   * The ISO 3166 country (e.g. `GB`, `MY`) whose national numbers receipts print: with it,
   * "020 7946 0958" and "+44 20 7946 0958" share one cache entry (one Places call, not two).
   */
  phoneCountry?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_OK_TTL_MS = 30 * DAY_MS;
export const DEFAULT_NO_RESULTS_TTL_MS = DAY_MS;
/** Longer free-text queries are cut here, both for the call and the cache key. */
const MAX_QUERY_LENGTH = 200;

/**
 * The cache key of a phone lookup. With `phoneCountry` (the country receipts come from), it is
 * `phone:<E.164>` (`phone:+442079460958`) whenever the number parses, so every formatting of one
 * line, national or international, shares one key. Without it a national number cannot be placed
 * in a country, so the key stays `phone:<digits>` ({@link normalizePhone}, which folds +1 and +60
 * only); a number that does not parse also falls back to that. Async because the phone metadata
 * loads on first use (see phone-e164.ts).
 *
 * @example
 * (await phoneCacheKey('020 7946 0958', 'GB')) === (await phoneCacheKey('+44 20 7946 0958', 'GB')); // true
 */
export async function phoneCacheKey(phone: string, phoneCountry?: string): Promise<string> {
  if (!phoneCountry) return `phone:${normalizePhone(phone)}`;
  const { isPhoneCountry, phoneE164 } = await import('./phone-e164.js');
  if (!isPhoneCountry(phoneCountry)) throw unknownCountry(phoneCountry);
  return `phone:${phoneE164(phone, phoneCountry) ?? normalizePhone(phone)}`;
}

const unknownCountry = (code: string) =>
  new ConfigError(`phoneCountry "${code}" is not an ISO 3166 country code with phone numbering (e.g. GB, MY, US)`);

/** The cache key of a by-id lookup: `id:<place_id>` (ids are opaque: kept as given). */
export function placeIdCacheKey(placeId: string): string {
  return `id:${placeId.trim()}`;
}

/** The cache key of a text search: `text:<normalised query>`. */
export function textCacheKey(query: string): string {
  return `text:${normalizeQuery(query).slice(0, MAX_QUERY_LENGTH)}`;
}

/**
 * A PlacesResolver that asks the wrapped one only when the cache has no fresh answer. An expired
 * row is refetched (one call) and overwritten; a fresh NO_RESULTS row answers `[]` without a
 * call, and is never served as a match (docs/lessons.md#lesson-21-places-accepted-the-wrong-merchant). Blank lookups make no call at all.
 * `getPlace` is cached under `id:<place_id>` the same way (a place, or "no such id").
 */
export class CachingPlacesResolver implements PlacesResolver {
  private readonly okTtlMs: number;
  private readonly noResultsTtlMs: number;
  private readonly phoneCountry: string | undefined;

  /**
   * Answers from `cache` while an entry is fresh, else asks `inner` and stores its answer (places
   * for `okTtlMs`, "no such place" for `noResultsTtlMs`).
   *
   * @example
   * const places = new CachingPlacesResolver(new GooglePlacesResolver({ apiKey, clock }), placesCache, clock, {
   *   noResultsTtlMs: 24 * 3600_000,
   * });
   */
  constructor(
    private readonly inner: PlacesResolver,
    private readonly cache: PlacesCache,
    private readonly clock: Clock,
    config: CachingPlacesResolverConfig = {},
  ) {
    this.okTtlMs = config.okTtlMs ?? DEFAULT_OK_TTL_MS;
    this.noResultsTtlMs = config.noResultsTtlMs ?? DEFAULT_NO_RESULTS_TTL_MS;
    // The shape is checked here; whether the country exists, on the first phone lookup (phone-e164.ts).
    if (config.phoneCountry !== undefined && !/^[A-Z]{2}$/.test(config.phoneCountry)) {
      throw unknownCountry(config.phoneCountry);
    }
    this.phoneCountry = config.phoneCountry;
  }

  async findByPhone(phone: string): Promise<PlaceCandidate[]> {
    const digits = normalizePhone(phone);
    if (digits.length === 0) return [];
    return this.lookup(await phoneCacheKey(phone, this.phoneCountry), () => this.inner.findByPhone(digits));
  }

  async searchText(query: string): Promise<PlaceCandidate[]> {
    const normalized = normalizeQuery(query).slice(0, MAX_QUERY_LENGTH);
    if (normalized.length === 0) return [];
    return this.lookup(textCacheKey(query), () => this.inner.searchText(query.trim().slice(0, MAX_QUERY_LENGTH)));
  }

  async getPlace(placeId: string): Promise<PlaceCandidate | null> {
    const id = placeId.trim();
    if (id.length === 0) return null;
    const [place] = await this.lookup(placeIdCacheKey(id), async () => {
      const found = await this.inner.getPlace(id);
      return found ? [found] : [];
    });
    return place ?? null;
  }

  private async lookup(key: string, fetch: () => Promise<PlaceCandidate[]>): Promise<PlaceCandidate[]> {
    const now = this.clock.now();
    const cached = await this.cache.get(key);
    if (cached && Date.parse(cached.expires_at) > now) {
      return cached.status === 'OK' ? cached.candidates.map((c) => ({ ...c })) : [];
    }
    const candidates = await fetch();
    const status = candidates.length > 0 ? 'OK' : 'NO_RESULTS';
    const entry: PlacesCacheEntry = {
      key,
      status,
      candidates: status === 'OK' ? candidates : [],
      fetched_at: new Date(now).toISOString(),
      expires_at: new Date(now + (status === 'OK' ? this.okTtlMs : this.noResultsTtlMs)).toISOString(),
    };
    await this.cache.put(entry);
    return candidates;
  }
}
