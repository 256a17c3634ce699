import type { Clock } from '@receiptflow/core';
import { interceptCommand } from '@receiptflow/devkit/faults';
import { describe, expect, it } from 'vitest';
import { DynamoDbTable, type WriteRequest } from '../../src/dynamodb/dynamodb-table.js';
import { useDynalite } from './dynalite-fixture.js';

const dynalite = useDynalite();

/** Records every sleep and returns at once: time passes only on this clock. */
class RecordingClock implements Clock {
  readonly sleeps: number[] = [];
  private current = Date.UTC(2024, 0, 1);
  now(): number {
    return this.current;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.current += ms;
  }
}

const put = (n: number): WriteRequest => ({ PutRequest: { Item: { PK: `CLOCK#${n}`, SK: 'ROW', n } } });

describe('DynamoDbTable sleeps only on its clock', () => {
  it('backs off between BatchWriteItem retries on the injected clock, never on a timer', async () => {
    const { tableName, client, doc } = await dynalite.freshTable();
    const clock = new RecordingClock();
    // A minute's backoff: on a real timer this test would time out, on the clock it takes none.
    const table = new DynamoDbTable(doc, {
      tableName,
      clock,
      batchRetry: { baseDelayMs: 60_000, maxDelayMs: 600_000 },
    });
    // The first two calls leave every item unprocessed, as a throttled table does.
    const refused = interceptCommand(client, 'BatchWriteItemCommand', async (input, send, call) =>
      call <= 2 ? { UnprocessedItems: input.RequestItems } : send(input),
    );
    await table.batchWrite([put(1), put(2), put(3)]);
    expect(refused.calls).toBe(3);
    expect(clock.sleeps).toHaveLength(2);
    // Full jitter: each wait is between half and all of its exponential step.
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(30_000);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(60_000);
    expect(clock.sleeps[1]).toBeGreaterThanOrEqual(60_000);
    expect(clock.sleeps[1]).toBeLessThanOrEqual(120_000);
    for (const n of [1, 2, 3]) expect(await table.get({ PK: `CLOCK#${n}`, SK: 'ROW' })).toMatchObject({ n });
  });
});
