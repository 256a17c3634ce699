import type {
  Clock,
  CompactionLock,
  ImageStore,
  JobStore,
  Logger,
  SnapshotStore,
  VectorIndex,
} from '../ports/index.js';

export interface CompactDeps {
  jobs: JobStore;
  deltas: ImageStore;
  vectors: VectorIndex;
  lock: CompactionLock;
  snapshots: SnapshotStore;
  clock: Clock;
  logger?: Logger;
}

export interface CompactOptions {
  /** Lock owner id (e.g. the Lambda request id). */
  owner: string;
  /** Lease length, default 180_000 ms; the heartbeat renews every third of it. */
  leaseMs?: number;
  /** Disables the heartbeat (tests of lesson 1 only). */
  heartbeat?: boolean;
  /** Epoch ms by which the call must return; work left undone is reported as failed. */
  deadline?: number;
}

/** One message in: its queue id and its body (unparsed). */
export interface CompactInput {
  id: string;
  body: unknown;
}

export interface CompactOutcome {
  /** Ids of messages fully done (safe to delete). */
  succeeded: string[];
  /** Ids to retry (batchItemFailures), with why. */
  failed: { id: string; error: string; retryable: boolean }[];
  /** Vectors merged per collection. */
  merged: { lines: number; words: number };
  promoted: boolean;
}

/**
 * Merges compaction messages into the vector index under the per-collection lock: validates each
 * delta, upserts, reads back and counts, then promotes the snapshot pointer only while the lease
 * is still held (fencing token), and marks each run's collection COMPLETED with its merged count
 * or FAILED with its error. A failed merge is never marked COMPLETED. Every input id appears in
 * exactly one of `succeeded` / `failed`.
 */
export async function compact(
  _deps: CompactDeps,
  _messages: CompactInput[],
  _options: CompactOptions,
): Promise<CompactOutcome> {
  throw new Error('not implemented');
}
