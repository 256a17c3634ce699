import {
  COLLECTIONS,
  COLLECTION_TRANSITIONS,
  CompactionRunSchema,
  ConditionFailedError,
  NotFoundError,
  assertTransition,
  isSettledCollectionState,
  isoNow,
  type Collection,
  type CollectionPatch,
  type CollectionState,
  type CompactionRun,
  type CompactionRunRef,
  type CompactionRunStore,
} from '@receiptflow/core';
import { compactionRunSk, compactionRunsPrefix, imagePk } from '@receiptflow/job-table';
import { InMemoryJobTableStore } from './in-memory-job-table-store.js';
import { compare, isoMillis, limited, parse, pick } from './records.js';

/** The key of a run's row, under its receipt's partition. */
const keyOf = (ref: CompactionRunRef) => ({
  PK: imagePk(ref.image_id),
  SK: compactionRunSk(ref.receipt_id, ref.run_id),
});

/**
 * CompactionRunStore in memory, over an {@link InMemoryJobTable} (or {@link FsJobTable}). Runs sit
 * under their receipt's key, so deleting the receipt takes them with it.
 *
 * @example
 * const runs = new InMemoryCompactionRunStore({ table, clock });
 * await runs.create(run);
 * await runs.transitionCollection(ref, 'words', 'PENDING', 'PROCESSING');
 */
export class InMemoryCompactionRunStore extends InMemoryJobTableStore implements CompactionRunStore {
  async create(run: CompactionRun): Promise<void> {
    const record = parse(CompactionRunSchema, run, 'compaction run');
    await this.table.createIfAbsent('COMPACTION_RUN', record, `compaction run ${record.run_id}`);
  }

  async get(ref: CompactionRunRef): Promise<CompactionRun | null> {
    return this.table.read<CompactionRun>(keyOf(ref));
  }

  async list(imageId: string, receiptId: number): Promise<CompactionRun[]> {
    const prefix = compactionRunsPrefix(receiptId);
    return this.table.query<CompactionRun>(imagePk(imageId), (sk) => sk.startsWith(prefix)).sort(byCreatedThenId);
  }

  async transitionCollection(
    ref: CompactionRunRef,
    collection: Collection,
    from: CollectionState,
    to: CollectionState,
    patch: CollectionPatch = {},
  ): Promise<CompactionRun> {
    assertTransition(`compaction run ${collection}`, COLLECTION_TRANSITIONS, from, to);
    const stored = this.table.row(keyOf(ref));
    if (!stored) throw new NotFoundError('compaction run', `${ref.image_id}/${ref.receipt_id}/${ref.run_id}`);
    const run = stored.record as CompactionRun;
    const progress = run[collection];
    if (progress.state !== from) {
      throw new ConditionFailedError(
        `compaction run ${ref.run_id} ${collection}: expected ${from}, found ${progress.state}`,
      );
    }
    const moved = {
      ...progress,
      ...pick(patch, ['merged_count', 'error']),
      state: to,
      updated_at: isoNow(this.clock),
      // Every merge started counts, re-entries into PROCESSING after a crash included.
      attempts: (progress.attempts ?? 0) + (to === 'PROCESSING' ? 1 : 0),
    };
    const next = parse(CompactionRunSchema, { ...run, [collection]: moved }, 'compaction run');
    await this.table.commit([this.table.put('COMPACTION_RUN', next)]);
    return structuredClone(next);
  }

  async listUnfinished(olderThan: string, limit?: number): Promise<CompactionRun[]> {
    const cutoff = isoMillis(olderThan, 'olderThan');
    const runs = this.table
      .scan<CompactionRun>('COMPACTION_RUN')
      .filter((r) => Date.parse(r.created_at) < cutoff)
      .filter((r) => !COLLECTIONS.every((c) => isSettledCollectionState(r[c].state)))
      .sort(byCreatedThenId);
    return limited(runs, limit);
  }
}

function byCreatedThenId(a: CompactionRun, b: CompactionRun): number {
  return compare(a.created_at, b.created_at) || compare(a.run_id, b.run_id);
}
