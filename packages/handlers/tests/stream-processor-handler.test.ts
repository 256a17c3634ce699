import { changeRecordFromStreamRecord, type DynamoDbStreamRecord } from '@receiptflow/adapters-aws/dynamodb';
import { InMemoryQueue } from '@receiptflow/adapters-local';
import { CompactionMessageSchema, type CompactionMessage, type Queue } from '@receiptflow/core';
import { makeCompactionRun, makeJob, makeReceiptPlace } from '@receiptflow/core/testing';
import { describe, expect, it } from 'vitest';
import { toStreamItems } from '../src/handlers/dynamodb-stream-event.js';
import { createStreamProcessor } from '../src/handlers/stream-processor-handler.js';
import { collectingLogger } from './support/fixtures.js';
import { jobItem, placeItem, runItem, streamRecord } from './support/stream-records.js';

/** The stream-processor Lambda as its entry module wires it, over the given queue. */
function lambda(queue: Queue = new InMemoryQueue({ name: 'compaction-queue' })) {
  const logger = collectingLogger();
  const process = createStreamProcessor({ compactionQueue: queue, logger });
  const handler = (event: { Records?: DynamoDbStreamRecord[] }) =>
    process(toStreamItems(event.Records ?? [], changeRecordFromStreamRecord));
  return { handler, queue, logger };
}

async function sent(queue: InMemoryQueue): Promise<CompactionMessage[]> {
  const out: CompactionMessage[] = [];
  for (;;) {
    const batch = await queue.receive({ maxMessages: 10 });
    if (batch.length === 0) return out;
    out.push(...batch.map((m) => CompactionMessageSchema.parse(JSON.parse(m.body))));
  }
}

