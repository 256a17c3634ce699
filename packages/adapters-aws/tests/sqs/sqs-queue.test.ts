import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ConfigError, TransientDependencyError, ValidationError } from '@receiptflow/core';
import { describe, expect, it } from 'vitest';
import { SqsQueue, createQueueWithDlq } from '../../src/sqs/index.js';
import { countCommand, failCommand, interceptCommand, serviceError } from '@receiptflow/devkit/faults';
import { createTestSqsClient, startFauxqs, uniqueResourceName } from '@receiptflow/devkit/emulators';
import { fauxqsSqs } from '@receiptflow/devkit/emulators/suite';

const sqs = fauxqsSqs();

async function freshQueue(): Promise<SqsQueue> {
  const out = await sqs().client.send(new CreateQueueCommand({ QueueName: uniqueResourceName('q') }));
  // Short polls: these tests read empty queues, and a long poll would wait 20 s on each.
  return new SqsQueue(sqs().client, { queueUrl: out.QueueUrl!, waitSeconds: 0 });
}

type Entry = { Id: string };

/**
 * Answers the first `times` calls as if the entries with these batch entry ids failed inside the
 * batch (the adapter uses input positions as entry ids).
 */
function failEntries(commandName: string, failIds: string[], times: number) {
  return interceptCommand(sqs().client, commandName, async (input, send, call) => {
    if (call > times) return send(input);
    const entries = input.Entries as Entry[];
    const failing = entries.filter((e) => failIds.includes(e.Id));
    const passing = entries.filter((e) => !failIds.includes(e.Id));
    const output = passing.length > 0 ? await send({ ...input, Entries: passing }) : { Successful: [] };
    return {
      ...output,
      Failed: failing.map((e) => ({ Id: e.Id, Code: 'InternalError', SenderFault: false, Message: 'injected' })),
    };
  });
}

async function queueWithDlq(): Promise<{ queue: SqsQueue; dlq: SqsQueue }> {
  const created = await createQueueWithDlq(sqs().client, uniqueResourceName('q'), {
    maxReceiveCount: 100,
    visibilityTimeoutSeconds: 30,
    retentionSeconds: 345_600,
    allowLowMaxReceiveCount: true,
  });
  return {
    queue: new SqsQueue(sqs().client, {
      queueUrl: created.queueUrl,
      deadLetterQueueUrl: created.dlqUrl,
      waitSeconds: 0,
    }),
    dlq: new SqsQueue(sqs().client, { queueUrl: created.dlqUrl, waitSeconds: 0 }),
  };
}

// docs/lessons.md#lesson-5-one-poison-message-stopped-the-ocr-drain
describe('SqsQueue deadLetter: send to the DLQ first, then delete', () => {
  it('calls SendMessage on the DLQ before DeleteMessage on the source', async () => {
    const { queue } = await queueWithDlq();
    await queue.send('poison');
    const [message] = await queue.receive();
    const order: string[] = [];
    const sends = interceptCommand(sqs().client, 'SendMessageCommand', (input, send) => {
      order.push(`send ${String(input.QueueUrl).split('/').pop()}`);
      return send(input);
    });
    const deletes = interceptCommand(sqs().client, 'DeleteMessageCommand', (input, send) => {
      order.push(`delete ${String(input.QueueUrl).split('/').pop()}`);
      return send(input);
    });
    await message!.deadLetter('malformed body');
    sends.remove();
    deletes.remove();
    expect(order).toEqual([`send ${queue.name}-dlq`, `delete ${queue.name}`]);
  });

  it('a failed DLQ send deletes nothing: the message is still there to be retried', async () => {
    const { queue, dlq } = await queueWithDlq();
    await queue.send('poison');
    const [message] = await queue.receive();
    const fault = failCommand(sqs().client, 'SendMessageCommand', () => serviceError('InternalError', 500));
    await expect(message!.deadLetter('malformed body')).rejects.toBeInstanceOf(TransientDependencyError);
    fault.remove();
    expect(await dlq.backlog()).toBe(0);
    await message!.retryLater(0);
    expect(await queue.receive()).toMatchObject([{ body: 'poison', receiveCount: 2 }]);
  });

  it('a crash between send and delete leaves a duplicate in the DLQ, never a lost message', async () => {
    const { queue, dlq } = await queueWithDlq();
    await queue.send('poison');
    const [first] = await queue.receive({ leaseSeconds: 1 });
    const fault = failCommand(sqs().client, 'DeleteMessageCommand', () => serviceError('InternalError', 500));
    await expect(first!.deadLetter('malformed body')).rejects.toBeInstanceOf(TransientDependencyError);
    fault.remove();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const [again] = await queue.receive();
    expect(again).toMatchObject({ body: 'poison', receiveCount: 2 });
    await again!.deadLetter('malformed body');
    const dead = await dlq.receive({ maxMessages: 10, waitSeconds: 1 });
    expect(dead.map((m) => [m.body, m.deadLettered?.receiveCount]).sort()).toEqual([
      ['poison', 1],
      ['poison', 2],
    ]);
    expect(await queue.backlog()).toBe(0);
  });

  it('a reason longer than 1000 characters is cut, not refused', async () => {
    const { queue, dlq } = await queueWithDlq();
    await queue.send('poison');
    const [message] = await queue.receive();
    await message!.deadLetter('x'.repeat(5_000));
    const [dead] = await dlq.receive({ waitSeconds: 1 });
    expect(dead!.deadLettered!.reason).toHaveLength(1_000);
  });
});

