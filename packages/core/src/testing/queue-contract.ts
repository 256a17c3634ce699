import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, ValidationError } from '../errors.js';
import type { LeasedMessage, Queue, QueueBacklog, ReceiveOptions } from '../ports/index.js';

/** How the suite asks the factory to configure the queue it creates. */
export interface QueueContractOptions {
  /** The queue's default lease (visibility timeout) in seconds; default 30. */
  visibilityTimeoutSeconds?: number;
  /** When true, the queue has a dead-letter queue for `deadLetter(reason)`; return it as `dlq`. */
  deadLetter?: boolean;
  /** When set, the queue also moves a message to its DLQ after this many receives (redrive). */
  maxReceiveCount?: number;
}

/**
 * What a Queue contract factory returns: a fresh, EMPTY queue (and its empty DLQ when asked).
 * `advance(ms)` lets time pass: a fake clock's advance for local adapters; when omitted the
 * suite sleeps for real (about 2 s in total).
 */
export interface QueueContractSubject {
  subject: Queue & QueueBacklog;
  dlq?: Queue;
  cleanup?: () => Promise<void>;
  advance?: (ms: number) => Promise<void>;
}

/** What an adapter can promise beyond the common contract. */
export interface QueueContractTraits {
  /**
   * True when an `ack()` through the lease of an earlier delivery can never remove the message
   * delivered again since. SQS cannot promise it (a delete with an old receipt handle "succeeds,
   * but the message might not be deleted"), so its adapter sets this false and says so.
   */
  staleLeaseCannotAck: boolean;
}

// For suites without `advance`: a real adapter (SQS, DynamoDB) keeps its own time, so the only way
// to let a visibility timeout or a lease lapse there is to wait for it.
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Receives until `count` messages arrived or a few polls came back short (SQS samples hosts). */
async function receiveAll(queue: Queue, count: number, options: ReceiveOptions = {}): Promise<LeasedMessage[]> {
  const got: LeasedMessage[] = [];
  for (let attempt = 0; attempt < 2 * count + 5 && got.length < count; attempt++) {
    const batch = await queue.receive({ maxMessages: 10, ...options });
    expect(batch.length).toBeLessThanOrEqual(10);
    got.push(...batch);
  }
  return got;
}

/**
 * The Queue contract: at-least-once delivery of leased messages. `ack` removes, `retryLater`
 * redelivers not before its delay, `extendLease` keeps a message invisible, `deadLetter` puts it
 * on the DLQ with its reason, a stale lease cannot settle a later delivery (where the adapter
 * can promise it), redrive after maxReceiveCount, delays, batch limits, long polling, backlog.
 *
 * @example
 * describeQueueContract('InMemoryQueue', async (options = {}) => {
 *   const clock = new FakeClock();
 *   const dlq = new InMemoryQueue({ name: 'dlq', clock });
 *   const subject = new InMemoryQueue({ name: 'q', clock, deadLetter: { queue: dlq, maxReceiveCount: options.maxReceiveCount } });
 *   return { subject, dlq, advance: async (ms) => clock.advance(ms) };
 * });
 */
