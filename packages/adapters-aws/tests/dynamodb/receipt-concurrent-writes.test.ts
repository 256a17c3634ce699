import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { IncompleteWriteError, LockBusyError, isRetryable, type ReceiptDetails } from '@receiptflow/core';
import { makeReceiptDetails, relabeledReceipt } from '@receiptflow/core/testing';
import { createTestDocumentClient, createTestDynamoDbClient } from '@receiptflow/devkit/emulators';
import { interceptCommand, serviceError } from '@receiptflow/devkit/faults';
import { describe, expect, it } from 'vitest';
import { DynamoDbReceiptStore } from '../../src/dynamodb/index.js';
import { ManualClock, useDynalite } from './dynalite-fixture.js';

// Two process-OCR-results invocations writing the same receipt at once (SQS standard queues
// deliver twice, sometimes concurrently): docs/adapters.md#concurrent-duplicate-deliveries.
const dynalite = useDynalite();

const LEASE_MS = 30_000;

/** Three writers (a, b, c), each with its own SDK client so faults hit only it, over one table and one clock. */
async function writers(concurrency = 2) {
  const { tableName, doc } = await dynalite.freshTable();
  const clock = new ManualClock();
  const [a, b, c] = Array.from({ length: 3 }, () => {
    const client = createTestDynamoDbClient(dynalite.endpoint);
    const store = new DynamoDbReceiptStore(createTestDocumentClient(client), {
      tableName,
      clock,
      receiptWrites: { leaseMs: LEASE_MS, concurrency },
    });
    return { client, store };
  }) as [Writer, Writer, Writer];
  return { a, b, c, clock, rows: (details: ReceiptDetails) => rowsUnder(doc, tableName, details) };
}

interface Writer {
  client: ReturnType<typeof createTestDynamoDbClient>;
  store: DynamoDbReceiptStore;
}

/** A promise with its resolve, to hold one writer at a chosen step while another runs. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** What a create call came to: its result, or the error it threw. */
async function settle(p: Promise<{ created: boolean; details: ReceiptDetails }>) {
  return p.then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error }),
  );
}