describe('SqsQueue.leaseFromEvent: the LeasedMessage view of a Lambda event record', () => {
  async function delivered(queue: SqsQueue, body: string) {
    await queue.send(body);
    const [message] = await queue.receive({ leaseSeconds: 30 });
    return message!;
  }

  it('ack reports success and calls nothing; retryLater changes visibility and reports failure', async () => {
    const { queue } = await queueWithDlq();
    await queue.send('record');
    const raw = await sqs().client.send(new ReceiveMessageCommand({ QueueUrl: queue.queueUrl, VisibilityTimeout: 30 }));
    const record = raw.Messages![0]!;
    const reports: string[] = [];
    const leased = queue.leaseFromEvent(
      { messageId: record.MessageId!, body: record.Body!, receiptHandle: record.ReceiptHandle!, receiveCount: 1 },
      (outcome) => reports.push(outcome),
    );
    const calls = countCommand(sqs().client, 'DeleteMessageCommand');
    await leased.ack();
    calls.remove();
    expect(calls.calls).toBe(0);
    await leased.retryLater(0);
    expect(reports).toEqual(['success', 'failure']);
    expect(await queue.receive()).toMatchObject([{ body: 'record', receiveCount: 2 }]);
  });

  it('deadLetter sends the record to the DLQ with its reason and reports success', async () => {
    const { queue, dlq } = await queueWithDlq();
    const message = await delivered(queue, 'poison record');
    const reports: string[] = [];
    const leased = queue.leaseFromEvent({ messageId: message.id, body: message.body, receiveCount: 3 }, (o) =>
      reports.push(o),
    );
    await leased.deadLetter('job deleted');
    expect(reports).toEqual(['success']);
    const [dead] = await dlq.receive({ waitSeconds: 1 });
    expect(dead!.deadLettered).toEqual({
      reason: 'job deleted',
      sourceQueue: queue.name,
      sourceMessageId: message.id,
      receiveCount: 3,
    });
  });

  it('a DLQ note on a record (a redriven dead letter) is read back', async () => {
    const { queue } = await queueWithDlq();
    const leased = queue.leaseFromEvent(
      {
        messageId: 'm-1',
        body: 'b',
        receiveCount: 1,
        messageAttributes: {
          dead_letter_reason: { stringValue: 'why' },
          dead_letter_source_queue: { stringValue: 'ocr-queue' },
          dead_letter_source_message_id: { stringValue: 'orig' },
          dead_letter_receive_count: { stringValue: '4' },
        },
      },
      () => {},
    );
    expect(leased.deadLettered).toEqual({
      reason: 'why',
      sourceQueue: 'ocr-queue',
      sourceMessageId: 'orig',
      receiveCount: 4,
    });
  });
});

