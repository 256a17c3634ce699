import { OwnerSchema } from '../domain/owner.js';
import { DependencyFailure, ValidationError } from '../errors.js';
import { normalizeQuery } from '../merchant/normalize.js';
import type { PlacesResolver } from '../ports/places-resolver.js';
import type { ReceiptCatalog } from '../ports/receipt-catalog.js';

/** Longest place search: a shop's name and street, not a document. */
export const MAX_PLACE_QUERY_CHARS = 200;
/** Places answered at most (known merchants first). */
export const MAX_PLACE_RESULTS = 10;

/** What a place search reads: the owner's merchants, and the Places service (cached). */
export interface SearchPlacesDeps {
  catalog: Pick<ReceiptCatalog, 'listMerchants'>;
  places: Pick<PlacesResolver, 'searchText'>;
}

/** One place a receipt's merchant could be corrected to. */
export interface PlaceOption {
  place_id: string;
  name: string | null;
  formatted_address: string | null;
  phone: string | null;
  /** How many of the owner's receipts are resolved to it already (0: found by Places only). */
  receipt_count: number;
}

export interface SearchPlacesResult {
  places: PlaceOption[];
  /** True when the Places service could not be asked: only the owner's own merchants are listed. */
  places_unavailable: boolean;
}

/**
 * The places a person may pick to correct a receipt's merchant (`GET /places?query=`): the
 * owner's own merchants whose name matches the query first (most receipts first), then what the
 * Places service finds for it (through the cached resolver, so a repeated search costs no call),
 * each place once, at most {@link MAX_PLACE_RESULTS}. When Places fails, the owner's merchants
 * are still answered, with `places_unavailable: true`. ValidationError naming `query` when it
 * is missing, blank or too long.
 *
 * @example
 * const { places } = await searchPlaces({ catalog, places: cachedPlaces }, 'alice', 'blue bottle');
 * // [{ place_id: 'ChIJ-blue-bottle', name: 'Blue Bottle Coffee', receipt_count: 12, ... }, { place_id: 'ChIJ-bb-2', ..., receipt_count: 0 }]
 */
export async function searchPlaces(
  deps: SearchPlacesDeps,
  owner: string,
  query: string | undefined,
): Promise<SearchPlacesResult> {
  const text = (query ?? '').trim();
  if (text.length === 0) throw new ValidationError('invalid query', ['query is required: a name or address to search']);
  if (text.length > MAX_PLACE_QUERY_CHARS) {
    throw new ValidationError('invalid query', [`query is longer than ${MAX_PLACE_QUERY_CHARS} characters`]);
  }
  const checkedOwner = OwnerSchema.safeParse(owner);
  if (!checkedOwner.success) throw new ValidationError('owner is invalid', [`owner: ${owner}`]);

  const wanted = normalizeQuery(text);
  const merchants = await deps.catalog.listMerchants(checkedOwner.data);
  const known: PlaceOption[] = merchants
    .filter((m) => wanted.length > 0 && normalizeQuery(m.name ?? '').includes(wanted))
    .map((m) => ({
      place_id: m.place_id,
      name: m.name,
      formatted_address: null,
      phone: null,
      receipt_count: m.receipt_count,
    }));

  let found: PlaceOption[] = [];
  let unavailable = false;
  try {
    found = (await deps.places.searchText(text)).map((c) => ({
      place_id: c.place_id,
      name: c.name,
      formatted_address: c.formatted_address,
      phone: c.phone,
      receipt_count: 0,
    }));
  } catch (error) {
    // A Places outage must not hide the merchants the owner already has.
    if (!(error instanceof DependencyFailure)) throw error;
    unavailable = true;
  }

  const byId = new Map<string, PlaceOption>();
  for (const option of known) byId.set(option.place_id, option);
  for (const option of found) {
    const mine = byId.get(option.place_id);
    // A known merchant found by Places too gains its address and phone, and keeps its place in the list.
    if (mine)
      byId.set(option.place_id, { ...option, name: mine.name ?? option.name, receipt_count: mine.receipt_count });
    else byId.set(option.place_id, option);
  }
  return { places: [...byId.values()].slice(0, MAX_PLACE_RESULTS), places_unavailable: unavailable };
}
