import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { SqsQueue } from '@receiptflow/adapters-aws/sqs';
import {
  createTestSqsClient,
  startFauxqs,
  uniqueResourceName,
  type RunningEmulator,
} from '@receiptflow/devkit/emulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompactionHandler } from '../src/handlers/compaction-handler.js';
import { contentionRetryDelaySeconds, type SqsEvent } from '../src/handlers/sqs-event.js';
import { openLocalAdapters, type LocalAdapters } from '../src/local/local-adapters.js';
import { collectingLogger } from './support/fixtures.js';

/** Stands in for the compaction queue's hour: long enough that a test never sees it lapse. */
const QUEUE_VISIBILITY_SECONDS = 60;

let fauxqs: RunningEmulator;
let sqs: SQSClient;
let adapters: LocalAdapters;
beforeAll(async () => {
  fauxqs = await startFauxqs();
  sqs = createTestSqsClient(fauxqs.endpoint);
  adapters = await openLocalAdapters();
});
afterAll(async () => {
  sqs?.destroy();
  await fauxqs?.stop();
  await adapters?.close();
});

/** What the event source mapping hands the function: the received messages as Lambda records. */
async function lambdaEvent(queueUrl: string, count: number): Promise<SqsEvent> {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 2,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    }),
  );
  expect(out.Messages).toHaveLength(count);
  return {
    Records: (out.Messages ?? []).map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body!,
      attributes: { ApproximateReceiveCount: m.Attributes!.ApproximateReceiveCount! },
    })),
  };
}

const message = (collection: 'lines' | 'words') =>
  JSON.stringify({ kind: 'delete_receipt', collection, image_id: 'img-1', receipt_id: 1 });

describe('a compaction message that meets a busy lock, on fauxqs', () => {
  it('comes back after the short delay it was given, not the queue visibility timeout; the other collection is compacted', async () => {
    const created = await sqs.send(
      new CreateQueueCommand({
        QueueName: uniqueResourceName('compaction'),
        Attributes: { VisibilityTimeout: String(QUEUE_VISIBILITY_SECONDS) },
      }),
    );
    const queueUrl = created.QueueUrl!;
    // The handler settles its records on this queue, as `leasedBatch(event, source)` does.
    const source = new SqsQueue(sqs, { queueUrl });

    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: message('lines') }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: message('words') }));
    // Another poller is merging lines.
    expect(await adapters.lock.acquire('compaction:lines', 'other-poller', 600_000)).not.toBeNull();
    const handler = createCompactionHandler(
      { ...adapters, logger: collectingLogger() },
      { source, busyRetryDelaySeconds: () => 2 },
    );

    const event = await lambdaEvent(queueUrl, 2);
    const linesId = event.Records.find((r) => r.body === message('lines'))!.messageId;
    expect(await handler(event)).toEqual({ batchItemFailures: [{ itemIdentifier: linesId }] });

    // Not at once (a retryLater(0) would show it here)...
    const now = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }));
    expect(now.Messages ?? []).toEqual([]);
    // ...but well before the visibility timeout: the long poll ends when it is visible again.
    const again = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 10,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    expect(again.Messages?.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([
      [message('lines'), '2'],
    ]);
  });
});

describe('contentionRetryDelaySeconds', () => {
  it('starts at 5–10 s, doubles per receive, caps at 120–240 s, and spreads over its range', () => {
    expect(contentionRetryDelaySeconds(1, () => 0)).toBe(5);
    expect(contentionRetryDelaySeconds(1, () => 0.999)).toBe(9);
    expect(contentionRetryDelaySeconds(2, () => 0)).toBe(10);
    expect(contentionRetryDelaySeconds(4, () => 0.5)).toBe(60);
    expect(contentionRetryDelaySeconds(10, () => 0)).toBe(120);
    expect(contentionRetryDelaySeconds(10, () => 0.999)).toBe(239);
    const spread = new Set(Array.from({ length: 50 }, () => contentionRetryDelaySeconds(1)));
    expect(spread.size).toBeGreaterThan(1);
  });

  it('four busy receives in a row wait well under the compaction queue visibility timeout (an hour)', () => {
    const worst = [1, 2, 3, 4].reduce((sum, n) => sum + contentionRetryDelaySeconds(n, () => 0.999), 0);
    expect(worst).toBeLessThan(3600 / 10);
  });
});
