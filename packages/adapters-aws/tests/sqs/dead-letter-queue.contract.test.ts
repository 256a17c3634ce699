import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describeDeadLetterQueueContract } from '@receiptflow/core/testing';
import { afterAll, beforeAll } from 'vitest';
import { SqsDeadLetterQueue, SqsQueue, createQueueWithDlq } from '../../src/sqs/index.js';
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

describeDeadLetterQueueContract('SqsDeadLetterQueue on fauxqs', async () => {
  const name = uniqueResourceName('work');
  const created = await createQueueWithDlq(client, name, {
    maxReceiveCount: 100,
    visibilityTimeoutSeconds: 30,
    retentionSeconds: 345_600,
    allowLowMaxReceiveCount: true,
  });
  return {
    // fauxqs answers every host: a short poll sees every message, and an empty one costs no wait.
    subject: new SqsDeadLetterQueue(client, { dlqUrl: created.dlqUrl, sourceUrl: created.queueUrl, waitSeconds: 0 }),
    source: new SqsQueue(client, { queueUrl: created.queueUrl, deadLetterQueueUrl: created.dlqUrl, waitSeconds: 0 }),
    putRaw: async (body) => {
      await client.send(new SendMessageCommand({ QueueUrl: created.dlqUrl, MessageBody: body }));
    },
  };
});
