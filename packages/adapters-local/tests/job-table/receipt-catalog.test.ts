import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { listMerchants, listReceipts } from '@receiptflow/core';
import {
  describeReceiptCatalogContract,
  makeReceiptDetails,
  makeReceiptFields,
  makeReceiptPlace,
} from '@receiptflow/core/testing';
import { FsJobTable } from '../../src/job-table/fs-job-table.js';
import { InMemoryJobTable } from '../../src/job-table/in-memory-job-table.js';
import { InMemoryReceiptCatalog } from '../../src/job-table/in-memory-receipt-catalog.js';
import { InMemoryReceiptStore } from '../../src/job-table/in-memory-receipt-store.js';
import { jobTableStores } from '../../src/job-table/job-table-stores.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'receipt-catalog-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describeReceiptCatalogContract('InMemoryReceiptCatalog', async () => {
  const table = new InMemoryJobTable();
  return { subject: new InMemoryReceiptCatalog({ table }), receipts: new InMemoryReceiptStore({ table }) };
});

describeReceiptCatalogContract('InMemoryReceiptCatalog on FsJobTable', async () => {
  const dir = await tempDir();
  const table = await FsJobTable.open(dir);
  return {
    subject: new InMemoryReceiptCatalog({ table }),
    receipts: new InMemoryReceiptStore({ table }),
    cleanup: () => table.close(),
  };
});

describe('InMemoryReceiptCatalog reads only what a page needs', () => {
  it('visits the page (plus one) under a merchant or date filter, not every receipt of the owner', async () => {
    const table = new InMemoryJobTable();
    const { receipts, catalog } = jobTableStores(table);
    for (let i = 0; i < 600; i++) {
      const day = `2024-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
      const details = makeReceiptDetails(
        {
          owner: 'alice',
          fields: makeReceiptFields({ date: { value: day, text: '', line_ids: [1], source: 'extracted' } }),
        },
        { lineCount: 1, wordsPerLine: 1 },
      );
      await receipts.create(details);
      await receipts.putPlace(makeReceiptPlace({ image_id: details.receipt.image_id, place_id: `ChIJ-${i % 3}` }));
    }
    const visited = vi.spyOn(table.receiptIndex, 'entry');
    const byMerchant = await catalog.listReceipts({ owner: 'alice', merchant: 'ChIJ-1', limit: 10 });
    expect(byMerchant.receipts).toHaveLength(10);
    expect(visited.mock.calls.length).toBe(11);
    visited.mockClear();
    const byDate = await catalog.listReceipts({ owner: 'alice', from: '2024-03-01', to: '2024-03-31', limit: 10 });
    expect(byDate.receipts.every((r) => r.date!.startsWith('2024-03'))).toBe(true);
    expect(visited.mock.calls.length).toBe(11);
  });
});

describe('InMemoryReceiptCatalog on FsJobTable after a restart', () => {
  it('rebuilds the listing and merchants from the journal, corrections and deletes included', async () => {
    const dir = await tempDir();
    const before = await FsJobTable.open(dir);
    const { receipts } = jobTableStores(before);
    const owner = { owner: 'alice' };
    const kept = makeReceiptDetails({ ...owner, fields: makeReceiptFields() });
    const moved = makeReceiptDetails({ ...owner, fields: makeReceiptFields() });
    const gone = makeReceiptDetails({ ...owner, fields: makeReceiptFields() });
    for (const details of [kept, moved, gone]) {
      await receipts.create(details);
      await receipts.putPlace(makeReceiptPlace({ image_id: details.receipt.image_id, place_id: 'ChIJ-a' }));
    }
    await receipts.putFields(moved.receipt.image_id, 1, {
      ...moved.receipt.fields!,
      date: { value: '2025-01-01', text: '', line_ids: [], source: 'user' },
    });
    await receipts.delete(gone.receipt.image_id, 1);
    await before.close();

    const after = await FsJobTable.open(dir);
    const deps = { catalog: jobTableStores(after).catalog };
    const listed = await listReceipts(deps, 'alice');
    expect(listed.receipts.map((r) => [r.image_id, r.date])).toEqual([
      [moved.receipt.image_id, '2025-01-01'],
      [kept.receipt.image_id, '2024-03-14'],
    ]);
    expect((await listMerchants(deps, 'alice')).merchants).toEqual([
      { place_id: 'ChIJ-a', name: "Trader Joe's", receipt_count: 2, last_seen: '2025-01-01' },
    ]);
    await after.close();
  });
});
