import type { Clock } from '@receiptflow/core';

/**
 * The real clock, and the only code in the product that reads the time or sets a timer for a
 * sleep: every adapter and use case takes a {@link Clock}, the composition roots (the Lambda
 * containers, the local runtime, the `receipts` and `receipt-ocr` CLIs) pass this one, and tests
 * pass a FakeClock. It is its own subpath, `@receiptflow/adapters-local/clock`, importing only a
 * type from core, so a Lambda bundle gets these few lines and none of the local adapters.
 *
 * @example
 * ```ts
 * import { SystemClock } from '@receiptflow/adapters-local/clock';
 *
 * const clock = new SystemClock();
 * const embedder = new OpenAiEmbedder(openai, { clock }); // backoff sleeps on this clock
 * const deadline = clock.now() + 5_000;
 * const abort = new AbortController();
 * await clock.sleep(250, abort.signal); // rejects with the signal's reason if aborted first
 * ```
 */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
