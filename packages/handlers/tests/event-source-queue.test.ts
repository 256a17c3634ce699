import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { demoReceipts } from '@receiptflow/adapters-local/synthetic';
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
import { leaseRetryDelaySeconds, type SqsEvent, type SqsRecord } from '../src/handlers/sqs-event.js';
import { openLocalAdapters, type LocalAdapters } from '../src/local/local-adapters.js';
import { bodyOf, collectingLogger, httpEvent, specLines } from './support/fixtures.js';
import { localPipeline, type LocalPipeline } from './support/local-pipeline.js';

// The queue consumers as their Lambdas run them: records as the event source mapping delivers
// them (with `eventSourceARN`), the queue found from that ARN, and a ChangeMessageVisibility for
// a short retry, made through an SQS client that fails fast when the queue cannot be reached.

/** Stands in for the queues' long visibility timeouts (an hour for compaction): never seen to lapse here. */
const QUEUE_VISIBILITY_SECONDS = 120;
const REGION = 'us-east-1';

let fauxqs: RunningFauxqs;
let sqs: SQSClient;
let adapters: LocalAdapters;
beforeAll(async () => {
  // The consumers' clients take credentials from the environment, as on Lambda.
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

/** Not visible at once (a retryLater(0) would show it), then back well inside the long poll. */
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

/** Runs `work` while another poller holds the lines collection's compaction lock. */
async function whileLinesLocked<T>(work: () => Promise<T>): Promise<T> {
  const lease = await adapters.lock.acquire('compaction:lines', 'other-poller', 600_000);
  expect(lease).not.toBeNull();
  try {
    return await work();
  } finally {
    await adapters.lock.release(lease!);
  }
}

const mergeMessage = (collection: 'lines' | 'words', imageId = 'img-1') =>
  JSON.stringify({ kind: 'delete_receipt', collection, image_id: imageId, receipt_id: 1 });

/** Uploads a synthetic receipt and runs OCR; returns its ocr-results-queue body. */
async function ocrResultsBody(p: LocalPipeline): Promise<string> {
  const receipt = demoReceipts()[0]!;
  bodyOf(
    await p.upload(
      httpEvent({ headers: { 'content-type': 'image/png' }, body: p.ocr.register('r0', specLines(receipt.spec)) }),
    ),
  );
  await p.runOcr();
  const [message] = await p.adapters.resultsQueue.receive({ maxMessages: 1 });
  await message!.ack();
  return message!.body;
}

/** A receipt store whose writes meet another delivery's live lease, with `retryAfterMs` left on it. */
function leasedReceipts(store: ReceiptStore, retryAfterMs: number): ReceiptStore {
  return Object.assign(Object.create(store) as ReceiptStore, {
    create: async () => {
      throw new LockBusyError('receipt is being written by another delivery', { retryAfterMs });
    },
  });
}

describe('a Lambda record settled on the queue its eventSourceARN names (fauxqs)', () => {
  const sourceOf = () =>
    queueEventSources({ region: REGION, endpoint: fauxqs.endpoint }, { queueUrlOf: fauxqs.queueUrlOf });

  it('compaction: a LOCK_BUSY record comes back after its short delay, not the queue visibility timeout', async () => {
    const queue = await createQueue('compaction');
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: mergeMessage('lines') }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: mergeMessage('words') }));
    const handler = createCompactionHandler(
      { ...adapters, logger: collectingLogger() },
      { sourceOf: sourceOf(), busyRetryDelaySeconds: () => 2 },
    );
    const event = await lambdaEvent(queue, 2);
    const linesId = event.Records.find((r) => r.body === mergeMessage('lines'))!.messageId;
    // Another poller is merging lines.
    expect(await whileLinesLocked(() => handler(event))).toEqual({ batchItemFailures: [{ itemIdentifier: linesId }] });
    await expectBackSoon(queue.url, mergeMessage('lines'));
  });

  it("process-OCR-results: a record that met another delivery's write lease comes back after that lease, not the visibility timeout", async () => {
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
});

describe('leaseRetryDelaySeconds: a record that met a write lease waits for it', () => {
  it('waits the lease out plus 1–5 s of jitter, capped at 900 s', () => {
    expect(leaseRetryDelaySeconds(42_000, () => 0)).toBe(43);
    expect(leaseRetryDelaySeconds(42_001, () => 0.999)).toBe(48);
    expect(leaseRetryDelaySeconds(0, () => 0)).toBe(1);
    expect(leaseRetryDelaySeconds(10_000_000, () => 0)).toBe(900);
  });

  it('process-OCR-results asks for it, rather than the backoff by receive count', async () => {
    const p = await localPipeline();
    const body = await ocrResultsBody(p);
    const container = new Container({ parent: p.container });
    container.bind(TOKENS.Receipts).toConstantValue(leasedReceipts(p.adapters.receipts, 42_000));
    const delays: number[] = [];
    const message: LeasedMessage = {
      id: 'm-1',
      body,
      receiveCount: 1,
      ack: async () => {},
      retryLater: async (seconds) => void delays.push(seconds),
      deadLetter: async () => {},
      extendLease: async () => {},
    };
    await processOcrResultsHandlerFrom(container).consume([message]);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(43);
    expect(delays[0]).toBeLessThanOrEqual(47);
  });
});

