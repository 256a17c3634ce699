import { expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import type { DeadLetterQueue, LeasedMessage, Queue } from '../ports/index.js';
import { defineContract, type ContractSubject } from './contract-helpers.js';

/**
 * What a DeadLetterQueue contract factory returns: the dead-letter queue under test and its
 * work queue (`source`, built with this DLQ as its dead-letter queue), both fresh and EMPTY.
 * `putRaw` puts a body on the DLQ without a note, as SQS redrive does after maxReceiveCount.
 */
export interface DeadLetterQueueContractSubject extends ContractSubject<DeadLetterQueue> {
  source: Queue;
  putRaw(body: string): Promise<void>;
}

/** Dead-letters `body` the way a consumer does: send to the work queue, receive, `deadLetter(reason)`. */
async function deadLetter(source: Queue, body: string, reason: string): Promise<void> {
  await source.send(body);
  const [message] = await source.receive({ maxMessages: 1, waitSeconds: 1 });
  expect(message?.body).toBe(body);
  await message!.deadLetter(reason);
}

/** Receives from the work queue until `count` messages arrived or a few polls came back empty. */
async function drain(queue: Queue, count: number): Promise<LeasedMessage[]> {
  const got: LeasedMessage[] = [];
  for (let empty = 0; got.length < count && empty < 3;) {
    const batch = await queue.receive({ maxMessages: 10, waitSeconds: 0 });
    if (batch.length === 0) empty++;
    got.push(...batch);
  }
  return got;
}

/**
 * The DeadLetterQueue contract: listing leaves messages in place, redrive of one moves that one
 * exactly once (a repeat finds nothing), redrive of all moves every message, the depth counts
 * what waits, and bad limits are refused.
 *
 * @example
 * describeDeadLetterQueueContract('InMemoryDeadLetterQueue', async () => {
 *   const dlq = new InMemoryQueue({ name: 'q-dlq' });
 *   const source = new InMemoryQueue({ name: 'q', deadLetter: { queue: dlq } });
 *   return { subject: new InMemoryDeadLetterQueue(dlq, source), source, putRaw: async (b) => void dlq.send(b) };
 * });
 */
export const describeDeadLetterQueueContract = defineContract<DeadLetterQueue, DeadLetterQueueContractSubject>(
  'DeadLetterQueue',
  (dlq, fixture) => {
    it('an empty DLQ lists nothing, redrives nothing and has depth 0', async () => {
      expect(dlq.name.length).toBeGreaterThan(0);
      expect(dlq.sourceName).toBe(fixture().source.name);
      expect(await dlq.depth()).toEqual({ visible: 0, inFlight: 0 });
      expect(await dlq.list(10)).toEqual([]);
      expect(await dlq.redrive('no-such-message')).toBe(false);
      expect(await dlq.redriveAll()).toBe(0);
    });

    it('lists every message with its body and note, and listing again shows the same: nothing is taken', async () => {
      const { source, putRaw } = fixture();
      await deadLetter(source, '{"job_id":"j1"}', 'job j1 no longer exists');
      await deadLetter(source, '{"job_id":"j2"}', 'not an image');
      await putRaw('{"job_id":"j3"}');
      const first = await dlq.list(10);
      expect(first.map((m) => m.body).sort()).toEqual(['{"job_id":"j1"}', '{"job_id":"j2"}', '{"job_id":"j3"}']);
      expect(new Set(first.map((m) => m.id)).size).toBe(3);
      const byBody = new Map(first.map((m) => [m.body, m]));
      expect(byBody.get('{"job_id":"j1"}')?.note).toMatchObject({
        reason: 'job j1 no longer exists',
        sourceQueue: source.name,
        receiveCount: 1,
      });
      expect(byBody.get('{"job_id":"j2"}')?.note?.reason).toBe('not an image');
      expect(byBody.get('{"job_id":"j3"}')?.note).toBeUndefined();
      for (const message of first) {
        expect(message.receiveCount).toBeGreaterThanOrEqual(0);
        if (message.sentAt !== null) expect(Number.isNaN(Date.parse(message.sentAt))).toBe(false);
      }
      const again = await dlq.list(10);
      expect(again.map((m) => m.id).sort()).toEqual(first.map((m) => m.id).sort());
      expect((await dlq.depth()).visible + (await dlq.depth()).inFlight).toBe(3);
    });

    it('list(limit) returns at most limit distinct messages; a limit outside 1..100 is a ValidationError', async () => {
      const { source } = fixture();
      for (const n of [1, 2, 3]) await deadLetter(source, `m${n}`, `bad ${n}`);
      const two = await dlq.list(2);
      expect(two).toHaveLength(2);
      expect(new Set(two.map((m) => m.id)).size).toBe(2);
      await expect(dlq.list(0)).rejects.toBeInstanceOf(ValidationError);
      await expect(dlq.list(101)).rejects.toBeInstanceOf(ValidationError);
      expect(await dlq.list(100)).toHaveLength(3);
    });

    it('redrive(id) moves that message only, once: back on the work queue without its note', async () => {
      const { source } = fixture();
      await deadLetter(source, 'keep', 'stays');
      await deadLetter(source, 'move', 'goes back');
      const target = (await dlq.list(10)).find((m) => m.body === 'move')!;
      expect(await dlq.redrive(target.id)).toBe(true);
      expect(await dlq.redrive(target.id)).toBe(false);
      const left = await dlq.list(10);
      expect(left.map((m) => m.body)).toEqual(['keep']);
      const back = await drain(source, 2);
      expect(back.map((m) => m.body)).toEqual(['move']);
      expect(back[0]!.deadLettered).toBeUndefined();
    });

    it('redriveAll() moves every message back and says how many', async () => {
      const { source, putRaw } = fixture();
      for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) await deadLetter(source, `all-${n}`, 'fixed now');
      await putRaw('all-raw');
      expect(await dlq.redriveAll()).toBe(13);
      expect(await dlq.list(100)).toEqual([]);
      expect(await dlq.depth()).toEqual({ visible: 0, inFlight: 0 });
      const back = await drain(source, 14);
      expect(back.map((m) => m.body).sort()).toEqual(
        [...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((n) => `all-${n}`), 'all-raw'].sort(),
      );
    });

    it('redriveAll(max) moves at most max; the rest stay', async () => {
      const { source } = fixture();
      for (const n of [1, 2, 3]) await deadLetter(source, `some-${n}`, 'x');
      expect(await dlq.redriveAll(2)).toBe(2);
      expect(await dlq.list(10)).toHaveLength(1);
      expect(await drain(source, 3)).toHaveLength(2);
    });
  },
);
