import * as z from 'zod';
import { schema } from '../schema.js';
import { fnv1a64 } from '../domain/checksum.js';
import { IdSchema, ReceiptIdSchema } from '../domain/ids.js';
import { OwnerSchema } from '../domain/owner.js';
import { IsoDateSchema } from '../domain/receipt-fields.js';
import { ValidationError } from '../errors.js';
import type { ReceiptCatalog, ReceiptCatalogQuery } from '../ports/receipt-catalog.js';
import {
  summaryPosition,
  type MerchantSummary,
  type ReceiptListPosition,
  type ReceiptSummary,
} from './receipt-summary.js';

/** What the receipt queries read. */
export interface ReceiptQueryDeps {
  catalog: ReceiptCatalog;
}

export const DEFAULT_LIST_LIMIT = 25;
export const MAX_LIST_LIMIT = 100;
/** Longest free-text filter: a phrase of a receipt line, not a document. */
export const MAX_TEXT_FILTER_CHARS = 200;

/**
 * The filters of a receipt listing (`GET /receipts`, `receipts list`). Unknown keys are refused,
 * so a misspelt filter is an error rather than a silently unfiltered list.
 */
export const ListReceiptsQuerySchema = /* @__PURE__ */ schema(() =>
  z
    .object({
      /** A place_id: only receipts resolved to that place. */
      merchant: z.string().min(1).max(512).optional(),
      /** Inclusive, YYYY-MM-DD, on the receipt's date (else the day it was stored). */
      from: IsoDateSchema.optional(),
      to: IsoDateSchema.optional(),
      /** Inclusive, in major units (12.5), each receipt's total read with its currency's decimals. */
      min: z.number().finite().optional(),
      max: z.number().finite().optional(),
      /** Case-insensitive substring of the receipt's lines. */
      text: z.string().trim().min(1).max(MAX_TEXT_FILTER_CHARS).optional(),
      limit: z.number().int().min(1).max(MAX_LIST_LIMIT).optional(),
      /** `next_cursor` of the previous page, as it was returned. */
      cursor: z.string().min(1).max(1024).optional(),
    })
    .strict(),
);
export type ListReceiptsQuery = z.input<typeof ListReceiptsQuerySchema>;

export interface ListReceiptsResult {
  receipts: ReceiptSummary[];
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor: string | null;
}

/**
 * An owner's receipts, newest first (receipt date, else upload day; ties by image_id and
 * receipt_id), filtered by merchant (place_id), date range, amount range and text, one page at
 * a time. Only `owner`'s receipts are ever listed. The cursor is opaque to callers: it names the
 * last receipt of the page and the owner and filters it was made for, so a cursor that was
 * changed, or belongs to another listing (other filters, another owner), is a ValidationError
 * naming `cursor` rather than a page of something else. A bad filter is a ValidationError naming
 * it (`from`, `limit`, ...).
 *
 * @example
 * const first = await listReceipts({ catalog }, 'alice', { merchant: 'ChIJ-blue-bottle', from: '2024-01-01', limit: 10 });
 * // { receipts: [{ image_id, receipt_id, owner: 'alice', date: '2024-03-14', total: { amount_minor: 1250, currency: 'USD' }, subtotal, tax, payment_method, merchant: {...}, created_at }, ...],
 * //   next_cursor: 'eyJ2IjoxLC...' }
 * const second = await listReceipts({ catalog }, 'alice', { merchant: 'ChIJ-blue-bottle', from: '2024-01-01', cursor: first.next_cursor! });
 */