async function rowsUnder(doc: DynamoDBDocumentClient, tableName: string, details: ReceiptDetails) {
  const out = await doc.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': `IMAGE#${details.receipt.image_id}` },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

describe('DynamoDbReceiptStore under concurrent duplicate deliveries', () => {
  it('a writer failing mid-write while a duplicate runs: the committed receipt has every row it counts', async () => {
    const { rows, a, b, c } = await writers();
    // 10 lines and 90 words: 100 rows, 4 BatchWriteItem chunks in 2 waves of 2.
    const details = makeReceiptDetails({}, { lineCount: 10, wordsPerLine: 9 });
    const { image_id, receipt_id } = details.receipt;
    const bAtCommit = gate();
    const aSettled = gate();
    let bRun: Promise<Awaited<ReturnType<typeof settle>>> | undefined;

    // B reaches its commit only after A has failed and cleaned up (the order that lost rows).
    interceptCommand(b.client, 'UpdateItemCommand', async (input, send) => {
      if (JSON.stringify(input).includes('COMMITTED')) {
        bAtCommit.open();
        await aSettled.opened;
      }
      return send(input);
    });
    // A writes its first chunk; at its second, B delivers the same receipt; then A's chunk fails.
    interceptCommand(a.client, 'BatchWriteItemCommand', async (input, send, call) => {
      if (call !== 2) return send(input);
      bRun = settle(b.store.create(structuredClone(details)));
      await Promise.race([bAtCommit.opened, bRun]);
      throw serviceError('ValidationException', 400, 'injected: A loses its second chunk');
    });

    const aResult = await settle(a.store.create(structuredClone(details)));
    aSettled.open();
    expect(aResult.error).toBeDefined();
    expect(bRun).toBeDefined();
    const bResult = await bRun!;
    // B either committed or was told to come back (retryable); never a silent failure.
    if (bResult.error) expect(isRetryable(bResult.error)).toBe(true);

    // The redelivery that follows (SQS retries whichever failed) settles the receipt.
    const cResult = await c.store.create(structuredClone(details));
    const stored = await c.store.get(image_id, receipt_id);
    expect(stored?.lines).toHaveLength(stored!.receipt.line_count);
    expect(stored?.words).toHaveLength(stored!.receipt.word_count);
    expect(stored).toEqual(details);
    expect(cResult.details).toEqual(details);
    const createdCount = [aResult.value, bResult.value, cResult].filter((r) => r?.created).length;
    expect(createdCount).toBe(1);
    expect(await rows(details)).toHaveLength(1 + 10 + 90);
  });

  it('a writer paused past its lease writes nothing once a duplicate has taken over', async () => {
    const { rows, clock, a, b } = await writers(1);
    const details = makeReceiptDetails({}, { lineCount: 4, wordsPerLine: 9 });
    const fromB = relabeledReceipt(details, 'B');
    let bResult: { created: boolean; details: ReceiptDetails } | undefined;
    // After A's first chunk, A stalls (a GC pause, a slow host) for longer than its lease.
    interceptCommand(a.client, 'BatchWriteItemCommand', async (input, send, call) => {
      const out = await send(input);
      if (call === 1) {
        clock.advance(LEASE_MS + 1);
        bResult = await b.store.create(fromB);
      }
      return out;
    });

    const aResult = await settle(a.store.create(structuredClone(details)));

    expect(bResult?.created).toBe(true);
    // A learns it lost the write and reports B's receipt, or a retryable error.
    if (aResult.error) expect(isRetryable(aResult.error)).toBe(true);
    else expect(aResult.value).toEqual({ created: false, details: fromB });
    const stored = await b.store.get(details.receipt.image_id, 1);
    expect(stored).toEqual(fromB);
    const storedRows = await rows(details);
    expect(storedRows).toHaveLength(1 + 4 + 36);
    expect(storedRows.filter((r) => r.entity !== 'RECEIPT' && !String(r.text).startsWith('B'))).toEqual([]);
  });

  it('a duplicate meeting a live lease is told to come back; after a crash it takes over once the lease runs out', async () => {
    const { rows, clock, a, b } = await writers();
    const details = makeReceiptDetails({}, { lineCount: 6, wordsPerLine: 9 });
    // A dies (kill -9) during its second chunk: no error, no rollback, nothing more from it.
    interceptCommand(a.client, 'BatchWriteItemCommand', async (input, send, call) =>
      call === 1 ? send(input) : new Promise<never>(() => undefined),
    );
    void a.store.create(structuredClone(details));
    await expect.poll(() => rows(details).then((r) => r.length)).toBeGreaterThan(1);

    const early = await settle(b.store.create(structuredClone(details)));
    expect(early.error).toBeInstanceOf(LockBusyError);
    expect((early.error as Error).message).toMatch(/being written by another delivery; its lease ends in 30 s/);
    // The time left on the holder's lease travels with the error, for the consumer's retry delay.
    expect((early.error as LockBusyError).retryAfterMs).toBe(LEASE_MS);
    expect(await b.store.get(details.receipt.image_id, 1)).toBeNull();

    clock.advance(LEASE_MS + 1);
    expect(await b.store.create(structuredClone(details))).toEqual({ created: true, details });
    expect(await b.store.get(details.receipt.image_id, 1)).toEqual(details);
    expect(await rows(details)).toHaveLength(1 + 6 + 54);
  });

  it('a stale write landing under a new writer is caught before commit, and the next delivery settles it', async () => {
    const { rows, clock, a, b, c } = await writers(1);
    const details = makeReceiptDetails({}, { lineCount: 3, wordsPerLine: 9 });
    const fromA = relabeledReceipt(details, 'A');
    const aStuck = gate();
    const aLanded = gate();
    // A's second chunk is held on the wire past A's lease; it lands while B is writing.
    interceptCommand(a.client, 'BatchWriteItemCommand', async (input, send, call) => {
      if (call !== 2) return send(input);
      await aStuck.opened;
      const out = await send(input);
      aLanded.open();
      return out;
    });
    // B's second query is its read-back before commit: A's late chunk lands just before it.
    interceptCommand(b.client, 'QueryCommand', async (input, send, call) => {
      if (call === 2) {
        aStuck.open();
        await aLanded.opened;
      }
      return send(input);
    });

    const aRun = settle(a.store.create(fromA));
    await expect.poll(() => rows(details).then((r) => r.length)).toBeGreaterThan(1);
    clock.advance(LEASE_MS + 1);
    const bResult = await settle(b.store.create(structuredClone(details)));
    const aResult = await aRun;

    expect(bResult.error).toBeInstanceOf(IncompleteWriteError);
    expect(isRetryable(bResult.error)).toBe(true);
    // A finds B's rows at its own read-back, or its lease gone: either way it comes back later.
    expect(aResult.error).toBeDefined();
    expect(isRetryable(aResult.error)).toBe(true);
    expect(await c.store.get(details.receipt.image_id, 1)).toBeNull();

    // The redelivery finds the key free (B rolled its rows and its claim back) and clears A's leftovers.
    expect(await c.store.create(structuredClone(details))).toEqual({ created: true, details });
    expect(await c.store.get(details.receipt.image_id, 1)).toEqual(details);
    expect(await rows(details)).toHaveLength(1 + 3 + 27);
  });

  it('a slow writer keeps its lease by renewing it; a duplicate arriving after the first lease would have ended is refused', async () => {
    const { clock, a, b } = await writers(1);
    const details = makeReceiptDetails({}, { lineCount: 10, wordsPerLine: 9 });
    const duplicates: Awaited<ReturnType<typeof settle>>[] = [];
    // Each of A's 4 chunks takes 20 s: 80 s of writing under a 30 s lease.
    interceptCommand(a.client, 'BatchWriteItemCommand', async (input, send) => {
      clock.advance(20_000);
      const out = await send(input);
      duplicates.push(await settle(b.store.create(relabeledReceipt(details, 'B'))));
      return out;
    });

    expect(await a.store.create(structuredClone(details))).toEqual({ created: true, details });
    // At 20, 40, 60 and 80 s: without the renewals the lease would have ended at 30 s.
    expect(duplicates.map((d) => d.error)).toEqual(Array.from({ length: 4 }, () => expect.any(LockBusyError)));
    expect(await b.store.create(relabeledReceipt(details, 'B'))).toEqual({ created: false, details });
  });
});
