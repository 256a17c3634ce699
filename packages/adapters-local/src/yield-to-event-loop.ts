import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Resolves on the event loop's next turn, after pending I/O callbacks (an HTTP request that
 * arrived meanwhile, say). An awaited promise that is already resolved does not do this: its
 * continuation runs as a microtask, before any I/O. Long synchronous work in a process that also
 * serves requests (`receipts serve`) awaits this between slices, so that no slice holds the loop
 * for more than a few tens of milliseconds.
 *
 * @example
 * for (let i = 0; i < items.length; i += SLICE) {
 *   if (i > 0) await yieldToEventLoop();
 *   work(items.slice(i, i + SLICE));
 * }
 */
export function yieldToEventLoop(): Promise<void> {
  return nextTurn();
}
