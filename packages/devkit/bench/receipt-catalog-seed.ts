/**
 * Receipts written straight into the stores (no OCR) for the read-side bench: what the results
 * step would have stored, at a fixed density of RECEIPTS_PER_DAY receipts a day over MERCHANTS
 * merchants, so that a filter over a fixed window of days matches the same number of receipts
 * whatever the total (the listing's page is equally full at 1k and at 100k).
 */
import { InMemoryJobTable } from '@receiptflow/adapters-local';
import type { ChangeRecord, Receipt } from '@receiptflow/core';
import { makeReceiptFields, makeReceiptPlace } from '@receiptflow/core/testing';

export const BENCH_OWNER = 'bench';
export const RECEIPTS_PER_DAY = 10;
export const MERCHANTS = 20;
/** The first (newest) day; receipt i is `floor(i / RECEIPTS_PER_DAY)` days before it. */
const NEWEST = Date.UTC(2025, 11, 31);

/** The day receipt `i` is dated, YYYY-MM-DD. */
export function seedDay(i: number): string {
  return new Date(NEWEST - Math.floor(i / RECEIPTS_PER_DAY) * 86_400_000).toISOString().slice(0, 10);
}

export function seedMerchant(i: number): string {
  return `bench-place-${i % MERCHANTS}`;
}

/**
 * A job table holding `n` receipts of {@link BENCH_OWNER}, each with fields and a place, built
 * as a journal replay builds it (`InMemoryJobTable.fromChanges`): the rows the results step
 * writes, without the per-write copies and checks of the store (which take ~1 ms a receipt, so
 * 100k would take minutes before the first measurement). Only the receipt and place rows: the
 * listing and the export read nothing else. Oldest first, so each listing key is appended.
 */
export function seededTable(n: number): InMemoryJobTable {
  const changes: ChangeRecord[] = [];
  const insert = (entity: ChangeRecord['entity'], record: object): ChangeRecord => ({
    event_name: 'INSERT',
    entity,
    old_image: null,
    new_image: record as Record<string, unknown>,
    sequence: null,
  });
  const fields = makeReceiptFields({ line_items: [] });
  for (let i = n - 1; i >= 0; i--) {
    const day = seedDay(i);
    const image_id = `bench-${String(i).padStart(7, '0')}`;
    const receipt: Receipt & { owner: string } = {
      image_id,
      receipt_id: 1,
      owner: BENCH_OWNER,
      line_count: 1,
      word_count: 2,
      created_at: `${day}T12:00:00.000Z`,
      fields: {
        ...fields,
        date: { value: day, text: day, line_ids: [1], source: 'extracted' },
        total: { minor: 100 + (i % 9_900), currency: 'USD', text: '', line_ids: [1], source: 'extracted' },
      },
    };
    changes.push(insert('RECEIPT', receipt));
    changes.push(
      insert(
        'RECEIPT_PLACE',
        makeReceiptPlace({ image_id, place_id: seedMerchant(i), merchant_name: `Bench Merchant ${i % MERCHANTS}` }),
      ),
    );
  }
  return InMemoryJobTable.fromChanges([changes]);
}