describe('stream processor (DynamoDB stream records through toStreamItems + changeRecordFromStreamRecord)', () => {
  it('a CompactionRun INSERT sends one merge message per collection', async () => {
    const queue = new InMemoryQueue({ name: 'compaction-queue' });
    const { handler } = lambda(queue);
    const run = makeCompactionRun();
    expect(await handler({ Records: [streamRecord('INSERT', { new: runItem(run) })] })).toEqual({
      batchItemFailures: [],
    });
    const messages = await sent(queue);
    expect(messages.map((m) => m.collection).sort()).toEqual(['lines', 'words']);
    for (const m of messages) {
      expect(m).toEqual({
        kind: 'merge',
        collection: m.collection,
        run_id: run.run_id,
        image_id: run.image_id,
        receipt_id: 1,
        delta_key: run[m.collection].delta_key,
      });
    }
  });

  // docs/lessons.md#lesson-16-stream-events-that-should-do-nothing-did-a-lot
  it('a CompactionRun MODIFY (state changes during compaction) sends nothing', async () => {
    const queue = new InMemoryQueue({ name: 'compaction-queue' });
    const { handler } = lambda(queue);
    const before = makeCompactionRun();
    const processing = { ...before, lines: { ...before.lines, state: 'PROCESSING' as const } };
    const completed = { ...processing, lines: { ...processing.lines, state: 'COMPLETED' as const, merged_count: 3 } };
    const response = await handler({
      Records: [
        streamRecord('MODIFY', { old: runItem(before), new: runItem(processing) }),
        streamRecord('MODIFY', { old: runItem(processing), new: runItem(completed) }),
      ],
    });
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await sent(queue)).toEqual([]);
  });

  it('a ReceiptPlace merchant change sends update_metadata for both collections', async () => {
    const queue = new InMemoryQueue({ name: 'compaction-queue' });
    const { handler } = lambda(queue);
    const before = makeReceiptPlace();
    const after = { ...before, merchant_name: 'Corner Grocery', place_id: 'ChIJ-corner-grocery', phone: null };
    await handler({ Records: [streamRecord('MODIFY', { old: placeItem(before), new: placeItem(after) })] });
    const messages = await sent(queue);
    expect(messages).toHaveLength(2);
    for (const m of messages) {
      expect(m).toMatchObject({
        kind: 'update_metadata',
        image_id: before.image_id,
        receipt_id: 1,
        metadata: {
          merchant_name: 'Corner Grocery',
          place_id: 'ChIJ-corner-grocery',
          merchant_phone: null,
          has_place: true,
        },
      });
    }
  });

  it('unrelated changes send nothing: job MODIFY, place MODIFY without a merchant change, place INSERT, storage rows', async () => {
    const queue = new InMemoryQueue({ name: 'compaction-queue' });
    const { handler } = lambda(queue);
    const job = makeJob();
    const place = makeReceiptPlace();
    const response = await handler({
      Records: [
        streamRecord('MODIFY', { old: jobItem(job), new: jobItem({ ...job, status: 'PROCESSING', attempts: 1 }) }),
        streamRecord('MODIFY', { old: placeItem(place), new: placeItem({ ...place, confidence: 0.99 }) }),
        streamRecord('INSERT', { new: placeItem(place) }),
        streamRecord('MODIFY', {
          old: { PK: 'LOCK#compaction:lines', SK: 'LOCK', entity: 'LOCK', owner: 'a' },
          new: { PK: 'LOCK#compaction:lines', SK: 'LOCK', entity: 'LOCK', owner: 'b' },
        }),
      ],
    });
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await sent(queue)).toEqual([]);
  });

  it('skips an undecodable record (logged, not retried) and handles the records after it', async () => {
    const queue = new InMemoryQueue({ name: 'compaction-queue' });
    const { handler, logger } = lambda(queue);
    const run = makeCompactionRun();
    const noImages = streamRecord('REMOVE', { old: runItem(run) });
    delete noImages.dynamodb!.OldImage;
    const unknownType = streamRecord('INSERT', { new: runItem(makeCompactionRun()) });
    unknownType.dynamodb!.NewImage!.weird = { X: 'y' } as never;
    const malformed = streamRecord('INSERT', { new: { ...runItem(makeCompactionRun()), lines_state: 'HALF_DONE' } });
    const after = streamRecord('INSERT', { new: runItem(run) });
    const response = await handler({
      Records: [noImages, unknownType, malformed, { eventName: 'TTL_PURGE' } as never, after],
    });
    expect(response).toEqual({ batchItemFailures: [] });
    const messages = await sent(queue);
    expect(messages.map((m) => (m.kind === 'merge' ? m.run_id : null))).toEqual([run.run_id, run.run_id]);
    const skipped = logger.entries.filter((e) => e.message.includes('could not be decoded'));
    expect(skipped.map((e) => e.fields.id)).toEqual([
      noImages.dynamodb!.SequenceNumber,
      unknownType.dynamodb!.SequenceNumber,
      malformed.dynamodb!.SequenceNumber,
      '3',
    ]);
  });

  it('a send failure reports that record’s SequenceNumber, after sending the records before it', async () => {
    const inner = new InMemoryQueue({ name: 'compaction-queue' });
    let sends = 0;
    const flaky: Queue = Object.assign(Object.create(inner) as Queue, {
      sendBatch: async (bodies: string[]) => {
        if (++sends === 2) throw new Error('SQS throttled');
        return inner.sendBatch(bodies);
      },
    });
    const { handler, logger } = lambda(flaky);
    const runs = [makeCompactionRun(), makeCompactionRun(), makeCompactionRun()];
    const records = runs.map((run) => streamRecord('INSERT', { new: runItem(run) }));
    const response = await handler({ Records: records });
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: records[1]!.dynamodb!.SequenceNumber }] });
    // Stream semantics: nothing after the failed record was sent; it is all redelivered.
    const messages = await sent(inner);
    expect(new Set(messages.map((m) => (m.kind === 'merge' ? m.run_id : '')))).toEqual(new Set([runs[0]!.run_id]));
    expect(logger.entries.find((e) => e.message === 'stream record failed')?.fields).toMatchObject({
      error: 'SQS throttled',
    });

    // The redelivery from the failed record on succeeds.
    expect(await handler({ Records: records.slice(1) })).toEqual({ batchItemFailures: [] });
    expect((await sent(inner)).map((m) => (m.kind === 'merge' ? m.run_id : ''))).toEqual([
      runs[1]!.run_id,
      runs[1]!.run_id,
      runs[2]!.run_id,
      runs[2]!.run_id,
    ]);
  });

  it('an empty event is an empty response', async () => {
    const { handler } = lambda();
    expect(await handler({})).toEqual({ batchItemFailures: [] });
  });
});
