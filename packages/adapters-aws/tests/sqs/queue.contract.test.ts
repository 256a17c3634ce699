import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describeQueueContract } from '@receiptflow/core/testing';
import { afterAll, beforeAll } from 'vitest';
import { SqsQueue, createQueueWithDlq } from '../../src/sqs/index.js';
import {
  createTestSqsClient,
  startFauxqs,
  uniqueResourceName,
  type RunningEmulator,
} from '@receiptflow/devkit/emulators';

let emulator: RunningEmulator;
let client: SQSClient;
beforeAll(async () => {
  emulator = await startFauxqs();
  client = createTestSqsClient(emulator.endpoint);
});
afterAll(async () => {
  client?.destroy();
  await emulator?.stop();
});

describeQueueContract('SqsQueue on fauxqs', async (options = {}) => {
  const name = uniqueResourceName('queue');
  const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 30;
  if (options.maxReceiveCount !== undefined) {
    const created = await createQueueWithDlq(client, name, {
      maxReceiveCount: options.maxReceiveCount,
      visibilityTimeoutSeconds,
      retentionSeconds: 345_600,
      allowLowMaxReceiveCount: true,
    });
    return {
      subject: new SqsQueue(client, { queueUrl: created.queueUrl }),
      dlq: new SqsQueue(client, { queueUrl: created.dlqUrl }),
    };
  }
  const out = await client.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: String(visibilityTimeoutSeconds) } }),
  );
  return { subject: new SqsQueue(client, { queueUrl: out.QueueUrl! }) };
});
