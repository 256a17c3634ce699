import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { openLocalAdapters, type LocalAdapters } from '../src/local/local-adapters.js';
import { Container } from 'inversify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { queueEventSources } from '../src/container/aws/event-sources.js';
import { processOcrResultsHandlerFrom } from '../src/container/handler-factories.js';
import { TOKENS } from '../src/container/tokens.js';
import { createCompactionHandler } from '../src/handlers/compaction-handler.js';
import type { SqsEvent } from '../src/handlers/sqs-event.js';
import { collectingLogger } from './support/fixtures.js';
import { localPipeline, ocrResultsBody } from './support/local-pipeline.js';

// The deployed queue consumers settle each record on the queue its eventSourceARN names, through
// an SQS client that fails fast. From the VPC that call goes through the NAT instance; when the
// queue cannot be reached, the record must still go back to the queue (as a batch item failure,
// after the visibility timeout), and the invocation must not hang. Timing on fauxqs, for a queue
// that answers, is in lock-contention.test.ts.

const REGION = 'us-east-1';

let adapters: LocalAdapters;
beforeAll(async () => {
  // The consumers' own SQS client takes credentials from the environment, as on Lambda.
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'x');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'y');
  adapters = await openLocalAdapters();
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await adapters?.close();
});

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
