import type { Collection, CollectionProgress, CollectionState, CompactionRun } from '../domain/index.js';

/** Fields a collection transition may set alongside its new state. */
export type CollectionPatch = Partial<Pick<CollectionProgress, 'merged_count' | 'error'>>;

/** Names one compaction run. */
export interface CompactionRunRef {
  image_id: string;
  receipt_id: number;
  run_id: string;
}

/**
 * Compaction runs: one per receipt's vector delta, tracking its `lines` and `words` collections
 * separately through PENDING → PROCESSING → COMPLETED | FAILED.
 *
 * Promises every adapter keeps (proved by `describeCompactionRunStoreContract`):
 * - `create` is conditional (ConditionFailedError for a different run under the key; an
 *   identical one again succeeds);
 * - `transitionCollection` checks the state machine (IllegalTransitionError) and the current
 *   state (ConditionFailedError) atomically and touches only that collection, so lines and words
 *   completing concurrently never overwrite each other;
 * - a run leaves `listUnfinished` once both collections are COMPLETED.
 *
 * A receipt's runs are deleted with the receipt (see {@link ReceiptStore.delete}).
 *
 * @example
 * await runs.create(run);
 * const ref = { image_id, receipt_id, run_id };
 * await runs.transitionCollection(ref, 'lines', 'PENDING', 'PROCESSING');
 * await runs.transitionCollection(ref, 'lines', 'PROCESSING', 'COMPLETED', { merged_count: 12 });
 * const stuck = await runs.listUnfinished(new Date(now - 15 * 60_000).toISOString(), 100);
 */
export interface CompactionRunStore {
  create(run: CompactionRun): Promise<void>;
  get(ref: CompactionRunRef): Promise<CompactionRun | null>;
  /** Every run of one receipt, oldest first. */
  list(imageId: string, receiptId: number): Promise<CompactionRun[]>;
  /**
   * Moves one collection of a run from `from` to `to`, touching only that collection's
   * attributes, so lines and words completing concurrently never overwrite each other.
   */
  transitionCollection(
    ref: CompactionRunRef,
    collection: Collection,
    from: CollectionState,
    to: CollectionState,
    patch?: CollectionPatch,
  ): Promise<CompactionRun>;
  /** Runs with a collection not COMPLETED, created before `olderThan` (ISO), oldest first: for the sweep. */
  listUnfinished(olderThan: string, limit?: number): Promise<CompactionRun[]>;
}
