/**
 * How long `DynamoDbReceiptStore.create` takes for a 3,000-word receipt on dynalite, with one
 * BatchWriteItem call in flight (the old sequential writes) and with the default 8
 * (docs/benchmarks.md#receipt-writes-receipt_writes). dynalite is one local process, so this
 * shows the cost of the round trips the parallel chunks overlap, not DynamoDB's own throughput.
 */
import { SystemClock } from '@receiptflow/adapters-local';
import { DynamoDbReceiptStore } from '@receiptflow/adapters-aws/dynamodb';
import { makeReceiptDetails } from '@receiptflow/core/testing';
import {
  createTable,
  createTestDocumentClient,
  createTestDynamoDbClient,
  startDynalite,
} from '../src/emulators/index.js';
import { countCommand } from '../src/faults/index.js';
import { median, round } from './stats.js';

/** 300 lines of 10 words: 3,300 rows, 132 BatchWriteItem chunks of 25. */
const SHAPE = { lineCount: 300, wordsPerLine: 10 };
const RUNS = 3;

export async function measureReceiptWrites(progress: (line: string) => void): Promise<Record<string, number>> {
  const dynalite = await startDynalite();
  const client = createTestDynamoDbClient(dynalite.endpoint, { requestTimeoutMs: 60_000 });
  try {
    const doc = createTestDocumentClient(client);
    const tableName = 'bench-receipt-writes';
    await createTable(client, tableName);
    const timeWrites = async (concurrency: number) => {
      const store = new DynamoDbReceiptStore(doc, {
        tableName,
        clock: new SystemClock(),
        receiptWrites: { concurrency },
      });
      const ms: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const details = makeReceiptDetails({}, SHAPE);
        const started = performance.now();
        const { created } = await store.create(details);
        ms.push(performance.now() - started);
        if (!created) throw new Error('bench receipt was not created');
      }
      return round(median(ms), 0);
    };
    const calls = countCommand(client, 'BatchWriteItemCommand');
    progress(`receipt writes: ${SHAPE.lineCount * (SHAPE.wordsPerLine + 1)} rows, 1 call in flight`);
    const sequential = await timeWrites(1);
    const callsPerReceipt = calls.calls / RUNS;
    calls.remove();
    progress('receipt writes: 8 calls in flight');
    const parallel = await timeWrites(8);
    return {
      words: SHAPE.lineCount * SHAPE.wordsPerLine,
      rows: SHAPE.lineCount * (SHAPE.wordsPerLine + 1),
      batch_write_calls: callsPerReceipt,
      sequential_ms: sequential,
      parallel_8_ms: parallel,
    };
  } finally {
    client.destroy();
    await dynalite.stop();
  }
}
