import type { Clock, Logger, Queue } from '@receiptflow/core';
import { sleepUnlessAborted } from './abort.js';

export interface HeartbeatOptions {
  queue: Queue;
  receiptHandle: string;
  /** The visibility each beat sets again; beats come every third of it. */
  visibilityTimeoutSeconds: number;
  clock: Clock;
  logger: Logger;
  /** Logged with a failed beat. */
  fields: Record<string, unknown>;
}

export interface Heartbeat {
  /** Stops beating and waits for a beat in progress, so none lands after a delete or release. */
  stop(): Promise<void>;
  /** Beats sent so far. */
  readonly beats: number;
}

/**
 * Keeps a message invisible while its job runs: every visibility/3 it sets the visibility timeout
 * again, so a job longer than the timeout is never handed to a second worker (two beats may fail
 * before the message reappears). A failed beat is logged and the next one tried; the job goes on.
 */
export function startHeartbeat(options: HeartbeatOptions): Heartbeat {
  const { queue, receiptHandle, visibilityTimeoutSeconds, clock, logger, fields } = options;
  const intervalMs = Math.max(1, Math.floor((visibilityTimeoutSeconds * 1000) / 3));
  const controller = new AbortController();
  const state = { beats: 0 };

  const loop = (async () => {
    for (;;) {
      await sleepUnlessAborted((ms, s) => clock.sleep(ms, s), intervalMs, controller.signal);
      if (controller.signal.aborted) return;
      try {
        await queue.changeVisibility(receiptHandle, visibilityTimeoutSeconds);
        state.beats += 1;
      } catch (error) {
        logger.warn('heartbeat failed; will try again', { ...fields, error });
      }
    }
  })();

  return {
    get beats() {
      return state.beats;
    },
    async stop() {
      controller.abort();
      await loop;
    },
  };
}