/** A TCP server that accepts connections and never answers: a NAT instance that swallows traffic does no better. */
async function silentServer(): Promise<{
  server: Server;
  port: number;
  connections: () => number;
  close(): Promise<void>;
}> {
  const sockets: Socket[] = [];
  let count = 0;
  const server = createServer((socket) => {
    count++;
    sockets.push(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: the connection is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const recordsOn = (arn: string, bodies: string[]): SqsEvent => ({
  Records: bodies.map((body, i) => ({
    messageId: `m-${i + 1}`,
    receiptHandle: `handle-${i + 1}`,
    body,
    attributes: { ApproximateReceiveCount: '1' },
    eventSourceARN: arn,
  })),
});

describe('when the queue cannot be reached (the NAT instance down), a record still fails back to the queue', () => {
  const ARN = `arn:aws:sqs:${REGION}:123456789012:receiptflow-test-compaction-queue`;

  it(
    'a queue that never answers: both records are batch item failures within a bounded time, one call tried, each fallback logged',
    { timeout: 60_000 },
    async () => {
      const silent = await silentServer();
      try {
        // The ARN's queue under a custom endpoint: the default derivation, no override.
        const sourceOf = queueEventSources({ region: REGION, endpoint: `http://127.0.0.1:${silent.port}` });
        const logger = collectingLogger();
        const handler = createCompactionHandler({ ...adapters, logger }, { sourceOf, busyRetryDelaySeconds: () => 2 });
        const started = Date.now();
        const response = await whileLinesLocked(() =>
          handler(recordsOn(ARN, [mergeMessage('lines', 'a'), mergeMessage('lines', 'b')])),
        );
        const elapsedMs = Date.now() - started;

        expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m-1', 'm-2']);
        // About 3 s (2 attempts of 1.5 s); the bound is loose, but far under the 30 s that an
        // SDK call of the ordinary limits could take, and the Lambda's timeout.
        expect(elapsedMs).toBeLessThan(25_000);
        // The first record's call was tried (its attempts reached the server), the second skipped.
        expect(silent.connections()).toBeGreaterThanOrEqual(1);
        expect(silent.connections()).toBeLessThanOrEqual(2);
        const fallbacks = logger.entries.filter((e) => e.message.startsWith('visibility not changed'));
        expect(fallbacks.map((e) => [e.level, e.fields.skipped])).toEqual([
          ['warn', false],
          ['warn', true],
        ]);
        expect(fallbacks[0]!.fields.error).toMatch(/ChangeMessageVisibility/);
      } finally {
        await silent.close();
      }
    },
  );

  it(
    'a refused connection: process-OCR-results reports the failure and goes on with the batch',
    { timeout: 60_000 },
    async () => {
      const p = await localPipeline();
      const body = await ocrResultsBody(p);
      const container = new Container({ parent: p.container });
      container
        .bind(TOKENS.EventSources)
        .toConstantValue(queueEventSources({ region: REGION, endpoint: `http://127.0.0.1:${await closedPort()}` }));
      const handler = processOcrResultsHandlerFrom(container);
      // A poison record first (its retryLater meets the refused connection), then a good one.
      const response = await handler(recordsOn(ARN, ['{"job_id": ', body]));
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
      expect(p.logger.entries.some((e) => e.message === 'ocr results processed')).toBe(true);
      const fallback = p.logger.entries.find((e) => e.message.startsWith('visibility not changed'));
      expect(fallback?.fields).toMatchObject({ message_id: 'm-1', skipped: false });
      expect(fallback?.fields.error).toMatch(/ECONNREFUSED/);
    },
  );

  it('an eventSourceARN that names no queue: logged, and the records settle by the batch response alone', async () => {
    const logger = collectingLogger();
    const handler = createCompactionHandler(
      { ...adapters, logger },
      { sourceOf: queueEventSources({ region: REGION, endpoint: 'http://127.0.0.1:9' }) },
    );
    const response = await whileLinesLocked(() =>
      handler(recordsOn('arn:aws:sns:us-east-1:123456789012:topic', [mergeMessage('lines')])),
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    expect(logger.entries.find((e) => e.message.startsWith('event source queue not resolved'))?.fields).toMatchObject({
      event_source_arn: 'arn:aws:sns:us-east-1:123456789012:topic',
    });
  });
});