export function describeQueueContract(
  name: string,
  factory: (options?: QueueContractOptions) => Promise<QueueContractSubject>,
  traits: QueueContractTraits = { staleLeaseCannotAck: true },
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

    it('sends and receives a message; ack removes it for good', async () => {
      const { subject } = await make();
      const { id } = await subject.send('{"job_id":"j1"}');
      const [message, ...rest] = await subject.receive();
      expect(rest).toEqual([]);
      expect(message).toMatchObject({ id, body: '{"job_id":"j1"}', receiveCount: 1 });
      expect(message!.deadLettered).toBeUndefined();
      await message!.ack();
      expect(await subject.receive()).toEqual([]);
      expect(await subject.backlog()).toBe(0);
    });

    it('receive on an empty queue returns no messages', async () => {
      const { subject } = await make();
      expect(await subject.receive({ maxMessages: 10 })).toEqual([]);
    });

    it('a leased message is invisible to other receivers, and the backlog still counts it', async () => {
      const { subject } = await make();
      await subject.send('a');
      expect(await subject.backlog()).toBe(1);
      const first = await subject.receive();
      expect(first).toHaveLength(1);
      expect(await subject.receive()).toEqual([]);
      expect(await subject.backlog()).toBe(1);
    });

    it('retryLater(0) redelivers now, with receiveCount 2', async () => {
      const { subject } = await make();
      const { id } = await subject.send('again');
      const [first] = await subject.receive();
      await first!.retryLater(0);
      const [second] = await subject.receive();
      expect(second).toMatchObject({ id, body: 'again', receiveCount: 2 });
      await second!.ack();
      expect(await subject.backlog()).toBe(0);
    });

    it('time: a lapsed lease redelivers, extendLease keeps a message invisible, retryLater and a delay redeliver not before their time', async () => {
      const { subject, advance } = await make();
      const a = await subject.send('extended');
      const b = await subject.send('expires');
      const c = await subject.send('retried');
      const d = await subject.send('delayed', { delaySeconds: 1 });
      const firstRound = await receiveAll(subject, 3, { leaseSeconds: 1 });
      expect(firstRound.map((m) => m.id).sort()).toEqual([a.id, b.id, c.id].sort());
      await firstRound.find((m) => m.id === a.id)!.extendLease(60);
      await firstRound.find((m) => m.id === c.id)!.retryLater(1);
      expect(await subject.receive({ maxMessages: 10 })).toEqual([]);

      await advance(1_100);

      const secondRound = await receiveAll(subject, 3);
      expect(secondRound.map((m) => [m.id, m.receiveCount]).sort()).toEqual(
        [
          [b.id, 2],
          [c.id, 2],
          [d.id, 1],
        ].sort(),
      );
      expect(await subject.receive({ maxMessages: 10 })).toEqual([]);
    });

    it('deadLetter(reason) moves the message to the DLQ with its reason, source queue, original id and receive count', async () => {
      const { subject, dlq } = await make({ deadLetter: true });
      expect(dlq).toBeDefined();
      const { id } = await subject.send('{"job_id":"gone"}');
      const [first] = await subject.receive();
      await first!.retryLater(0);
      const [second] = await subject.receive();
      await second!.deadLetter('job gone no longer exists');

      expect(await subject.receive({ maxMessages: 10 })).toEqual([]);
      expect(await subject.backlog()).toBe(0);
      const [dead, ...more] = await receiveAll(dlq!, 1, { waitSeconds: 1 });
      expect(more).toEqual([]);
      expect(dead!.body).toBe('{"job_id":"gone"}');
      expect(dead!.deadLettered).toEqual({
        reason: 'job gone no longer exists',
        sourceQueue: subject.name,
        sourceMessageId: id,
        receiveCount: 2,
      });
    });

    it('deadLetter on a queue without a DLQ rejects with ConfigError and loses nothing', async () => {
      const { subject } = await make();
      await subject.send('keep me');
      const [message] = await subject.receive();
      await expect(message!.deadLetter('poison')).rejects.toBeInstanceOf(ConfigError);
      await message!.retryLater(0);
      const [again] = await subject.receive();
      expect(again).toMatchObject({ body: 'keep me', receiveCount: 2 });
    });

    it.skipIf(!traits.staleLeaseCannotAck)('a stale lease cannot ack the delivery that followed it', async () => {
      const { subject } = await make();
      const { id } = await subject.send('once');
      const [first] = await subject.receive();
      await first!.retryLater(0);
      const [second] = await subject.receive();
      expect(second).toMatchObject({ id, receiveCount: 2 });
      await first!.ack().catch(() => {}); // resolving or rejecting are both fine; removing is not
      await second!.retryLater(0);
      const [third] = await subject.receive();
      expect(third).toMatchObject({ id, receiveCount: 3 });
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
      for (const m of received) await m.ack();
      expect(await subject.backlog()).toBe(0);
    });

    it('sendBatch([]) sends nothing', async () => {
      const { subject } = await make();
      expect(await subject.sendBatch([])).toEqual([]);
      expect(await subject.backlog()).toBe(0);
    });

    it('rejects maxMessages outside 1..10 and waitSeconds outside 0..20 with ValidationError', async () => {
      const { subject } = await make();
      await expect(subject.receive({ maxMessages: 11 })).rejects.toBeInstanceOf(ValidationError);
      await expect(subject.receive({ maxMessages: 0 })).rejects.toBeInstanceOf(ValidationError);
      await expect(subject.receive({ waitSeconds: 21 })).rejects.toBeInstanceOf(ValidationError);
    });

    // docs/lessons.md#lesson-4-a-dlq-threshold-that-could-never-be-reached
    it('after maxReceiveCount receives without ack, the message moves to the DLQ', async () => {
      const { subject, dlq } = await make({ maxReceiveCount: 2 });
      expect(dlq).toBeDefined();
      const { id } = await subject.send('poison');
      for (let n = 1; n <= 2; n++) {
        const [message] = await subject.receive();
        expect(message).toMatchObject({ id, receiveCount: n });
        await message!.retryLater(0);
      }
      expect(await subject.receive()).toEqual([]);
      expect(await subject.backlog()).toBe(0);
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
