import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { TransientDependencyError, ValidationError } from '@receiptflow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsQueue } from '../../src/sqs/index.js';
import { countCommand, failCommand, interceptCommand, serviceError } from '@receiptflow/devkit/faults';
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

async function freshQueue(): Promise<SqsQueue> {
  const out = await client.send(new CreateQueueCommand({ QueueName: uniqueResourceName('q') }));
  return new SqsQueue(client, { queueUrl: out.QueueUrl! });
}

type Entry = { Id: string };

/**
 * Answers the first `times` calls as if the entries with these batch entry ids failed inside the
 * batch (the adapter uses input positions as entry ids).
 */
function failEntries(commandName: string, failIds: string[], times: number) {
  return interceptCommand(client, commandName, async (input, send, call) => {
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

describe('SqsQueue batches', () => {
  // docs/lessons.md#lesson-5-one-poison-message-stopped-the-ocr-drain
  it('deleteBatch([]) makes no call at all', async () => {
    const queue = await freshQueue();
    const calls = countCommand(client, 'DeleteMessageBatchCommand');
    expect(await queue.deleteBatch([])).toEqual({ failed: [] });
    calls.remove();
    expect(calls.calls).toBe(0);
  });

  it('deleteBatch retries entries that failed inside a batch once', async () => {
    const queue = await freshQueue();
    await queue.sendBatch(['a', 'b', 'c']);
    const received = await queue.receive({ maxMessages: 10 });
    expect(received).toHaveLength(3);
    const fault = failEntries('DeleteMessageBatchCommand', ['1'], 1);
    expect(await queue.deleteBatch(received.map((m) => m.receiptHandle))).toEqual({ failed: [] });
    fault.remove();
    expect(fault.calls).toBe(2);
    expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0 });
  });

  it('deleteBatch reports the handles that still fail after the retry', async () => {
    const queue = await freshQueue();
    await queue.sendBatch(['a', 'b', 'c']);
    const received = await queue.receive({ maxMessages: 10 });
    const fault = failEntries('DeleteMessageBatchCommand', ['0'], 2);
    const result = await queue.deleteBatch(received.map((m) => m.receiptHandle));
    fault.remove();
    expect(result).toEqual({ failed: [received[0]!.receiptHandle] });
    expect(await queue.depth()).toEqual({ visible: 0, inFlight: 1 });
  });

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
    const spy = interceptCommand(client, 'SendMessageBatchCommand', (input, send) => {
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
    const spy = interceptCommand(client, 'ReceiveMessageCommand', (input, send) => {
      inputs.push(input);
      return send(input);
    });
    await queue.send('x');
    const [message] = await queue.receive({ waitSeconds: 2, maxMessages: 3, visibilityTimeoutSeconds: 5 });
    spy.remove();
    expect(message?.receiveCount).toBe(1);
    expect(inputs[0]).toMatchObject({
      WaitTimeSeconds: 2,
      MaxNumberOfMessages: 3,
      VisibilityTimeout: 5,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    });
  });

  it('validates changeVisibility and delay bounds', async () => {
    const queue = await freshQueue();
    await expect(queue.changeVisibility('h', 43_201)).rejects.toBeInstanceOf(ValidationError);
    await expect(queue.send('x', { delaySeconds: 901 })).rejects.toBeInstanceOf(ValidationError);
  });

  it('throttled receive becomes TransientDependencyError naming the queue', async () => {
    const queue = await freshQueue();
    const fault = failCommand(client, 'ReceiveMessageCommand', () => serviceError('RequestThrottled', 400));
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
