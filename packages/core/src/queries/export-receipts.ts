import { exportChunks, type ExportFormat, type ExportSource } from './export-format.js';
import { listReceipts, MAX_LIST_LIMIT, type ListReceiptsQuery, type ReceiptQueryDeps } from './list-receipts.js';

/** The filters an export takes: a listing's, without its paging. */
export type ExportReceiptsQuery = Omit<ListReceiptsQuery, 'limit' | 'cursor'>;

/**
 * Every receipt of `owner` (matching `query`, the filters of {@link listReceipts}), newest
 * first, as CSV (a header, then one row per receipt; columns {@link EXPORT_CSV_COLUMNS}) or JSON
 * Lines, in chunks of one listing page (100 receipts). Pages are read one at a time, as the
 * consumer pulls, through the catalog's keyed listing: memory holds one page whatever the
 * number of receipts, and a slow consumer slows the reads. Only the owner's receipts are read.
 *
 * A bad format throws at once; a bad filter throws from the first `next()`, before any chunk
 * (ValidationError naming the parameter either way).
 *
 * @example
 * for await (const chunk of exportReceipts({ catalog }, 'alice', 'csv', { from: '2024-01-01' })) {
 *   response.write(chunk); // "image_id,receipt_id,date,merchant,...\r\n", then 100 rows a chunk
 * }
 */
export function exportReceipts(
  deps: ReceiptQueryDeps,
  owner: string,
  format: ExportFormat,
  query: ExportReceiptsQuery = {},
): AsyncIterable<string> {
  return exportChunks(format, pages());

  async function* pages(): AsyncIterable<ExportSource[]> {
    let cursor: string | null = null;
    do {
      const page = await listReceipts(deps, owner, { ...query, limit: MAX_LIST_LIMIT, ...(cursor ? { cursor } : {}) });
      yield page.receipts;
      cursor = page.next_cursor;
    } while (cursor);
  }
}
