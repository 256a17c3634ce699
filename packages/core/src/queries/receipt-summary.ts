import { minorDigits } from '../extraction/extract-receipt-fields.js';
import type { ReceiptPlace, PlaceSource } from '../domain/place.js';
import type { Money, PaymentMethod } from '../domain/receipt-fields.js';
import { ownerOf } from '../domain/owner.js';
import type { Receipt, ReceiptLine } from '../domain/receipt.js';

/**
 * What a receipt listing shows of one receipt (issue 15's shared design): enough to find it and
 * to open it, never its lines or words. Built by {@link summarizeReceipt} from the receipt row
 * and its place, the same way in every adapter.
 */
export interface ReceiptSummary {
  image_id: string;
  receipt_id: number;
  owner: string;
  /** The receipt's date field (YYYY-MM-DD), null when none was read or set. */
  date: string | null;
  total: { amount_minor: number; currency: string } | null;
  /** Subtotal and tax where printed (or corrected), as `total`; null otherwise. Exports read them. */
  subtotal: { amount_minor: number; currency: string } | null;
  tax: { amount_minor: number; currency: string } | null;
  payment_method: PaymentMethod | null;
  /**
   * The receipt's place: `place_id` null while the merchant is not resolved to a place (the
   * name is then the one printed, or null). Null when no place was written yet.
   */
  merchant: { place_id: string | null; name: string | null; source: PlaceSource } | null;
  created_at: string;
  possible_duplicate_of?: { image_id: string; receipt_id: number };
}

/** One merchant of an owner: a place their receipts were resolved to. */
export interface MerchantSummary {
  place_id: string;
  /** The merchant name on the place of its newest receipt (the one last_seen is from). */
  name: string | null;
  receipt_count: number;
  /** The newest {@link receiptSortDate} among its receipts (YYYY-MM-DD). */
  last_seen: string;
}

/** The merchant list's order: most receipts first, then by place_id. */
export function compareMerchants(a: MerchantSummary, b: MerchantSummary): number {
  return b.receipt_count - a.receipt_count || (a.place_id < b.place_id ? -1 : a.place_id > b.place_id ? 1 : 0);
}

/**
 * Where a receipt sits in a listing: newest first by sort date, ties by image_id then
 * receipt_id, both descending. A cursor names the position of the last receipt of a page.
 */
export interface ReceiptListPosition {
  date: string;
  image_id: string;
  receipt_id: number;
}

/**
 * The date a receipt is listed (and filtered) by: its date field, else the UTC day it was
 * stored, so that a receipt whose date could not be read still has its place in the list.
 *
 * @example
 * receiptSortDate({ ...receipt, fields: { ...fields, date: null }, created_at: '2024-05-01T23:10:00.000Z' }); // '2024-05-01'
 */
export function receiptSortDate(receipt: Receipt): string {
  return receipt.fields?.date?.value ?? receipt.created_at.slice(0, 10);
}

/** The listing position of a receipt. */
export function receiptListPosition(receipt: Receipt): ReceiptListPosition {
  return { date: receiptSortDate(receipt), image_id: receipt.image_id, receipt_id: receipt.receipt_id };
}

/**
 * Orders listing positions newest first: -1 when `a` comes before `b`. Ids are compared as
 * strings (ids are `[A-Za-z0-9_-]`, all above `#`), so this is exactly the descending order of
 * the storage sort key `<date>#<image_id>#<receipt_id, 5 digits>`.
 */
export function compareListPositions(a: ReceiptListPosition, b: ReceiptListPosition): number {
  if (a.date !== b.date) return a.date > b.date ? -1 : 1;
  if (a.image_id !== b.image_id) return a.image_id > b.image_id ? -1 : 1;
  return b.receipt_id - a.receipt_id;
}

/**
 * An amount in major units (12.5 for 1250 USD cents, 1250 for 1250 JPY): what the amount filter
 * compares, since a person types "between 10 and 20" whatever the currency's decimals.
 */
export function majorAmount(money: Money): number {
  return money.minor / 10 ** minorDigits(money.currency);
}

/**
 * How many characters of a receipt's lines the free-text filter searches. A receipt's lines are
 * a few KB; the cap keeps the lower-cased copy the DynamoDB row carries (for its filter
 * expression) far inside the 400 KB item limit, next to the fields (at most ~89 KB).
 */
export const MAX_SEARCH_TEXT_CHARS = 60_000;

/**
 * The text the free-text filter searches: every line in line order, lower-cased, one per line
 * (`\n` between), cut to {@link MAX_SEARCH_TEXT_CHARS}. Shared by the adapters so that a query
 * matches the same receipts everywhere.
 *
 * @example
 * receiptSearchText(lines).includes('flat white'); // case-insensitive: the query is lower-cased too
 */
export function receiptSearchText(lines: readonly Pick<ReceiptLine, 'line_id' | 'text'>[]): string {
  return [...lines]
    .sort((a, b) => a.line_id - b.line_id)
    .map((line) => line.text.toLowerCase())
    .join('\n')
    .slice(0, MAX_SEARCH_TEXT_CHARS);
}

/** The listing's view of a place (null without one). */
export function listedMerchant(place: ReceiptPlace | null): ReceiptSummary['merchant'] {
  return place ? { place_id: place.place_id, name: place.merchant_name, source: place.source } : null;
}

/**
 * A receipt as a listing shows it, from its row and the listing's view of its place.
 *
 * @example
 * summarizeReceipt(receipt, listedMerchant(await receipts.getPlace(imageId, receiptId)));
 * // { image_id, receipt_id, owner: 'default', date: '2024-03-14', total: { amount_minor: 1250, currency: 'USD' },
 * //   subtotal, tax, payment_method: 'card', merchant: {...}, created_at }
 */
export function summarizeReceipt(receipt: Receipt, merchant: ReceiptSummary['merchant']): ReceiptSummary {
  const fields = receipt.fields;
  const amount = (money: Money | null | undefined) =>
    money ? { amount_minor: money.minor, currency: money.currency } : null;
  const duplicate = (receipt as Receipt & { possible_duplicate_of?: ReceiptSummary['possible_duplicate_of'] })
    .possible_duplicate_of;
  return {
    image_id: receipt.image_id,
    receipt_id: receipt.receipt_id,
    owner: ownerOf(receipt),
    date: fields?.date?.value ?? null,
    total: amount(fields?.total),
    subtotal: amount(fields?.subtotal),
    tax: amount(fields?.tax),
    payment_method: fields?.payment_method?.value ?? null,
    merchant,
    created_at: receipt.created_at,
    ...(duplicate ? { possible_duplicate_of: { image_id: duplicate.image_id, receipt_id: duplicate.receipt_id } } : {}),
  };
}

/** The listing position of a summary (its date, else the day it was stored). */
export function summaryPosition(summary: ReceiptSummary): ReceiptListPosition {
  return {
    date: summary.date ?? summary.created_at.slice(0, 10),
    image_id: summary.image_id,
    receipt_id: summary.receipt_id,
  };
}
