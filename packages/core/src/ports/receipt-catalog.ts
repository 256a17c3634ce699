import type { MerchantSummary, ReceiptListPosition, ReceiptSummary } from '../queries/receipt-summary.js';

/**
 * One page request of an owner's receipts, as the catalog answers it: validated already (by
 * `listReceipts`), every bound inclusive, `after` exclusive.
 */
export interface ReceiptCatalogQuery {
  owner: string;
  /** Only receipts whose place has this place_id. */
  merchant?: string;
  /** Sort dates (receiptSortDate) from this day on, YYYY-MM-DD. */
  from?: string;
  /** Sort dates up to and including this day, YYYY-MM-DD. */
  to?: string;
  /** Totals of at least this many major units (majorAmount); a receipt without a total never matches. */
  min?: number;
  /** Totals of at most this many major units. */
  max?: number;
  /** Lower-cased already; matches a substring of receiptSearchText. */
  text?: string;
  /** Start after this position (the last receipt of the previous page). */
  after?: ReceiptListPosition;
  /** At most this many receipts (1..100). */
  limit: number;
}

export interface ReceiptCatalogPage {
  /** Newest first (compareListPositions). */
  receipts: ReceiptSummary[];
  /** Whether at least one more receipt matches after the last one returned. */
  more: boolean;
}

/**
 * The owner's receipts as a person finds them: listed newest first with filters, and the
 * merchants they were bought at. The read side of the job table.
 *
 * Why a port of its own rather than more methods on {@link ReceiptStore}: the store is what the
 * pipeline writes through (by image, by receipt), the catalog is what a person reads (by owner,
 * across images), and the queries need nothing but this. The catalog is kept current by the
 * store's writes (create, putFields, putPlace, deletePlace, delete) in each adapter: on
 * DynamoDB the receipt row carries the index attributes (GSI3/GSI4/GSI5, docs/adapters.md#access-patterns),
 * locally the job table keeps per-owner sorted indexes. So a catalog adapter is built over the
 * same storage as the store and never written to directly.
 *
 * Promises (proved by `describeReceiptCatalogContract`):
 * - only `owner`'s receipts, newest first by sort date, ties by image_id then receipt_id (descending);
 * - a page never repeats or skips a receipt when paged with `after` = the last one's position;
 * - filters combine (AND); the date and merchant filters are keyed, never a scan of all receipts;
 * - a receipt's corrected date, total or place moves it in the listing, a deleted one is gone;
 * - merchants count each receipt of the owner once under its current place, with the newest sort date.
 *
 * @example
 * const page = await catalog.listReceipts({ owner: 'alice', merchant: 'ChIJ…', from: '2024-01-01', limit: 25 });
 * const next = await catalog.listReceipts({ owner: 'alice', limit: 25, after: receiptListPosition(last) });
 * const merchants = await catalog.listMerchants('alice'); // [{ place_id, name, receipt_count, last_seen }]
 */
export interface ReceiptCatalog {
  listReceipts(query: ReceiptCatalogQuery): Promise<ReceiptCatalogPage>;
  /** Every merchant of the owner with at least one receipt, by receipt_count descending, then place_id. */
  listMerchants(owner: string): Promise<MerchantSummary[]>;
}
