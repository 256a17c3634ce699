import { DeadlineExceededError } from '../errors.js';
import type { Clock } from './clock.js';

/**
 * Races `work` against the clock: rejects with DeadlineExceededError once `clock.now()` reaches
 * `deadline`, even if `work` never settles (a stalled storage call, docs/lessons.md#lesson-18-a-stalled-copy-held-messages-for-900-s). The abandoned
 * promise keeps running; its outcome is ignored. No deadline means no race.
 */
export async function withDeadline<T>(
  clock: Clock,
  deadline: number | undefined,
  what: string,
  work: Promise<T>,
): Promise<T> {
  if (deadline === undefined) return work;
  const remaining = deadline - clock.now();
  if (remaining <= 0) {
    work.catch(() => {});
    throw new DeadlineExceededError(`${what}: deadline passed before it started`);
  }
  const timer = new AbortController();
  const expired = clock.sleep(remaining, timer.signal).then(
    () => {
      throw new DeadlineExceededError(`${what}: did not finish within ${remaining} ms`);
    },
    () => undefined as never,
  );
  try {
    return await Promise.race([work, expired]);
  } finally {
    timer.abort();
    work.catch(() => {});
  }
}
