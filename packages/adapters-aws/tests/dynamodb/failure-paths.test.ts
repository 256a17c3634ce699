import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  ConditionFailedError,
  LeaseLostError,
  LockBusyError,
  StaleFencingTokenError,
  TransientDependencyError,
} from '@receiptflow/core';
import { makeCompactionRun, makeJob, makeReceiptDetails, makeSnapshotPointer } from '@receiptflow/core/testing';
import { describe, expect, it } from 'vitest';
import {
  DynamoDbCompactionLock,
  DynamoDbCompactionRunStore,
  DynamoDbOcrJobStore,
  DynamoDbReceiptStore,
  DynamoDbSnapshotStore,
} from '../../src/dynamodb/index.js';
import { createTestDocumentClient, startDynalite } from '@receiptflow/devkit/emulators';
import { failCommand, interceptCommand, serviceError } from '@receiptflow/devkit/faults';
import { ManualClock, useDynalite } from './dynalite-fixture.js';

const dynalite = useDynalite();
/** Stamps `updated_at` and times batch-retry backoff (instantly) for the stores under test. */
const storeClock = new ManualClock();

async function rowsOf(doc: ReturnType<typeof createTestDocumentClient>, tableName: string, imageId: string) {
  const out = await doc.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': `IMAGE#${imageId}` },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

describe('DynamoDbReceiptStore under throttling', () => {
  it('throttled BatchWriteItem: TransientDependencyError after the SDK retries, and no partial receipt', async () => {
    const { tableName, client, doc } = await dynalite.freshTable();
    const store = new DynamoDbReceiptStore(doc, { tableName, clock: storeClock });
    const details = makeReceiptDetails({}, { lineCount: 4, wordsPerLine: 3 });
    const throttle = failCommand(client, 'BatchWriteItemCommand', () =>
      serviceError('ProvisionedThroughputExceededException'),
    );

    const error = await store.create(details).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDependencyError);
    expect((error as TransientDependencyError).dependency).toBe('dynamodb');
    expect((error as Error).message).toContain('ProvisionedThroughputExceededException');
    expect(throttle.calls).toBeGreaterThanOrEqual(2); // the SDK retried before giving up

    // Nothing half-written is visible, and the receipt row itself was rolled back.
    expect(await store.get(details.receipt.image_id, 1)).toBeNull();
    expect(await store.list(details.receipt.image_id)).toEqual([]);
    expect(await rowsOf(doc, tableName, details.receipt.image_id)).toEqual([]);

    throttle.remove();
    expect(await store.create(details)).toEqual({ created: true, details });
    expect(await store.get(details.receipt.image_id, 1)).toEqual(details);
  });

  it('a throttled read maps ThrottlingException to TransientDependencyError naming the operation', async () => {
    const { tableName, client, doc } = await dynalite.freshTable();
    const store = new DynamoDbOcrJobStore(doc, { tableName, clock: storeClock });
    failCommand(client, 'GetItemCommand', () => serviceError('ThrottlingException'));
    const error = await store.getJob('job-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDependencyError);
    expect((error as Error).message).toMatch(/GetItem on table jobs-.*ThrottlingException/);
  });

  it('a rejected write leaves the earlier state untouched (transition under throttling)', async () => {
    const { tableName, client, doc } = await dynalite.freshTable();
    const store = new DynamoDbOcrJobStore(doc, { tableName, clock: storeClock });
    const job = makeJob();
    await store.createJob(job);
    const fault = failCommand(client, 'UpdateItemCommand', () => serviceError('InternalServerError', 500));
    await expect(store.transitionJob(job.job_id, 'PENDING', 'PROCESSING')).rejects.toBeInstanceOf(
      TransientDependencyError,
    );
    fault.remove();
    expect(await store.getJob(job.job_id)).toEqual(job);
  });
});

describe('DynamoDbReceiptStore and BatchWriteItem UnprocessedItems', () => {
  it('retries unprocessed items until every row is written', async () => {
    const { tableName, client, doc } = await dynalite.freshTable();
    const store = new DynamoDbReceiptStore(doc, { tableName, clock: storeClock, batchRetry: { baseDelayMs: 1 } });
    // First two calls: the service "processes" only part of the batch and hands back the rest.
    const partial = interceptCommand(client, 'BatchWriteItemCommand', async (input, send, call) => {
      if (call > 2) return send(input);
      const requestItems = input.RequestItems as Record<string, unknown[]>;
      const [table, requests] = Object.entries(requestItems)[0]!;
      const kept = requests.slice(0, Math.ceil(requests.length / 2));
      const dropped = requests.slice(kept.length);
      const output = await send({ ...input, RequestItems: { [table]: kept } });
      return { ...output, UnprocessedItems: dropped.length > 0 ? { [table]: dropped } : {} };
    });
    const details = makeReceiptDetails({}, { lineCount: 10, wordsPerLine: 5 }); // 60 rows: 3 chunks
    expect((await store.create(details)).created).toBe(true);
    expect(partial.calls).toBeGreaterThan(3);
    const read = await store.get(details.receipt.image_id, 1);
    expect(read?.lines).toHaveLength(10);
    expect(read?.words).toHaveLength(50);
    expect(read).toEqual(details);
  });

  it('items that stay unprocessed: bounded retries, then TransientDependencyError and no receipt', async () => {
    const { tableName, client, doc } = await dynalite.freshTable();
    const store = new DynamoDbReceiptStore(doc, {
      tableName,
      clock: storeClock,
      batchRetry: { maxAttempts: 3, baseDelayMs: 1 },
    });
    // Puts are never processed (deletes are, so the rollback can run).
    const stuck = interceptCommand(client, 'BatchWriteItemCommand', async (input, send) => {
      const [table, requests] = Object.entries(input.RequestItems as Record<string, { PutRequest?: unknown }[]>)[0]!;
      const puts = requests.filter((r) => r.PutRequest);
      const others = requests.filter((r) => !r.PutRequest);
      const output = others.length > 0 ? await send({ ...input, RequestItems: { [table]: others } }) : {};
      return { ...output, UnprocessedItems: puts.length > 0 ? { [table]: puts } : {} };
    });
    const details = makeReceiptDetails();
    const error = await store.create(details).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDependencyError);
    expect((error as Error).message).toMatch(/12 of 12 writes still unprocessed after 3 attempts/);
    expect(await store.get(details.receipt.image_id, 1)).toBeNull();
    expect(await rowsOf(doc, tableName, details.receipt.image_id)).toEqual([]);
    stuck.remove();
    expect((await store.create(details)).created).toBe(true);
  });

  it('a receipt row left WRITING by a crashed attempt is invisible, and taken over once its lease runs out', async () => {
    const { tableName, client, doc } = await dynalite.freshTable();
    const store = new DynamoDbReceiptStore(doc, {
      tableName,
      clock: storeClock,
      batchRetry: { maxAttempts: 1, baseDelayMs: 1 },
    });
    const details = makeReceiptDetails({}, { lineCount: 5, wordsPerLine: 1 });
    // The crash: children fail and so does the rollback's DeleteItem of the receipt row.
    const batch = failCommand(client, 'BatchWriteItemCommand', () => serviceError('InternalServerError', 500));
    const del = failCommand(client, 'DeleteItemCommand', () => serviceError('InternalServerError', 500));
    await expect(store.create(details)).rejects.toBeInstanceOf(TransientDependencyError);
    batch.remove();
    del.remove();
    const rows = await rowsOf(doc, tableName, details.receipt.image_id);
    expect(rows.map((r) => [r.entity, r.write_state])).toEqual([['RECEIPT', 'WRITING']]);
    expect(await store.get(details.receipt.image_id, 1)).toBeNull();

    // Until the lease runs out, the crashed writer might still be alive: the next one is told to come back.
    const smaller = makeReceiptDetails({ image_id: details.receipt.image_id }, { lineCount: 2, wordsPerLine: 1 });
    await expect(store.create(smaller)).rejects.toBeInstanceOf(LockBusyError);
    storeClock.advance(90_001);
    expect(await store.create(smaller)).toEqual({ created: true, details: smaller });
    expect(await store.get(details.receipt.image_id, 1)).toEqual(smaller);
  });
});

