import { describe, expect, it } from 'vitest';
import { describeQueueContract } from '@receiptflow/core/testing';
import { FakeClock } from '../src/fake-clock.js';
import { InMemoryQueue } from '../src/in-memory-queue.js';

describeQueueContract('InMemoryQueue', async (options = {}) => {
  const clock = new FakeClock();
  const withDlq = options.deadLetter === true || options.maxReceiveCount !== undefined;
  const dlq = withDlq ? new InMemoryQueue({ name: 'test-dlq', clock }) : undefined;
  const subject = new InMemoryQueue({
    name: 'test-queue',
    clock,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
    ...(dlq
      ? { deadLetter: { queue: dlq, ...(options.maxReceiveCount ? { maxReceiveCount: options.maxReceiveCount } : {}) } }
      : {}),
  });
  return { subject, ...(dlq ? { dlq } : {}), advance: (ms) => clock.advance(ms) };
});

describe('InMemoryQueue with a fake clock', () => {
  it('a long poll on an empty queue returns [] when its wait ends', async () => {
    const clock = new FakeClock();
    const queue = new InMemoryQueue({ name: 'q', clock });
    const polling = queue.receive({ waitSeconds: 20 });
    await clock.advance(19_999);
    let done = false;
    void polling.then(() => (done = true));
    await clock.advance(0);
    expect(done).toBe(false);
    await clock.advance(1);
    expect(await polling).toEqual([]);
  });

  it('a long poll wakes when a delayed message becomes visible', async () => {
    const clock = new FakeClock();
    const queue = new InMemoryQueue({ name: 'q', clock });
    await queue.send('later', { delaySeconds: 5 });
    const polling = queue.receive({ waitSeconds: 20 });
    await clock.advance(5_000);
    expect((await polling).map((m) => m.body)).toEqual(['later']);
    expect(clock.now()).toBe(new FakeClock().now() + 5_000);
  });

  // docs/lessons.md#lesson-4-a-dlq-threshold-that-could-never-be-reached
  it('a message that always fails reaches the DLQ before retention ends', async () => {
    const clock = new FakeClock();
    const dlq = new InMemoryQueue({ name: 'dlq', clock });
    const queue = new InMemoryQueue({
      name: 'q',
      clock,
      visibilityTimeoutSeconds: 900,
      deadLetter: { queue: dlq, maxReceiveCount: 5 },
    });
    await queue.send('always fails');
    let receives = 0;
    while ((await dlq.depth()).visible === 0) {
      const got = await queue.receive();
      if (got.length > 0) receives++;
      await clock.advance(900_000);
      expect(receives).toBeLessThanOrEqual(5);
    }
    expect(receives).toBe(5);
  });

  it('a stale lease (message redelivered since) cannot extend, retry or dead-letter it, and its ack is a no-op', async () => {
    const clock = new FakeClock();
    const dlq = new InMemoryQueue({ name: 'dlq', clock });
    const queue = new InMemoryQueue({ name: 'q', clock, deadLetter: { queue: dlq } });
    await queue.send('m');
    const [first] = await queue.receive();
    await first!.retryLater(0);
    const [second] = await queue.receive();
    await expect(first!.extendLease(30)).rejects.toMatchObject({ code: 'CONDITION_FAILED' });
    await expect(first!.retryLater(0)).rejects.toMatchObject({ code: 'CONDITION_FAILED' });
    await expect(first!.deadLetter('late')).rejects.toMatchObject({ code: 'CONDITION_FAILED' });
    await first!.ack();
    expect(await queue.depth()).toEqual({ visible: 0, inFlight: 1 });
    expect(await dlq.depth()).toEqual({ visible: 0, inFlight: 0 });
    await second!.ack();
    expect(await queue.depth()).toEqual({ visible: 0, inFlight: 0 });
  });

  it('extendLease counts from now: a lease extended at 25 s of 30 s lasts until 55 s', async () => {
    const clock = new FakeClock();
    const queue = new InMemoryQueue({ name: 'q', clock, visibilityTimeoutSeconds: 30 });
    await queue.send('long job');
    const [message] = await queue.receive();
    await clock.advance(25_000);
    await message!.extendLease(30);
    await clock.advance(29_000);
    expect(await queue.receive()).toEqual([]);
    await clock.advance(1_000);
    expect(await queue.receive()).toMatchObject([{ body: 'long job', receiveCount: 2 }]);
  });

  it('refuses an empty body and a body above 256 KiB', async () => {
    const queue = new InMemoryQueue({ name: 'q' });
    await expect(queue.send('')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(queue.send('x'.repeat(262_145))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
