import { COLLECTIONS, isSettledCollectionState, type CompactionMessage } from '../domain/index.js';
import type { CompactionRunStore } from '../ports/index.js';

export interface SweepCompactionRunsOptions {
  /** Only runs created at least this long before `now` (younger ones are likely in flight). */
  olderThanMs: number;
  /** Epoch milliseconds. */
  now: number;
  /** At most this many runs per sweep, default 100. */
  limit?: number;
}

/**
 * Finds compaction runs that never finished (runs left PENDING forever:
 * docs/lessons.md#lesson-3-runs-stuck-pending) and returns the `merge` messages that would
 * finish them, one per collection that is neither COMPLETED nor ABANDONED and has not changed
 * within `olderThanMs`: a merge in flight or just failed (and still being retried by its queue) is
 * left alone, so a failing run is re-sent at most once per `olderThanMs`, and its attempts, bounded
 * by `compact`'s `maxRunAttempts`, end in ABANDONED rather than in re-sends forever. Re-sending is
 * safe: compaction is idempotent and skips collections already COMPLETED or ABANDONED.
 *
 * @example
 * // Runs untouched for 15 minutes get their merges sent again (recoverUnfinishedWork does this).
 * const merges = await sweepCompactionRuns(deps, { now: clock.now(), olderThanMs: 900_000 });
 * for (const m of merges) await compactionQueue.send(JSON.stringify(m));
 */
export async function sweepCompactionRuns(
  deps: { runs: CompactionRunStore },
  options: SweepCompactionRunsOptions,
): Promise<CompactionMessage[]> {
  const olderThan = new Date(options.now - options.olderThanMs).toISOString();
  const runs = await deps.runs.listUnfinished(olderThan, options.limit ?? 100);
  return runs.flatMap((run) =>
    COLLECTIONS.filter((c) => !isSettledCollectionState(run[c].state) && run[c].updated_at < olderThan).map(
      (collection): CompactionMessage => ({
        kind: 'merge',
        collection,
        run_id: run.run_id,
        image_id: run.image_id,
        receipt_id: run.receipt_id,
        ...(run.job_id === undefined ? {} : { job_id: run.job_id }),
        delta_key: run[collection].delta_key,
      }),
    ),
  );
}
