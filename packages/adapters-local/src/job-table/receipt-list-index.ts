import { ownerOf, receiptSortDate, type Entity, type Receipt, type ReceiptPlace } from '@receiptflow/core';
import { receiptListSk } from '@receiptflow/job-table';

/** One listed receipt: its row and its place as the table holds them now (not copies: read-only). */
export interface ListedEntry {
  key: string;
  owner: string;
  receipt: Receipt;
  place: ReceiptPlace | null;
}

/**
 * The local stand-in for the job table's listing GSIs (GSI3 by owner, GSI4 by owner and place,
 * GSI5 the owner's merchants): per-owner and per-(owner, place) arrays of listing sort keys
 * (`receiptListSk`), kept sorted, so that a page or a date range is a binary search plus the
 * page, whatever the number of receipts. {@link InMemoryJobTable} feeds it every row write and
 * removal (commits and journal replay alike), so it always agrees with the rows: a receipt
 * whose date changes moves, one whose place changes moves between places, a deleted one leaves.
 *
 * @example
 * const keys = index.ownerKeys('alice'); // ascending; read from the end for newest first
 * const entry = index.entry(keys.at(-1)!);
 */
export class ReceiptListIndex {
  private readonly entries = new Map<string, ListedEntry>();
  /** `image_id/receipt_id` → listing key of its entry. */
  private readonly keyOf = new Map<string, string>();
  /** Place rows by `image_id/receipt_id`, also before (or without) their receipt. */
  private readonly places = new Map<string, ReceiptPlace>();
  private readonly byOwner = new Map<string, string[]>();
  /** owner → place_id → keys. */
  private readonly byOwnerPlace = new Map<string, Map<string, string[]>>();

  /** Follows one row write (`next` set) or removal (`next` null). */
  apply(entity: Entity, next: Record<string, unknown> | null, previous: Record<string, unknown> | null): void {
    if (entity === 'RECEIPT') {
      const ref = refOf((next ?? previous) as unknown as Receipt);
      this.unlist(ref);
      if (next) this.list(ref, next as unknown as Receipt);
    } else if (entity === 'RECEIPT_PLACE') {
      const ref = refOf((next ?? previous) as unknown as ReceiptPlace);
      const key = this.keyOf.get(ref);
      const entry = key === undefined ? undefined : this.entries.get(key);
      if (entry) this.placeIndex(entry, 'remove');
      if (next) this.places.set(ref, next as unknown as ReceiptPlace);
      else this.places.delete(ref);
      if (entry) {
        entry.place = this.places.get(ref) ?? null;
        this.placeIndex(entry, 'add');
      }
    }
  }

  /** The owner's listing keys, ascending (shared: do not modify). */
  ownerKeys(owner: string): readonly string[] {
    return this.byOwner.get(owner) ?? [];
  }

  /** The listing keys of the owner's receipts at one place, ascending (shared: do not modify). */
  ownerPlaceKeys(owner: string, placeId: string): readonly string[] {
    return this.byOwnerPlace.get(owner)?.get(placeId) ?? [];
  }

  /** Each place_id of the owner's receipts with its keys, ascending. */
  ownerPlaces(owner: string): ReadonlyMap<string, readonly string[]> {
    return this.byOwnerPlace.get(owner) ?? new Map();
  }

  entry(key: string): ListedEntry {
    const entry = this.entries.get(key);
    if (!entry) throw new Error(`listing index has no entry ${key}`);
    return entry;
  }

  private list(ref: string, receipt: Receipt): void {
    const key = receiptListSk(receiptSortDate(receipt), receipt.image_id, receipt.receipt_id);
    const entry: ListedEntry = { key, owner: ownerOf(receipt), receipt, place: this.places.get(ref) ?? null };
    this.entries.set(key, entry);
    this.keyOf.set(ref, key);
    insertSorted(
      getOrCreate(this.byOwner, entry.owner, () => []),
      key,
    );
    this.placeIndex(entry, 'add');
  }

  private unlist(ref: string): void {
    const key = this.keyOf.get(ref);
    if (key === undefined) return;
    const entry = this.entries.get(key)!;
    this.placeIndex(entry, 'remove');
    const keys = this.byOwner.get(entry.owner)!;
    removeSorted(keys, key);
    if (keys.length === 0) this.byOwner.delete(entry.owner);
    this.entries.delete(key);
    this.keyOf.delete(ref);
  }

  private placeIndex(entry: ListedEntry, op: 'add' | 'remove'): void {
    const placeId = entry.place?.place_id;
    if (placeId === null || placeId === undefined) return;
    const places = getOrCreate(this.byOwnerPlace, entry.owner, () => new Map<string, string[]>());
    const keys = getOrCreate(places, placeId, () => []);
    if (op === 'add') insertSorted(keys, entry.key);
    else removeSorted(keys, entry.key);
    if (keys.length === 0) places.delete(placeId);
    if (places.size === 0) this.byOwnerPlace.delete(entry.owner);
  }
}

function refOf(row: { image_id: string; receipt_id: number }): string {
  return `${row.image_id}/${row.receipt_id}`;
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = make()));
  return value;
}

/** The first index whose key is not below `key` (binary search). */
export function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(keys: string[], key: string): void {
  const at = lowerBound(keys, key);
  if (keys[at] !== key) keys.splice(at, 0, key);
}

function removeSorted(keys: string[], key: string): void {
  const at = lowerBound(keys, key);
  if (keys[at] === key) keys.splice(at, 1);
}