describe('SqsQueue batches', () => {
  it('sendBatch retries a failed entry once and keeps ids in input order', async () => {
    const queue = await freshQueue();
    const fault = failEntries('SendMessageBatchCommand', ['0', '2'], 1);
    const ids = await queue.sendBatch(['first', 'second', 'third']);
    fault.remove();
    const received = await queue.receive({ maxMessages: 10 });
    const idOf = new Map(received.map((m) => [m.body, m.id]));
    expect(ids.map((r) => r.id)).toEqual(['first', 'second', 'third'].map((b) => idOf.get(b)));
  });

  it('sendBatch throws TransientDependencyError naming what was not sent when a retry fails too', async () => {
    const queue = await freshQueue();
    const fault = failEntries('SendMessageBatchCommand', ['1'], 2);
    await expect(queue.sendBatch(['a', 'b'])).rejects.toThrow(/1 of 2 messages not sent \(#1: InternalError/);
    fault.remove();
  });

  it('sends 10 entries per batch call', async () => {
    const queue = await freshQueue();
    const sizes: number[] = [];
    const spy = interceptCommand(sqs().client, 'SendMessageBatchCommand', (input, send) => {
      sizes.push((input.Entries as Entry[]).length);
      return send(input);
    });
    await queue.sendBatch(Array.from({ length: 25 }, (_, i) => `m${i}`));
    spy.remove();
    expect(sizes).toEqual([10, 10, 5]);
  });
});

describe('SqsQueue receive', () => {
  it('long-polls with WaitTimeSeconds and asks for ApproximateReceiveCount', async () => {
    const queue = await freshQueue();
    const inputs: Record<string, unknown>[] = [];
    const spy = interceptCommand(sqs().client, 'ReceiveMessageCommand', (input, send) => {
      inputs.push(input);
      return send(input);
    });
    await queue.send('x');
    const [message] = await queue.receive({ waitSeconds: 2, maxMessages: 3, leaseSeconds: 5 });
    spy.remove();
    expect(message?.receiveCount).toBe(1);
    expect(inputs[0]).toMatchObject({
      WaitTimeSeconds: 2,
      MaxNumberOfMessages: 3,
      VisibilityTimeout: 5,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    });
  });

  it('long-polls by default: an empty receive() waits for a message sent after it started', async () => {
    const out = await sqs().client.send(new CreateQueueCommand({ QueueName: uniqueResourceName('q') }));
    const queue = new SqsQueue(sqs().client, { queueUrl: out.QueueUrl! });
    const inputs: Record<string, unknown>[] = [];
    const spy = interceptCommand(sqs().client, 'ReceiveMessageCommand', (input, send) => {
      inputs.push(input);
      return send(input);
    });
    const receiving = queue.receive();
    // Sent once the poll is on the wire: a short poll would already have answered empty.
    while (inputs.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await queue.send('late');
    const received = await receiving;
    spy.remove();
    expect(inputs[0]).toMatchObject({ WaitTimeSeconds: 20 });
    expect(received.map((m) => m.body)).toEqual(['late']);
  });

  it('a queue built with waitSeconds uses it when receive() names none; bad values are refused', async () => {
    const out = await sqs().client.send(new CreateQueueCommand({ QueueName: uniqueResourceName('q') }));
    const queue = new SqsQueue(sqs().client, { queueUrl: out.QueueUrl!, waitSeconds: 1 });
    const inputs: Record<string, unknown>[] = [];
    const spy = interceptCommand(sqs().client, 'ReceiveMessageCommand', (input, send) => {
      inputs.push(input);
      return send(input);
    });
    expect(await queue.receive()).toEqual([]);
    spy.remove();
    expect(inputs[0]).toMatchObject({ WaitTimeSeconds: 1 });
    expect(() => new SqsQueue(sqs().client, { queueUrl: out.QueueUrl!, waitSeconds: 21 })).toThrow(ValidationError);
  });

  it('validates lease and delay bounds', async () => {
    const queue = await freshQueue();
    await queue.send('x');
    const [message] = await queue.receive();
    await expect(message!.extendLease(43_201)).rejects.toBeInstanceOf(ValidationError);
    await expect(message!.retryLater(-1)).rejects.toBeInstanceOf(ValidationError);
    await expect(queue.send('x', { delaySeconds: 901 })).rejects.toBeInstanceOf(ValidationError);
  });

  it('deadLetter without deadLetterQueueUrl is a ConfigError naming the queue', async () => {
    const queue = await freshQueue();
    await queue.send('x');
    const [message] = await queue.receive();
    await expect(message!.deadLetter('poison')).rejects.toThrow(ConfigError);
    await expect(message!.deadLetter('poison')).rejects.toThrow(queue.name);
  });

  it('throttled receive becomes TransientDependencyError naming the queue', async () => {
    const queue = await freshQueue();
    const fault = failCommand(sqs().client, 'ReceiveMessageCommand', () => serviceError('RequestThrottled', 400));
    const error = await queue.receive().catch((e: unknown) => e);
    fault.remove();
    expect(error).toBeInstanceOf(TransientDependencyError);
    expect((error as Error).message).toContain(`sqs: ReceiveMessage on queue ${queue.name}`);
  });

  it('server down: TransientDependencyError with the connection refusal', async () => {
    const dead = await startFauxqs();
    await dead.stop();
    const deadClient = createTestSqsClient(dead.endpoint);
    const queue = new SqsQueue(deadClient, { queueUrl: `${dead.endpoint}/000000000000/ocr-queue` });
    expect(queue.name).toBe('ocr-queue');
    const error = await queue.send('x').catch((e: unknown) => e);
    deadClient.destroy();
    expect(error).toBeInstanceOf(TransientDependencyError);
    expect((error as Error).message).toMatch(/^sqs: SendMessage on queue ocr-queue: .*ECONNREFUSED/);
  });
});
