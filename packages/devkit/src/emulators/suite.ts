import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll } from 'vitest';
import { createTestS3Client, createTestSqsClient } from './aws-test-clients.js';
import { startFauxqs, type RunningFauxqs } from './emulators.js';

/** What a suite's fauxqs getter answers: a client on it, its endpoint, and its queue URLs by ARN. */
export interface FauxqsInSuite<C> {
  client: C;
  endpoint: string;
  queueUrlOf: RunningFauxqs['queueUrlOf'];
}

/**
 * Starts fauxqs for the enclosing suite (stopped after it) with an S3 client on it, and returns
 * a getter of both. Its own entry (`@receiptflow/devkit/emulators/suite`), since it registers
 * vitest hooks: dev scripts load `…/emulators` without vitest. (vitest is the workspace root's
 * devDependency, as for every test; the devkit is dev-only.)
 *
 * @example
 * const s3 = fauxqsS3();
 * it('…', async () => { const bucket = await createBucket(s3().client, 'images'); });
 */
export function fauxqsS3(): () => FauxqsInSuite<S3Client> {
  return fauxqsInSuite('fauxqsS3', createTestS3Client);
}

/**
 * As {@link fauxqsS3}, with an SQS client.
 *
 * @example
 * const sqs = fauxqsSqs();
 * it('…', async () => { await sqs().client.send(new CreateQueueCommand({ QueueName: 'q' })); });
 */
export function fauxqsSqs(): () => FauxqsInSuite<SQSClient> {
  return fauxqsInSuite('fauxqsSqs', createTestSqsClient);
}

function fauxqsInSuite<C extends { destroy(): void }>(
  name: string,
  createClient: (endpoint: string) => C,
): () => FauxqsInSuite<C> {
  let emulator: RunningFauxqs | undefined;
  let client: C | undefined;
  beforeAll(async () => {
    emulator = await startFauxqs();
    client = createClient(emulator.endpoint);
  });
  afterAll(async () => {
    client?.destroy();
    await emulator?.stop();
  });
  return () => {
    if (!emulator || !client) throw new Error(`fauxqs is not running: call ${name}() inside a suite, use it in a test`);
    return { client, endpoint: emulator.endpoint, queueUrlOf: emulator.queueUrlOf };
  };
}
