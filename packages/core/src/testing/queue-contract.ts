import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import type { Queue, QueueMessage, ReceiveOptions } from '../ports/index.js';

/** How the suite asks the factory to configure the queue it creates. */
export interface QueueContractOptions {
  /** The queue's default visibility timeout in seconds; default 30. */
  visibilityTimeoutSeconds?: number;
  /** When set, the queue has a dead-letter queue after this many receives; return it as `dlq`. */
  maxReceiveCount?: number;
}

/**
 * What a Queue contract factory returns: a fresh, EMPTY queue (and its empty DLQ when asked).
 * `advance(ms)` lets time pass: a fake clock's advance for local adapters; when omitted the
 * suite sleeps for real (about 1 s in total).
 */
export interface QueueContractSubject {
  subject: Queue;
  dlq?: Queue;
  cleanup?: () => Promise<void>;
  advance?: (ms: number) => Promise<void>;
}

// For suites without `advance`: a real adapter (SQS, DynamoDB) keeps its own time, so the only way
// to let a visibility timeout or a lease lapse there is to wait for it.
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Receives until `count` messages arrived or a few polls came back short (SQS samples hosts). */
async function receiveAll(queue: Queue, count: number, options: ReceiveOptions = {}): Promise<QueueMessage[]> {
  const got: QueueMessage[] = [];
  for (let attempt = 0; attempt < 2 * count + 5 && got.length < count; attempt++) {
    const batch = await queue.receive({ maxMessages: 10, ...options });
    expect(batch.length).toBeLessThanOrEqual(10);
    got.push(...batch);
  }
  return got;
}

/**
 * The Queue contract: SQS semantics. At-least-once delivery, visibility timeout, receive
 * count, delay, changeVisibility, batch limits, a DLQ after maxReceiveCount, long polling.
 */
