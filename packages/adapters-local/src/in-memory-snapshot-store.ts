import {
  ConditionFailedError,
  StaleFencingTokenError,
  type Collection,
  type SnapshotPointer,
  type SnapshotStore,
} from '@receiptflow/core';

/**
 * Snapshot pointers in memory, swapped with the same conditions as the DynamoDB adapter.
 *
 * @example
 * const snapshots = new InMemorySnapshotStore();
 * await snapshots.promote({ collection: 'lines', version: 1, fencing_token: 1, vector_count: 0, run_ids: [], promoted_at }, 0);
 */
export class InMemorySnapshotStore implements SnapshotStore {
  private readonly pointers = new Map<Collection, SnapshotPointer>();

  async current(collection: Collection): Promise<SnapshotPointer | null> {
    const pointer = this.pointers.get(collection);
    return pointer ? structuredClone(pointer) : null;
  }

  async promote(next: SnapshotPointer, expectedVersion: number): Promise<void> {
    const stored = this.pointers.get(next.collection);
    const storedVersion = stored?.version ?? 0;
    if (storedVersion !== expectedVersion) {
      throw new ConditionFailedError(
        `snapshot ${next.collection}: expected version ${expectedVersion}, stored is ${storedVersion}`,
      );
    }
    if (stored && stored.fencing_token > next.fencing_token) {
      throw new StaleFencingTokenError(
        `snapshot ${next.collection}: fencing token ${next.fencing_token} is older than stored ${stored.fencing_token}`,
      );
    }
    this.pointers.set(next.collection, structuredClone(next));
  }
}
