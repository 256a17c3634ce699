import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { describeDeadLetterQueueContract, describeQueueContract } from '@receiptflow/core/testing';
import { SqsDeadLetterQueue, SqsQueue, createQueueWithDlq } from '../../src/sqs/index.js';
import { uniqueResourceName } from '@receiptflow/devkit/emulators';
import { fauxqsSqs } from '@receiptflow/devkit/emulators/suite';

const sqs = fauxqsSqs();

/**
 * SQS documents that a delete with an old receipt handle "succeeds, but the message might not be
 * deleted", so the adapter cannot promise a stale lease's ack is harmless (see SqsQueue's TSDoc).
 */
const STALE_LEASE = { staleLeaseCannotAck: false };
/** The suite reads empty queues often; SqsQueue's default long poll would wait 20 s on each. */
const SHORT_POLL = { waitSeconds: 0 };

describeQueueContract(
  'SqsQueue on fauxqs',
  async (options = {}) => {
    const name = uniqueResourceName('queue');
    const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 30;
    if (options.maxReceiveCount !== undefined || options.deadLetter) {
      const created = await createQueueWithDlq(sqs().client, name, {
        // Without redrive asked for, a count the suite never reaches.
        maxReceiveCount: options.maxReceiveCount ?? 100,
        visibilityTimeoutSeconds,
        retentionSeconds: 345_600,
        allowLowMaxReceiveCount: true,
      });
      return {
        subject: new SqsQueue(sqs().client, {
          ...SHORT_POLL,
          queueUrl: created.queueUrl,
          deadLetterQueueUrl: created.dlqUrl,
        }),
        dlq: new SqsQueue(sqs().client, { ...SHORT_POLL, queueUrl: created.dlqUrl }),
      };
    }
    const out = await sqs().client.send(
      new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: String(visibilityTimeoutSeconds) } }),
    );
    return { subject: new SqsQueue(sqs().client, { ...SHORT_POLL, queueUrl: out.QueueUrl! }) };
  },
  STALE_LEASE,
);

describeDeadLetterQueueContract('SqsDeadLetterQueue on fauxqs', async () => {
  const created = await createQueueWithDlq(sqs().client, uniqueResourceName('work'), {
    maxReceiveCount: 100,
    visibilityTimeoutSeconds: 30,
    retentionSeconds: 345_600,
    allowLowMaxReceiveCount: true,
  });
  return {
    // fauxqs is one host: a short poll sees every message, and an empty one costs no wait.
    subject: new SqsDeadLetterQueue(sqs().client, {
      dlqUrl: created.dlqUrl,
      sourceUrl: created.queueUrl,
      waitSeconds: 0,
    }),
    source: new SqsQueue(sqs().client, {
      ...SHORT_POLL,
      queueUrl: created.queueUrl,
      deadLetterQueueUrl: created.dlqUrl,
    }),
    // As SQS's redrive after maxReceiveCount: the body alone, no note.
    putRaw: async (body) => {
      await sqs().client.send(new SendMessageCommand({ QueueUrl: created.dlqUrl, MessageBody: body }));
    },
  };
});