export async function listReceipts(
  deps: ReceiptQueryDeps,
  owner: string,
  query: ListReceiptsQuery = {},
): Promise<ListReceiptsResult> {
  const checkedOwner = checkOwner(owner);
  const parsed = ListReceiptsQuerySchema.safeParse(query);
  if (!parsed.success) throw new ValidationError('receipt listing query is invalid', issuesOf(parsed.error));
  const { cursor, limit = DEFAULT_LIST_LIMIT, ...filters } = parsed.data;
  const rangeIssues = [
    ...(filters.from !== undefined && filters.to !== undefined && filters.from > filters.to
      ? [`from: ${filters.from} is after to ${filters.to}`]
      : []),
    ...(filters.min !== undefined && filters.max !== undefined && filters.min > filters.max
      ? [`min: ${filters.min} is more than max ${filters.max}`]
      : []),
  ];
  if (rangeIssues.length > 0) throw new ValidationError('receipt listing query is invalid', rangeIssues);

  const catalogQuery: ReceiptCatalogQuery = {
    owner: checkedOwner,
    ...filters,
    ...(filters.text !== undefined ? { text: filters.text.toLowerCase() } : {}),
    limit,
  };
  const fingerprint = listingFingerprint(catalogQuery);
  if (cursor !== undefined) catalogQuery.after = decodeCursor(cursor, fingerprint);

  const page = await deps.catalog.listReceipts(catalogQuery);
  const last = page.receipts.at(-1);
  return {
    receipts: page.receipts,
    next_cursor: page.more && last ? encodeCursor(summaryPosition(last), fingerprint) : null,
  };
}

export interface ListMerchantsResult {
  merchants: MerchantSummary[];
}

/**
 * The merchants of an owner's receipts: each place_id with how many of the owner's receipts are
 * resolved to it and the newest receipt date, most receipts first. Corrections and deletes are
 * reflected (the count is of the receipts as they are now).
 *
 * @example
 * const { merchants } = await listMerchants({ catalog }, 'alice');
 * // [{ place_id: 'ChIJ-blue-bottle', name: 'Blue Bottle Coffee', receipt_count: 12, last_seen: '2024-03-14' }, ...]
 */
export async function listMerchants(deps: ReceiptQueryDeps, owner: string): Promise<ListMerchantsResult> {
  return { merchants: await deps.catalog.listMerchants(checkOwner(owner)) };
}

function checkOwner(owner: string): string {
  const parsed = OwnerSchema.safeParse(owner);
  if (!parsed.success)
    throw new ValidationError(
      'owner is invalid',
      parsed.error.issues.map((i) => `owner: ${i.message}`),
    );
  return parsed.data;
}

/** zod issues as `<parameter>: <problem>`, unknown keys each named. */
function issuesOf(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${key}: is not a known filter`);
    return [`${issue.path.join('.') || '(query)'}: ${issue.message}`];
  });
}

/** Names the owner and filters a cursor belongs to (not the page size, which may change between pages). */
function listingFingerprint(query: ReceiptCatalogQuery): string {
  const { owner, merchant, from, to, min, max, text } = query;
  return fnv1a64(JSON.stringify([owner, merchant, from, to, min, max, text]));
}

const CursorSchema = /* @__PURE__ */ schema(() =>
  z.object({ v: z.literal(1), d: IsoDateSchema, i: IdSchema, r: ReceiptIdSchema, q: z.string() }).strict(),
);

/** `base64url(JSON)` of the position and the listing's fingerprint. */
function encodeCursor(position: ReceiptListPosition, fingerprint: string): string {
  const json = JSON.stringify({ v: 1, d: position.date, i: position.image_id, r: position.receipt_id, q: fingerprint });
  const bytes = new TextEncoder().encode(json);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function decodeCursor(cursor: string, fingerprint: string): ReceiptListPosition {
  const bad = (why: string): ValidationError =>
    new ValidationError('receipt listing query is invalid', [`cursor: ${why}`]);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad('is not a cursor this listing returned');
  let value: unknown;
  try {
    const binary = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw bad('is not a cursor this listing returned');
  }
  const parsed = CursorSchema.safeParse(value);
  if (!parsed.success) throw bad('is not a cursor this listing returned');
  if (parsed.data.q !== fingerprint) throw bad('belongs to another listing (other filters or owner); start without it');
  return { date: parsed.data.d, image_id: parsed.data.i, receipt_id: parsed.data.r };
}
