import type { Clock } from '@receiptflow/core';
import { FakeClockStalledError } from './errors.js';

interface Sleeper {
  wakeAt: number;
  seq: number;
  resolve: () => void;
}

/** Lets every pending microtask (and promise chain they start) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A clock that only moves when told to. `sleep` resolves when `advance`/`advanceTo` passes its
 * wake-up time. Sleepers wake in time order, and the clock lets the woken code run (microtasks
 * drain) before waking the next, so loops such as
 * `while (busy) { await clock.sleep(x); await lock.renew(...) }` take one step per wake-up
 * during one big advance, seeing `now()` equal to their own wake-up time.
 */
export class FakeClock implements Clock {
  private current: number;
  private sleepers: Sleeper[] = [];
  private seq = 0;

  /** Starts at `startMs` epoch milliseconds (default 2024-01-01T00:00:00Z). */
  constructor(startMs: number = Date.UTC(2024, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const sleeper: Sleeper = {
        wakeAt: this.current + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  /** How many sleeps are waiting (useful to assert a heartbeat is running). */
  get pendingSleeps(): number {
    return this.sleepers.length;
  }

  /** Moves time forward by `ms`, waking sleepers in order. */
  async advance(ms: number): Promise<void> {
    if (ms < 0) throw new RangeError(`FakeClock cannot go back in time (advance ${ms})`);
    await this.advanceTo(this.current + ms);
  }

  /** Moves time to `targetMs`, waking every sleeper due by then, earliest first. */
  async advanceTo(targetMs: number): Promise<void> {
    if (targetMs < this.current) {
      throw new RangeError(`FakeClock cannot go back in time (${targetMs} < ${this.current})`);
    }
    await settle();
    for (;;) {
      const next = this.nextSleeper();
      if (!next || next.wakeAt > targetMs) break;
      this.sleepers = this.sleepers.filter((s) => s !== next);
      this.current = Math.max(this.current, next.wakeAt);
      next.resolve();
      await settle();
    }
    this.current = targetMs;
    await settle();
  }

  /**
   * Advances from one wake-up to the next until `promise` settles, then returns its result.
   * Throws if the promise is still pending when nothing is asleep (it waits on something
   * other than this clock), or after `maxSteps` wake-ups.
   */
  async runUntil<T>(promise: Promise<T>, maxSteps = 100_000): Promise<T> {
    let settled = false;
    const tracked = promise.finally(() => {
      settled = true;
    });
    // Swallow here; the caller sees the rejection from `await tracked` below.
    tracked.catch(() => {});
    for (let step = 0; step < maxSteps; step++) {
      await settle();
      if (settled) return tracked;
      const next = this.nextSleeper();
      if (!next) {
        throw new FakeClockStalledError('FakeClock.runUntil: the promise is pending but nothing sleeps on this clock');
      }
      await this.advanceTo(Math.max(this.current, next.wakeAt));
    }
    throw new FakeClockStalledError(`FakeClock.runUntil: not settled after ${maxSteps} wake-ups`);
  }

  private nextSleeper(): Sleeper | undefined {
    let best: Sleeper | undefined;
    for (const s of this.sleepers) {
      if (!best || s.wakeAt < best.wakeAt || (s.wakeAt === best.wakeAt && s.seq < best.seq)) best = s;
    }
    return best;
  }
}
