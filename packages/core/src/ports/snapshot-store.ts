import type { Collection, SnapshotPointer } from '../domain/index.js';

/**
 * The pointer to each collection's promoted snapshot, swapped atomically.
 *
 * @example
 * const current = await snapshots.current('lines');
 * const version = current?.version ?? 0;
 * await snapshots.promote(
 *   { collection: 'lines', version: version + 1, fencing_token: lease.fencing_token, vector_count, run_ids, promoted_at: isoNow(clock) },
 *   version, // throws ConditionFailedError if another compactor promoted first
 * );
 */
export interface SnapshotStore {
  current(collection: Collection): Promise<SnapshotPointer | null>;
  /**
   * Replaces the pointer only if the stored version is `expectedVersion` (0 = none yet) and the
   * stored fencing token is not newer than `next.fencing_token`. Otherwise throws
   * ConditionFailedError or StaleFencingTokenError and stores nothing.
   */
  promote(next: SnapshotPointer, expectedVersion: number): Promise<void>;
}