export function describeQueueContract(
  name: string,
  factory: (options?: QueueContractOptions) => Promise<QueueContractSubject>,
): void {
  describe(`Queue contract: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    async function make(options?: QueueContractOptions) {
      const created = await factory(options);
      if (created.cleanup) cleanups.push(created.cleanup);
      return { ...created, advance: created.advance ?? realSleep };
    }
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });

    it('has a name', async () => {
      const { subject } = await make();
      expect(subject.name.length).toBeGreaterThan(0);
    });

    it('sends, receives and deletes a message', async () => {
      const { subject } = await make();
      const { id } = await subject.send('{"job_id":"j1"}');
      const [message, ...rest] = await subject.receive();
      expect(rest).toEqual([]);
      expect(message).toMatchObject({ id, body: '{"job_id":"j1"}', receiveCount: 1 });
      expect(typeof message?.receiptHandle).toBe('string');
      await subject.delete(message!.receiptHandle);
      expect(await subject.receive()).toEqual([]);
      expect(await subject.depth()).toEqual({ visible: 0, inFlight: 0 });
    });

    it('receive on an empty queue returns no messages', async () => {
      const { subject } = await make();
      expect(await subject.receive({ maxMessages: 10 })).toEqual([]);
    });

    it('a received message is invisible while in flight, and depth says so', async () => {
      const { subject } = await make();
      await subject.send('a');
      expect(await subject.depth()).toEqual({ visible: 1, inFlight: 0 });
      const first = await subject.receive();
      expect(first).toHaveLength(1);
      expect(await subject.receive()).toEqual([]);
      expect(await subject.depth()).toEqual({ visible: 0, inFlight: 1 });
    });

    it('changeVisibility(handle, 0) redelivers now, with a new handle and receiveCount 2', async () => {
      const { subject } = await make();
      const { id } = await subject.send('again');
      const [first] = await subject.receive();
      await subject.changeVisibility(first!.receiptHandle, 0);
      const [second] = await subject.receive();
      expect(second).toMatchObject({ id, body: 'again', receiveCount: 2 });
      expect(second!.receiptHandle).not.toBe(first!.receiptHandle);
      await subject.delete(second!.receiptHandle);
      expect(await subject.depth()).toEqual({ visible: 0, inFlight: 0 });
    });

    it('time: an expired visibility timeout redelivers, changeVisibility extends it, a delay hides a message', async () => {
      const { subject, advance } = await make();
      const a = await subject.send('extended');
      const b = await subject.send('expires');
      const c = await subject.send('delayed', { delaySeconds: 1 });
      const firstRound = await receiveAll(subject, 2, { visibilityTimeoutSeconds: 1 });
      expect(firstRound.map((m) => m.id).sort()).toEqual([a.id, b.id].sort());
      const heldA = firstRound.find((m) => m.id === a.id)!;
      await subject.changeVisibility(heldA.receiptHandle, 60);

      await advance(1_100);

      const secondRound = await receiveAll(subject, 2);
      expect(secondRound.map((m) => [m.id, m.receiveCount]).sort()).toEqual(
        [
          [b.id, 2],
          [c.id, 1],
        ].sort(),
      );
      expect(await subject.receive({ maxMessages: 10 })).toEqual([]);
    });

    it('sendBatch returns ids in input order; receive returns at most 10 per call', async () => {
      const { subject } = await make();
      const bodies = Array.from({ length: 23 }, (_, i) => `body-${i}`);
      const ids = await subject.sendBatch(bodies);
      expect(ids).toHaveLength(23);
      expect(new Set(ids.map((r) => r.id)).size).toBe(23);
      const received = await receiveAll(subject, 23);
      expect(received.map((m) => m.body).sort()).toEqual([...bodies].sort());
      const idByBody = new Map(bodies.map((body, i) => [body, ids[i]!.id]));
      for (const m of received) expect(m.id).toBe(idByBody.get(m.body));
    });

    it('sendBatch([]) sends nothing', async () => {
      const { subject } = await make();
      expect(await subject.sendBatch([])).toEqual([]);
      expect(await subject.depth()).toEqual({ visible: 0, inFlight: 0 });
    });

    it('rejects maxMessages outside 1..10 and waitSeconds outside 0..20 with ValidationError', async () => {
      const { subject } = await make();
      await expect(subject.receive({ maxMessages: 11 })).rejects.toBeInstanceOf(ValidationError);
      await expect(subject.receive({ maxMessages: 0 })).rejects.toBeInstanceOf(ValidationError);
      await expect(subject.receive({ waitSeconds: 21 })).rejects.toBeInstanceOf(ValidationError);
    });

    it('deleteBatch([]) returns no failures', async () => {
      const { subject } = await make();
      expect(await subject.deleteBatch([])).toEqual({ failed: [] });
    });

    it('deleteBatch deletes more than 10 messages', async () => {
      const { subject } = await make();
      await subject.sendBatch(Array.from({ length: 12 }, (_, i) => `m${i}`));
      const received = await receiveAll(subject, 12);
      expect(received).toHaveLength(12);
      expect(await subject.deleteBatch(received.map((m) => m.receiptHandle))).toEqual({ failed: [] });
      expect(await subject.depth()).toEqual({ visible: 0, inFlight: 0 });
    });

    // docs/lessons.md#lesson-4-a-dlq-threshold-that-could-never-be-reached
    it('after maxReceiveCount receives without delete, the message moves to the DLQ', async () => {
      const { subject, dlq } = await make({ maxReceiveCount: 2 });
      expect(dlq).toBeDefined();
      const { id } = await subject.send('poison');
      for (let n = 1; n <= 2; n++) {
        const [message] = await subject.receive();
        expect(message).toMatchObject({ id, receiveCount: n });
        await subject.changeVisibility(message!.receiptHandle, 0);
      }
      expect(await subject.receive()).toEqual([]);
      expect(await subject.depth()).toEqual({ visible: 0, inFlight: 0 });
      const dead = await dlq!.receive({ waitSeconds: 1 });
      expect(dead.map((m) => m.body)).toEqual(['poison']);
    });

    it('a long poll returns as soon as a message arrives', async () => {
      const { subject } = await make();
      const polling = subject.receive({ waitSeconds: 10 });
      await realSleep(50);
      await subject.send('wake up');
      const messages = await polling;
      expect(messages.map((m) => m.body)).toEqual(['wake up']);
    });
  });
}
