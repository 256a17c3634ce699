import type { Clock, LeasedMessage, Logger } from '@receiptflow/core';
import { sleepUnlessAborted } from './abort.js';

export interface HeartbeatOptions {
  /** The lease to keep alive. */
  message: Pick<LeasedMessage, 'extendLease'>;
  /** The lease each beat sets again; beats come every third of it. */
  leaseSeconds: number;
  clock: Clock;
  logger: Logger;
  /** Logged with a failed beat. */
  fields: Record<string, unknown>;
}

export interface Heartbeat {
  /** Stops beating and waits for a beat in progress, so none lands after an ack or release. */
  stop(): Promise<void>;
  /** Beats sent so far. */
  readonly beats: number;
}

/**
 * Keeps a message leased while its job runs: every lease/3 it extends the lease again, so a job
 * longer than the lease is never handed to a second worker (two beats may fail before the
 * message reappears). A failed beat is logged and the next one tried; the job goes on.
 *
 * @example
 * const heartbeat = startHeartbeat({ message, leaseSeconds: 120, clock, logger, fields: { job_id } });
 * try { await runTheJob(); } finally { await heartbeat.stop(); }
 * await message.ack();
 */
export function startHeartbeat(options: HeartbeatOptions): Heartbeat {
  const { message, leaseSeconds, clock, logger, fields } = options;
  const intervalMs = Math.max(1, Math.floor((leaseSeconds * 1000) / 3));
  const controller = new AbortController();
  const state = { beats: 0 };

  const loop = (async () => {
    for (;;) {
      await sleepUnlessAborted((ms, s) => clock.sleep(ms, s), intervalMs, controller.signal);
      if (controller.signal.aborted) return;
      try {
        await message.extendLease(leaseSeconds);
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
