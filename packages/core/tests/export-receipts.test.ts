import { jobTableStores, InMemoryJobTable } from '@receiptflow/adapters-local';
import { parse } from 'csv-parse/sync';
import { describe, expect, it, vi } from 'vitest';
import { makeReceiptDetails, makeReceiptFields, makeReceiptPlace } from '@receiptflow/core/testing';
import { exportReceipts, listReceipts, type Receipt, type ReceiptStore, ValidationError } from '../src/index.js';

/** `n` receipts of `owner`, one per day back from 2024-12-31, on two merchants (even/odd). */
async function seed(receipts: ReceiptStore, owner: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const day = new Date(Date.UTC(2024, 11, 31 - i)).toISOString().slice(0, 10);
    const details = makeReceiptDetails(
      {
        ...({ owner } as Partial<Receipt>),
        fields: makeReceiptFields({
          date: { value: day, text: day, line_ids: [1], source: 'extracted' },
          total: { minor: 100 + i, currency: 'USD', text: '', line_ids: [3], source: 'extracted' },
        }),
      },
      { lineCount: 2, wordsPerLine: 2 },
    );
    await receipts.create(details);
    await receipts.putPlace(
      makeReceiptPlace({
        image_id: details.receipt.image_id,
        place_id: `place-${i % 2}`,
        merchant_name: `Shop ${i % 2}`,
      }),
    );
  }
}

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const c of chunks) text += c;
  return text;
}

describe('exportReceipts over the in-memory catalog', () => {
  it('exports every receipt of the owner once, in listing order, and none of another owner', async () => {
    const { receipts, catalog } = jobTableStores(new InMemoryJobTable());
    await seed(receipts, 'alice', 230);
    await seed(receipts, 'bob', 7);

    const rows = parse(await collect(exportReceipts({ catalog }, 'alice', 'csv')), { columns: true }) as Record<
      string,
      string
    >[];
    expect(rows).toHaveLength(230);
    expect(new Set(rows.map((r) => `${r.image_id}/${r.receipt_id}`)).size).toBe(230);
    // Newest first, as the listing pages them: the first row is 2024-12-31, total 1.00.
    expect(rows[0]).toMatchObject({ date: '2024-12-31', total: '1.00', currency: 'USD', merchant: 'Shop 0' });
    // Subtotal, tax and payment method come through the listing too (makeReceiptFields prints them).
    expect(rows[0]).toMatchObject({ subtotal: '11.50', tax: '1.00', payment_method: 'card' });
    const [first] = (await collect(exportReceipts({ catalog }, 'alice', 'jsonl'))).split('\n');
    expect(JSON.parse(first!)).toMatchObject({
      subtotal: { amount_minor: 1150, currency: 'USD' },
      tax: { amount_minor: 100, currency: 'USD' },
      payment_method: 'card',
    });
    expect(rows.map((r) => r.date)).toEqual([...rows.map((r) => r.date)].sort().reverse());
    // The listing's own order, page after page, is the export's.
    const listed: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await listReceipts({ catalog }, 'alice', { limit: 100, ...(cursor ? { cursor } : {}) });
      listed.push(...page.receipts.map((r) => `${r.image_id}/${r.receipt_id}`));
      cursor = page.next_cursor;
    } while (cursor);
    expect(rows.map((r) => `${r.image_id}/${r.receipt_id}`)).toEqual(listed);

    const bob = (await collect(exportReceipts({ catalog }, 'bob', 'jsonl'))).trim().split('\n');
    expect(bob).toHaveLength(7);
    expect(await collect(exportReceipts({ catalog }, 'carol', 'csv'))).toBe(
      'image_id,receipt_id,date,merchant,place_id,merchant_source,total,subtotal,tax,currency,payment_method,possible_duplicate_of,created_at\r\n',
    );
  });

  it('reads a page only when the consumer pulls it (one page in memory)', async () => {
    const { receipts, catalog } = jobTableStores(new InMemoryJobTable());
    await seed(receipts, 'alice', 250);
    const reads = vi.spyOn(catalog, 'listReceipts');
    const iterator = exportReceipts({ catalog }, 'alice', 'jsonl')[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value.trim().split('\n')).toHaveLength(100);
    expect(reads).toHaveBeenCalledTimes(1);
    let pulled = 1;
    while (!(await iterator.next()).done) pulled++;
    expect(pulled).toBe(3);
    expect(reads).toHaveBeenCalledTimes(3);
    expect(reads.mock.calls.every(([q]) => q.limit === 100 && q.owner === 'alice')).toBe(true);
  });

  it('takes the listing filters; a bad one is a ValidationError naming it, before any chunk', async () => {
    const { receipts, catalog } = jobTableStores(new InMemoryJobTable());
    await seed(receipts, 'alice', 40);
    const text = await collect(
      exportReceipts({ catalog }, 'alice', 'csv', { merchant: 'place-1', from: '2024-12-01', to: '2024-12-31' }),
    );
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(15);
    expect(rows.every((r) => r.place_id === 'place-1' && r.date! >= '2024-12-01')).toBe(true);

    const bad = exportReceipts({ catalog }, 'alice', 'csv', { from: '12/01/2024' })[Symbol.asyncIterator]();
    const error = await bad.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/from: /);
  });
});
