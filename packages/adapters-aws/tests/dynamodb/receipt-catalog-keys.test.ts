import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { listMerchants, listReceipts } from '@receiptflow/core';
import { makeReceiptDetails, makeReceiptFields, makeReceiptPlace } from '@receiptflow/core/testing';
import { createTestDocumentClient, createTestDynamoDbClient } from '@receiptflow/devkit/emulators';
import { interceptCommand } from '@receiptflow/devkit/faults';
import { describe, expect, it } from 'vitest';
import { DynamoDbReceiptCatalog, DynamoDbReceiptStore } from '../../src/dynamodb/index.js';
import { ManualClock, useDynalite } from './dynalite-fixture.js';

// How the catalog reads the table (docs/adapters.md#access-patterns): keys only, pages bounded.
const dynalite = useDynalite();

async function setup() {
  const { tableName } = await dynalite.freshTable();
  const client = createTestDynamoDbClient(dynalite.endpoint);
  const doc = createTestDocumentClient(client);
  const clock = new ManualClock();
  const sent: { command: string; input: Record<string, unknown>; scanned: number }[] = [];
  for (const command of ['QueryCommand', 'ScanCommand', 'GetItemCommand', 'BatchGetItemCommand']) {
    interceptCommand(client, command, async (input, send) => {
      const output = await send(input);
      sent.push({ command, input, scanned: Number(output.ScannedCount ?? 0) });
      return output;
    });
  }
  return {
    doc,
    tableName,
    sent,
    receipts: new DynamoDbReceiptStore(doc, { tableName, clock }),
    deps: { catalog: new DynamoDbReceiptCatalog(doc, { tableName, clock }) },
  };
}

const owned = (owner: string) => ({ owner });
const dated = (value: string) => makeReceiptFields({ date: { value, text: '', line_ids: [1], source: 'extracted' } });

describe('DynamoDbReceiptCatalog access patterns', () => {
  it('lists with Queries on GSI3/GSI4/GSI5 only, never a Scan, reading about one page under a merchant or date filter', async () => {
    const { receipts, deps, sent } = await setup();
    for (let i = 0; i < 60; i++) {
      const day = `2024-${String(1 + (i % 6)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
      const details = makeReceiptDetails({ ...owned('alice'), fields: dated(day) }, { lineCount: 1, wordsPerLine: 1 });
      await receipts.create(details);
      await receipts.putPlace(makeReceiptPlace({ image_id: details.receipt.image_id, place_id: `ChIJ-${i % 3}` }));
    }
    sent.length = 0;

    const byMerchant = await listReceipts(deps, 'alice', { merchant: 'ChIJ-1', limit: 10 });
    expect(byMerchant.receipts).toHaveLength(10);
    const byDate = await listReceipts(deps, 'alice', { from: '2024-03-01', to: '2024-03-31', limit: 5 });
    expect(byDate.receipts).toHaveLength(5);
    const next = await listReceipts(deps, 'alice', {
      from: '2024-03-01',
      to: '2024-03-31',
      limit: 5,
      cursor: byDate.next_cursor!,
    });
    expect(next.receipts).toHaveLength(5);
    const { merchants } = await listMerchants(deps, 'alice');
    expect(merchants.map((m) => m.receipt_count)).toEqual([20, 20, 20]);

    expect(sent.map((s) => s.command)).toEqual(['QueryCommand', 'QueryCommand', 'QueryCommand', 'QueryCommand']);
    expect(sent.map((s) => s.input.IndexName)).toEqual(['GSI4', 'GSI3', 'GSI3', 'GSI5']);
    // A page reads its receipts, one more to know whether more follow, and the cursor's own row.
    for (const page of sent.slice(0, 3)) expect(page.scanned).toBeLessThanOrEqual(12);
    expect(sent[1]!.input.KeyConditionExpression).toContain('BETWEEN');
  });

  it('a receipt row stored before listing existed is listed from its next fields write on', async () => {
    const { receipts, deps, doc, tableName } = await setup();
    const details = makeReceiptDetails({ ...owned('alice'), fields: dated('2024-01-01') });
    const { image_id } = details.receipt;
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { PK: `IMAGE#${image_id}`, SK: 'RECEIPT#00001', entity: 'RECEIPT', ...details.receipt },
      }),
    );
    expect((await listReceipts(deps, 'alice')).receipts).toEqual([]);
    await receipts.putFields(image_id, 1, dated('2024-02-02'));
    expect((await listReceipts(deps, 'alice')).receipts.map((r) => [r.image_id, r.date])).toEqual([
      [image_id, '2024-02-02'],
    ]);
  });

  it('a place written while another writer lists an older one ends listed as the place row has it', async () => {
    const { receipts: b, deps, doc, tableName } = await setup();
    const client = createTestDynamoDbClient(dynalite.endpoint);
    const a = new DynamoDbReceiptStore(createTestDocumentClient(client), { tableName, clock: new ManualClock() });
    const details = makeReceiptDetails({ ...owned('alice'), fields: dated('2024-01-01') });
    const { image_id } = details.receipt;
    await b.create(details);
    // A has written place X and is about to copy it onto the receipt row when B writes place Y
    // and lists it; A's copy of X then lands last.
    let atUpdate!: () => void;
    const aAtUpdate = new Promise<void>((resolve) => (atUpdate = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    interceptCommand(client, 'UpdateItemCommand', async (input, send, call) => {
      if (call === 1) {
        atUpdate();
        await released;
      }
      return send(input);
    });
    const aRun = a.putPlace(makeReceiptPlace({ image_id, place_id: 'ChIJ-x', merchant_name: 'X' }));
    await aAtUpdate;
    await b.putPlace(makeReceiptPlace({ image_id, place_id: 'ChIJ-y', merchant_name: 'Y' }));
    release();
    await aRun;

    const stored = await doc.send(
      new GetCommand({ TableName: tableName, Key: { PK: `IMAGE#${image_id}`, SK: 'RECEIPT#00001#PLACE' } }),
    );
    expect(stored.Item!.place_id).toBe('ChIJ-y');
    expect((await listReceipts(deps, 'alice')).receipts[0]!.merchant).toEqual({
      place_id: 'ChIJ-y',
      name: 'Y',
      source: 'places',
    });
    expect((await listReceipts(deps, 'alice', { merchant: 'ChIJ-x' })).receipts).toEqual([]);
    expect((await listMerchants(deps, 'alice')).merchants).toEqual([
      { place_id: 'ChIJ-y', name: 'Y', receipt_count: 1, last_seen: '2024-01-01' },
    ]);
  });
});
