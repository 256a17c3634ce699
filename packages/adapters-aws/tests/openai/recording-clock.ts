import type { Clock } from '@receiptflow/core';

/**
 * A Clock that records every sleep and lets virtual time pass at `speedup`× real time: a 1 s
 * backoff takes 1000/speedup real ms, so concurrency still unfolds for real while tests stay
 * fast and assert on the recorded delays, never on the wall clock.
 */
export class RecordingClock implements Clock {
  readonly sleeps: number[] = [];
  private virtualMs = 1_700_000_000_000;

  constructor(private readonly speedup = 100) {}

  now(): number {
    return this.virtualMs;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    await new Promise((resolve) => setTimeout(resolve, ms / this.speedup));
    this.virtualMs += ms;
  }
}
