import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  compareMerchants,
  summarizeReceipt,
  type MerchantSummary,
  type ReceiptCatalog,
  type ReceiptCatalogPage,
  type ReceiptCatalogQuery,
} from '@receiptflow/core';
import {
  ownerMerchantsGsi5Pk,
  ownerPlaceGsi4Pk,
  ownerReceiptsGsi3Pk,
  receiptListDayEnd,
  receiptListSk,
} from '@receiptflow/job-table';
import { DynamoDbJobTableStore, type DynamoDbStoreConfig } from './dynamodb-job-table-store.js';
import {
  SEARCH_TEXT,
  TOTAL_MAJOR,
  isCommittedReceiptItem,
  listedPlaceFromItem,
  receiptFromItem,
} from './item-codec.js';
import { JOB_TABLE } from './table-definition.js';

/**
 * ReceiptCatalog over the DynamoDB job table, by keys only (never a Scan;
 * docs/adapters.md#access-patterns). A listing is one Query, newest first
 * (`ScanIndexForward: false`), on GSI3 (`OWNER#<owner>`) or, with a merchant, on GSI4
 * (`OWNER#<owner>#PLACE#<place_id>`); the date range and the cursor are the sort-key condition
 * (`<date>#<image_id>#<receipt_id>`), so they cost only the page read. The amount and text
 * filters are filter expressions inside that keyed query (on `total_major` and `search_text`,
 * which the receipt row carries): they cost the receipts read in the keyed range, matching or
 * not. The merchants are one Query of GSI5 (`OWNER#<owner>#MERCHANTS`, a small INCLUDE
 * projection), aggregated here: counts are of the rows as they are, so corrections and deletes
 * need no counter to keep right. GSIs are eventually consistent: a receipt written a moment ago
 * may be missing from a listing for that moment.
 *
 * The rows are kept current by {@link DynamoDbReceiptStore} writes over the same table.
 *
 * @example
 * const catalog = new DynamoDbReceiptCatalog(doc, { tableName: 'receiptflow-jobs', clock });
 * const page = await catalog.listReceipts({ owner: 'alice', merchant: 'ChIJ…', from: '2024-01-01', limit: 25 });
 */
export class DynamoDbReceiptCatalog extends DynamoDbJobTableStore implements ReceiptCatalog {
  constructor(doc: DynamoDBDocumentClient, config: DynamoDbStoreConfig) {
    super(doc, config);
  }

  async listReceipts(query: ReceiptCatalogQuery): Promise<ReceiptCatalogPage> {
    const [index, pk] =
      query.merchant === undefined
        ? [JOB_TABLE.gsi3, ownerReceiptsGsi3Pk(query.owner)]
        : [JOB_TABLE.gsi4, ownerPlaceGsi4Pk(query.owner, query.merchant)];
    const after =
      query.after === undefined
        ? undefined
        : receiptListSk(query.after.date, query.after.image_id, query.after.receipt_id);
    const upper = [query.to === undefined ? undefined : receiptListDayEnd(query.to), after]
      .filter((b): b is string => b !== undefined)
      .sort()[0];
    const values: Record<string, unknown> = { ':pk': pk, ':writing': 'WRITING' };
    let keyCondition = '#pk = :pk';
    if (query.from !== undefined && upper !== undefined) {
      keyCondition += ' AND #sk BETWEEN :lo AND :hi';
      values[':lo'] = query.from;
      values[':hi'] = upper;
    } else if (query.from !== undefined) {
      keyCondition += ' AND #sk >= :lo';
      values[':lo'] = query.from;
    } else if (upper !== undefined) {
      keyCondition += ' AND #sk <= :hi';
      values[':hi'] = upper;
    }
    // A receipt still being written (WRITING) is not there yet for readers.
    const filters = ['(attribute_not_exists(write_state) OR write_state <> :writing)'];
    if (query.min !== undefined) {
      filters.push('#total >= :min');
      values[':min'] = query.min;
    }
    if (query.max !== undefined) {
      filters.push('#total <= :max');
      values[':max'] = query.max;
    }
    if (query.text !== undefined) {
      filters.push('contains(#text, :text)');
      values[':text'] = query.text;
    }
    const selective = filters.length > 1;
    // One more than the page tells whether more follow; one more again for the cursor's own row,
    // which the inclusive BETWEEN / <= returns and is skipped below.
    const wanted = query.limit + 2;
    const items = await this.table.query(
      {
        IndexName: index.indexName,
        KeyConditionExpression: keyCondition,
        FilterExpression: filters.join(' AND '),
        ExpressionAttributeNames: {
          '#pk': index.partitionKey,
          ...(keyCondition.includes('#sk') ? { '#sk': index.sortKey } : {}),
          ...(query.min !== undefined || query.max !== undefined ? { '#total': TOTAL_MAJOR } : {}),
          ...(query.text !== undefined ? { '#text': SEARCH_TEXT } : {}),
        },
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        // Limit counts items read before the filter: a selective filter reads bigger pages.
        Limit: selective ? Math.max(wanted, 200) : wanted,
      },
      wanted,
    );
    const matched = items.filter((item) => item[index.sortKey] !== after && isCommittedReceiptItem(item));
    return {
      receipts: matched
        .slice(0, query.limit)
        .map((item) => summarizeReceipt(receiptFromItem(item), listedPlaceFromItem(item))),
      more: matched.length > query.limit,
    };
  }

  async listMerchants(owner: string): Promise<MerchantSummary[]> {
    const items = await this.table.query({
      IndexName: JOB_TABLE.gsi5.indexName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': JOB_TABLE.gsi5.partitionKey },
      ExpressionAttributeValues: { ':pk': ownerMerchantsGsi5Pk(owner) },
      // Newest first: the first row seen of each place is its newest receipt.
      ScanIndexForward: false,
    });
    const merchants = new Map<string, MerchantSummary>();
    for (const item of items) {
      const place = listedPlaceFromItem(item);
      if (place?.place_id == null) continue;
      const seen = merchants.get(place.place_id);
      if (seen) seen.receipt_count++;
      else {
        merchants.set(place.place_id, {
          place_id: place.place_id,
          name: place.name,
          receipt_count: 1,
          last_seen: String(item[JOB_TABLE.gsi5.sortKey]).slice(0, 10),
        });
      }
    }
    return [...merchants.values()].sort(compareMerchants);
  }
}
