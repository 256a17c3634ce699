import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  createTestSqsClient,
  startFauxqs,
  uniqueResourceName,
  type RunningFauxqs,
} from '@receiptflow/devkit/emulators';
import { LockBusyError, type LeasedMessage, type ReceiptStore } from '@receiptflow/core';
import { Container } from 'inversify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { queueEventSources } from '../src/container/aws/event-sources.js';
import { processOcrResultsHandlerFrom } from '../src/container/handler-factories.js';
import { TOKENS } from '../src/container/tokens.js';
import { createCompactionHandler } from '../src/handlers/compaction-handler.js';
import {
  contentionRetryDelaySeconds,
  leaseRetryDelaySeconds,
  type SqsEvent,
  type SqsRecord,
} from '../src/handlers/sqs-event.js';
import { openLocalAdapters, type LocalAdapters } from '../src/local/local-adapters.js';
import { collectingLogger } from './support/fixtures.js';
import { localPipeline, ocrResultsBody } from './support/local-pipeline.js';

// Contention on fauxqs, as the deployed consumers meet it: records shaped as the event source
// mapping delivers them (with `eventSourceARN`), the queue found from that ARN
// (`queueEventSources`, as the Lambda containers bind it), and a ChangeMessageVisibility on it for
// the short retry. fauxqs names queues its own way, hence its `queueUrlOf` as the URL override.

/** Stands in for the queues' long visibility timeouts (an hour for compaction): never seen to lapse here. */
const QUEUE_VISIBILITY_SECONDS = 120;
const REGION = 'us-east-1';

let fauxqs: RunningFauxqs;
let sqs: SQSClient;
let adapters: LocalAdapters;
beforeAll(async () => {
  // The consumers' own SQS client takes credentials from the environment, as on Lambda.
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'x');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'y');
  fauxqs = await startFauxqs();
  sqs = createTestSqsClient(fauxqs.endpoint);
  adapters = await openLocalAdapters();
});
afterAll(async () => {
  vi.unstubAllEnvs();
  sqs?.destroy();
  await fauxqs?.stop();
  await adapters?.close();
});

const sourceOf = () =>
  queueEventSources({ region: REGION, endpoint: fauxqs.endpoint }, { queueUrlOf: fauxqs.queueUrlOf });

/** A queue with a long visibility timeout, and its ARN (what the mapping puts on each record). */
async function createQueue(prefix: string): Promise<{ url: string; arn: string }> {
  const created = await sqs.send(
    new CreateQueueCommand({
      QueueName: uniqueResourceName(prefix),
      Attributes: { VisibilityTimeout: String(QUEUE_VISIBILITY_SECONDS) },
    }),
  );
  const url = created.QueueUrl!;
  const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return { url, arn: attributes.Attributes!.QueueArn! };
}

/** What the event source mapping hands the function: the received messages as Lambda records. */
async function lambdaEvent(queue: { url: string; arn: string }, count: number): Promise<SqsEvent> {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queue.url,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 5,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    }),
  );
  expect(out.Messages).toHaveLength(count);
  return {
    Records: (out.Messages ?? []).map((m): SqsRecord & { eventSource: string; awsRegion: string } => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body!,
      attributes: { ApproximateReceiveCount: m.Attributes!.ApproximateReceiveCount! },
      messageAttributes: {},
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: REGION,
    })),
  };
}

/** Not visible at once (a retryLater(0) would show it), then back well inside one long poll. */
async function expectBackSoon(queueUrl: string, body: string) {
  const now = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }));
  expect(now.Messages ?? []).toEqual([]);
  // 20 s is far less than the queue's 120 s: only the visibility change can bring it back by then.
  const again = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 20,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    }),
  );
  expect(again.Messages?.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([[body, '2']]);
}

const message = (collection: 'lines' | 'words') =>
  JSON.stringify({ kind: 'delete_receipt', collection, image_id: 'img-1', receipt_id: 1 });

/** A receipt store whose writes meet another delivery's live lease, with `retryAfterMs` left on it. */
function leasedReceipts(store: ReceiptStore, retryAfterMs: number): ReceiptStore {
  return Object.assign(Object.create(store) as ReceiptStore, {
    create: async () => {
      throw new LockBusyError('receipt is being written by another delivery', { retryAfterMs });
    },
  });
}

describe('a compaction message that meets a busy lock, on fauxqs', () => {
  it('comes back after the short delay it was given, not the queue visibility timeout; the other collection is compacted', async () => {
    const queue = await createQueue('compaction');
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: message('lines') }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: message('words') }));
    // Another poller is merging lines.
    const held = await adapters.lock.acquire('compaction:lines', 'other-poller', 600_000);
    expect(held).not.toBeNull();
    const handler = createCompactionHandler(
      { ...adapters, logger: collectingLogger() },
      { sourceOf: sourceOf(), busyRetryDelaySeconds: () => 2 },
    );

    const event = await lambdaEvent(queue, 2);
    const linesId = event.Records.find((r) => r.body === message('lines'))!.messageId;
    expect(await handler(event)).toEqual({ batchItemFailures: [{ itemIdentifier: linesId }] });
    await adapters.lock.release(held!);
    await expectBackSoon(queue.url, message('lines'));
  });
});

describe("an ocr-results message that meets another delivery's receipt write lease", () => {
  it('comes back on fauxqs after that lease, not the visibility timeout', async () => {
    const p = await localPipeline();
    const body = await ocrResultsBody(p);
    const queue = await createQueue('ocr-results');
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
    const container = new Container({ parent: p.container });
    container.bind(TOKENS.Receipts).toConstantValue(leasedReceipts(p.adapters.receipts, 2_000));
    container.bind(TOKENS.EventSources).toConstantValue(sourceOf());
    const handler = processOcrResultsHandlerFrom(container);

    const event = await lambdaEvent(queue, 1);
    expect(await handler(event)).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] });
    const failed = p.logger.entries.find((e) => e.message === 'ocr results failed');
    expect(failed?.fields.error).toMatch(/being written by another delivery/);
    await expectBackSoon(queue.url, body);
  });

  it('asks for the time left on the lease plus jitter, rather than the backoff by receive count', async () => {
    const p = await localPipeline();
    const body = await ocrResultsBody(p);
    const container = new Container({ parent: p.container });
    container.bind(TOKENS.Receipts).toConstantValue(leasedReceipts(p.adapters.receipts, 42_000));
    const delays: number[] = [];
    const leased: LeasedMessage = {
      id: 'm-1',
      body,
      receiveCount: 1,
      ack: async () => {},
      retryLater: async (seconds) => void delays.push(seconds),
      deadLetter: async () => {},
      extendLease: async () => {},
    };
    await processOcrResultsHandlerFrom(container).consume([leased]);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(43);
    expect(delays[0]).toBeLessThanOrEqual(47);
  });
});

describe('leaseRetryDelaySeconds', () => {
  it('waits the lease out plus 1–5 s of jitter, capped at 900 s', () => {
    expect(leaseRetryDelaySeconds(42_000, () => 0)).toBe(43);
    expect(leaseRetryDelaySeconds(42_001, () => 0.999)).toBe(48);
    expect(leaseRetryDelaySeconds(0, () => 0)).toBe(1);
    expect(leaseRetryDelaySeconds(10_000_000, () => 0)).toBe(900);
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
