import type { Clock } from '@receiptflow/core';

/**
 * Wall-clock time for Lambda. Kept here rather than imported from adapters-local so that the
 * bundles do not pull in the local adapters' filesystem and OCR code.
 */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason);
      }, { once: true });
    });
  }
}
