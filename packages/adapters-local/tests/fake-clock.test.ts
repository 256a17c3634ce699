import { describe, expect, it } from 'vitest';
import { FakeClock } from '../src/fake-clock.js';
import { SystemClock } from '../src/system-clock.js';
import { UuidIdGenerator } from '../src/uuid-id-generator.js';
import { IdSchema } from '@receiptflow/core';

const START = Date.UTC(2024, 0, 1);

describe('FakeClock', () => {
  it('starts at 2024-01-01 by default and moves only when advanced', async () => {
    const clock = new FakeClock();
    expect(clock.now()).toBe(START);
    await clock.advance(1_500);
    expect(clock.now()).toBe(START + 1_500);
    await clock.advanceTo(START + 10_000);
    expect(clock.now()).toBe(START + 10_000);
    await expect(clock.advanceTo(START)).rejects.toThrow(RangeError);
  });

  it('wakes sleepers in time order (ties in call order), each seeing its own wake-up time', async () => {
    const clock = new FakeClock();
    const woke: [string, number][] = [];
    const sleep = (label: string, ms: number) => clock.sleep(ms).then(() => woke.push([label, clock.now() - START]));
    void sleep('c', 300);
    void sleep('a', 100);
    void sleep('b1', 200);
    void sleep('b2', 200);
    await clock.advance(250);
    expect(woke).toEqual([
      ['a', 100],
      ['b1', 200],
      ['b2', 200],
    ]);
    expect(clock.pendingSleeps).toBe(1);
    await clock.advance(50);
    expect(woke.at(-1)).toEqual(['c', 300]);
  });

  it('lets a sleep loop run one step per wake-up during one big advance', async () => {
    const clock = new FakeClock();
    const beats: number[] = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        await clock.sleep(60_000);
        await Promise.resolve(); // e.g. an awaited renew
        beats.push(clock.now() - START);
      }
    })();
    await clock.advance(600_000);
    expect(beats).toEqual([60_000, 120_000, 180_000, 240_000, 300_000, 360_000, 420_000, 480_000, 540_000, 600_000]);
    running = false;
    await clock.advance(60_000);
    await loop;
  });

  it('rejects a sleep whose signal aborts, and forgets it', async () => {
    const clock = new FakeClock();
    const abort = new AbortController();
    const sleeping = clock.sleep(1_000, abort.signal);
    abort.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
    expect(clock.pendingSleeps).toBe(0);
    const already = new AbortController();
    already.abort(new Error('before'));
    await expect(clock.sleep(10, already.signal)).rejects.toThrow('before');
  });

  it('runUntil advances from wake-up to wake-up until the promise settles', async () => {
    const clock = new FakeClock();
    const work = async () => {
      await clock.sleep(5_000);
      await clock.sleep(7_000);
      return clock.now() - START;
    };
    expect(await clock.runUntil(work())).toBe(12_000);
    await expect(clock.runUntil(new Promise(() => {}))).rejects.toThrow(/nothing sleeps/);
    const failing = (async () => {
      await clock.sleep(1);
      throw new Error('boom');
    })();
    await expect(clock.runUntil(failing)).rejects.toThrow('boom');
  });
});

describe('SystemClock', () => {
  it('sleeps for real and can be aborted', async () => {
    const clock = new SystemClock();
    const before = clock.now();
    await clock.sleep(5);
    expect(clock.now()).toBeGreaterThanOrEqual(before);
    const abort = new AbortController();
    const sleeping = clock.sleep(60_000, abort.signal);
    abort.abort(new Error('cancelled'));
    await expect(sleeping).rejects.toThrow('cancelled');
  });
});

describe('UuidIdGenerator', () => {
  it('makes distinct ids that satisfy IdSchema', () => {
    const ids = new UuidIdGenerator();
    const a = ids.newId();
    const b = ids.newId();
    expect(a).not.toBe(b);
    expect(IdSchema.safeParse(a).success).toBe(true);
  });
});
