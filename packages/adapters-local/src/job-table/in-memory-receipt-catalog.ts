import {
  compareMerchants,
  listedMerchant,
  majorAmount,
  receiptSearchText,
  summarizeReceipt,
  type MerchantSummary,
  type ReceiptCatalog,
  type ReceiptCatalogPage,
  type ReceiptCatalogQuery,
  type ReceiptLine,
} from '@receiptflow/core';
import { imagePk, linesPrefix, receiptListDayEnd, receiptListSk } from '@receiptflow/job-table';
import { InMemoryJobTable } from './in-memory-job-table.js';
import { lowerBound, type ListedEntry } from './receipt-list-index.js';

const LINE_ROW = /#LINE#\d{5}$/;

/**
 * ReceiptCatalog over an {@link InMemoryJobTable} (or {@link FsJobTable}): the same table an
 * {@link InMemoryReceiptStore} writes, read through the table's per-owner sorted listing index
 * (`table.receiptIndex`) as DynamoDB reads GSI3/GSI4. A page is a binary search to its first key
 * (the cursor, or the `to` day) plus a walk down to `from` that stops once the page is full: the
 * merchant and date filters cost the same at 1k receipts as at 100k. The amount and text filters
 * are checked on the receipts walked, as DynamoDB's filter expressions are inside its keyed query.
 *
 * @example
 * const table = await FsJobTable.open('.data/jobs');
 * const catalog = new InMemoryReceiptCatalog({ table });
 * const page = await catalog.listReceipts({ owner: 'default', from: '2024-01-01', limit: 25 });
 */
export class InMemoryReceiptCatalog implements ReceiptCatalog {
  private readonly table: InMemoryJobTable;

  constructor(options: { table: InMemoryJobTable }) {
    this.table = options.table;
  }

  async listReceipts(query: ReceiptCatalogQuery): Promise<ReceiptCatalogPage> {
    const index = this.table.receiptIndex;
    const keys =
      query.merchant === undefined ? index.ownerKeys(query.owner) : index.ownerPlaceKeys(query.owner, query.merchant);
    // Keys ascend; the page walks down from just below the upper bound (exclusive) to `from`.
    const bounds = [
      query.to === undefined ? undefined : receiptListDayEnd(query.to),
      query.after === undefined
        ? undefined
        : receiptListSk(query.after.date, query.after.image_id, query.after.receipt_id),
    ].filter((b): b is string => b !== undefined);
    let i = (bounds.length === 0 ? keys.length : lowerBound(keys, bounds.sort()[0]!)) - 1;
    const matched: ListedEntry[] = [];
    for (; i >= 0 && matched.length <= query.limit; i--) {
      const key = keys[i]!;
      if (query.from !== undefined && key < query.from) break;
      const entry = index.entry(key);
      if (this.matches(entry, query)) matched.push(entry);
    }
    return {
      receipts: matched.slice(0, query.limit).map((e) => summarizeReceipt(e.receipt, listedMerchant(e.place))),
      more: matched.length > query.limit,
    };
  }

  async listMerchants(owner: string): Promise<MerchantSummary[]> {
    const index = this.table.receiptIndex;
    const merchants: MerchantSummary[] = [];
    for (const [placeId, keys] of index.ownerPlaces(owner)) {
      const newest = index.entry(keys.at(-1)!);
      merchants.push({
        place_id: placeId,
        name: newest.place?.merchant_name ?? null,
        receipt_count: keys.length,
        last_seen: newest.key.slice(0, 10),
      });
    }
    return merchants.sort(compareMerchants);
  }

  private matches(entry: ListedEntry, query: ReceiptCatalogQuery): boolean {
    if (query.min !== undefined || query.max !== undefined) {
      const total = entry.receipt.fields?.total;
      if (!total) return false;
      const amount = majorAmount(total);
      if (query.min !== undefined && amount < query.min) return false;
      if (query.max !== undefined && amount > query.max) return false;
    }
    if (query.text !== undefined) {
      const { image_id, receipt_id } = entry.receipt;
      const under = linesPrefix(receipt_id);
      const lines = this.table.query<ReceiptLine>(imagePk(image_id), (sk) => sk.startsWith(under) && LINE_ROW.test(sk));
      if (!receiptSearchText(lines).includes(query.text)) return false;
    }
    return true;
  }
}