describe('DynamoDbOcrJobStore conditional-check failures', () => {
  it('a lost transition names the state the job is really in', async () => {
    const { tableName, doc } = await dynalite.freshTable();
    const store = new DynamoDbOcrJobStore(doc, { tableName, clock: storeClock });
    const job = makeJob({ status: 'PROCESSING' });
    await store.createJob(job);
    await expect(store.transitionJob(job.job_id, 'PENDING', 'PROCESSING')).rejects.toThrow(
      new ConditionFailedError(`job ${job.job_id} is PROCESSING, expected PENDING for PENDING -> PROCESSING`),
    );
  });

  it('a job id reused for another image is refused', async () => {
    const { tableName, doc } = await dynalite.freshTable();
    const store = new DynamoDbOcrJobStore(doc, { tableName, clock: storeClock });
    const job = makeJob();
    await store.createJob(job);
    await expect(store.createJob({ ...job, image_id: 'img-other' })).rejects.toBeInstanceOf(ConditionFailedError);
    expect(await store.getJob(job.job_id)).toEqual(job);
  });
});

describe('compaction run sweep index', () => {
  it('a run whose index entry could not be dropped is still not listed once both collections are COMPLETED', async () => {
    const { tableName, client, doc } = await dynalite.freshTable();
    const store = new DynamoDbCompactionRunStore(doc, { tableName, clock: storeClock });
    const run = makeCompactionRun({ lines: { state: 'COMPLETED' }, words: { state: 'PROCESSING' } });
    await store.create(run);
    const drop = interceptCommand(client, 'UpdateItemCommand', async (input, send) => {
      if (String(input.UpdateExpression).startsWith('REMOVE')) throw serviceError('InternalServerError', 500);
      return send(input);
    });
    const ref = { image_id: run.image_id, receipt_id: run.receipt_id, run_id: run.run_id };
    const done = await store.transitionCollection(ref, 'words', 'PROCESSING', 'COMPLETED', { merged_count: 3 });
    drop.remove();
    expect(drop.calls).toBe(2); // the transition, then the refused index drop
    expect(done.words.state).toBe('COMPLETED');
    expect(await store.listUnfinished('2999-01-01T00:00:00.000Z')).toEqual([]);
  });
});

// docs/lessons.md#lesson-20-lost-update-on-the-snapshot-pointer
describe('lease lost between upload and pointer swap', () => {
  it('the compactor whose lease expired is refused at renew and at promote; the newer one wins', async () => {
    const { tableName, doc } = await dynalite.freshTable();
    const clock = new ManualClock();
    const lock = new DynamoDbCompactionLock(doc, { tableName, clock });
    const snapshots = new DynamoDbSnapshotStore(doc, { tableName, clock });

    const a = (await lock.acquire('compaction-lines', 'compactor-a', 180_000))!;
    clock.advance(181_000); // A stalls past its lease while uploading
    const b = (await lock.acquire('compaction-lines', 'compactor-b', 180_000))!;
    expect(b.fencing_token).toBeGreaterThan(a.fencing_token);
    await snapshots.promote(makeSnapshotPointer({ version: 1, fencing_token: b.fencing_token, run_ids: ['b'] }), 0);

    await expect(lock.renew(a, 180_000)).rejects.toBeInstanceOf(LeaseLostError);
    await expect(
      snapshots.promote(makeSnapshotPointer({ version: 2, fencing_token: a.fencing_token, run_ids: ['a'] }), 1),
    ).rejects.toBeInstanceOf(StaleFencingTokenError);
    expect((await snapshots.current('lines'))?.run_ids).toEqual(['b']);
  });

  // docs/lessons.md#lesson-1-lease-lost-mid-merge
  it('with a heartbeat renewing the lease, a 10-minute merge keeps it and nobody takes over', async () => {
    const { tableName, doc } = await dynalite.freshTable();
    const clock = new ManualClock();
    const lock = new DynamoDbCompactionLock(doc, { tableName, clock });
    let lease = (await lock.acquire('compaction-words', 'compactor-a', 180_000))!;
    for (let minute = 1; minute <= 10; minute++) {
      clock.advance(60_000);
      lease = await lock.renew(lease, 180_000);
      expect(await lock.acquire('compaction-words', 'compactor-b', 180_000)).toBeNull();
    }
    expect(await lock.isHeld(lease)).toBe(true);
  });
});

describe('DynamoDB server down', () => {
  it('fails fast with a TransientDependencyError naming dynamodb, the operation and the refusal', async () => {
    const emulator = await startDynalite();
    await emulator.stop(); // the port is now closed
    const doc = createTestDocumentClient(emulator.endpoint);
    const store = new DynamoDbOcrJobStore(doc, { tableName: 'jobs', clock: storeClock });
    const error = await store.getJob('job-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDependencyError);
    expect((error as Error).message).toMatch(/^dynamodb: GetItem on table jobs: .*ECONNREFUSED/);
    doc.destroy();
  });
});
