import { StaleFencingTokenError, type Collection, type Logger } from '@receiptflow/core';
import {
  HnswFollowerVectorIndex,
  type CatchUpResult,
  type HnswFollowerVectorIndexOptions,
} from './hnsw-follower-vector-index.js';
import type { Manifest } from './manifest.js';
import type { SnapshotDescriptor } from './snapshot-catalog.js';
import type { VectorIndexOp } from './table-vector-index.js';
import { VectorIndexStore } from './vector-index-store.js';

export interface HnswFencedWriterVectorIndexOptions extends HnswFollowerVectorIndexOptions {
  /**
   * A checkpoint (snapshot + fresh logs) is written before the next append once the live logs
   * hold this many operations. Default 2000: a cold follower then replays at most ~2000 ops
   * (one receipt is one op per collection) on top of the snapshot.
   */
  checkpointEvery?: number;
  /** Snapshots kept after each checkpoint (plus the live one). Default 3. */
  keepSnapshots?: number;
  logger?: Logger;
}

/** What a writer holds while fenced: its token and the generation it is appending to. */
interface Fence {
  token: number;
  generation: number;
}

/**
 * The single writer of an index directory shared with read-only followers (efs mode): compaction
 * on an EFS mount. Exclusion is the compaction lock's, not a pid file (pids repeat across Lambda
 * containers): {@link fence} is called with the lease's fencing token when the lock is taken
 * (see `FencingCompactionLock`); it refuses a token older than the one the manifest records,
 * catches up with whatever another container wrote (warm: only the new log bytes, as a
 * follower does), cuts off a torn frame a crashed writer left, and records its token in the
 * manifest. Every append first re-reads the manifest (a few hundred bytes) and is refused with
 * `StaleFencingTokenError`, before anything is written, once a newer token is recorded there.
 * Every `checkpointEvery` operations it writes a snapshot and keeps the last `keepSnapshots`.
 *
 * Unfenced, it is a follower: reads catch up, writes throw `ReadOnlyVectorIndexError`.
 *
 * @example
 * const writer = new HnswFencedWriterVectorIndex({ files: new FsVectorIndexFiles('/mnt/vectors/lines'), dimensions: 512 });
 * await writer.fence(lease.fencing_token); // under the compaction lock
 * await writer.upsert('lines', records);
 * writer.unfence(); // before releasing the lock
 */
export class HnswFencedWriterVectorIndex extends HnswFollowerVectorIndex {
  private readonly writerStore: VectorIndexStore;
  private readonly checkpointEvery: number;
  private fenced: Fence | undefined;

  constructor(options: HnswFencedWriterVectorIndexOptions) {
    const { checkpointEvery, keepSnapshots, logger, ...follower } = options;
    // Full-beam inserts unless asked otherwise: the writer (a compaction Lambda) has no idle time
    // to repair in, so appending unlinked would only move the same links to the checkpoint,
    // which would then stall one merge with a whole backlog's worth of them.
    super({ ...follower, insertEf: follower.insertEf ?? Number.POSITIVE_INFINITY, ...(logger ? { logger } : {}) });
    this.checkpointEvery = checkpointEvery ?? 2000;
    this.writerStore = new VectorIndexStore(options.files, {
      dimensions: this.dimensions,
      ...(keepSnapshots !== undefined ? { keepSnapshots } : {}),
      ...(logger ? { logger } : {}),
    });
  }

  /** The fencing token this writer holds, or undefined while it only follows. */
  get fencingToken(): number | undefined {
    return this.fenced?.token;
  }

  /**
   * Becomes the writer under `token` (the compaction lease's fencing token). Throws
   * `StaleFencingTokenError` when the manifest already records a newer token, or when another
   * writer fenced while this one was catching up; nothing is written then.
   */
  fence(token: number): Promise<CatchUpResult> {
    return this.exclusive(async () => {
      this.fenced = undefined;
      const found = await this.writerStore.createIfMissing();
      this.refuseIfNewer(found, token);
      const result = await this.catchUp();
      const position = this.position!;
      const { manifest, version } = await this.readVersionedManifest();
      // Another writer moved on while we read: its token is newer than ours or it checkpointed.
      this.refuseIfNewer(manifest, token);
      if (manifest.generation !== position.generation)
        throw new StaleFencingTokenError(
          `vector index ${this.files.location}: another writer checkpointed while fencing token ${token} was catching up`,
        );
      await this.writerStore.adopt({ ...manifest, fencing_token: token }, version, position.offsets, position.liveOps);
      this.fenced = { token, generation: manifest.generation };
      return result;
    });
  }

  /** Stops writing (the lease is being released); reads go back to catching up. */
  unfence(): void {
    this.fenced = undefined;
  }

  /** Writes a snapshot now (fenced only); returns its descriptor. */
  override checkpoint(): Promise<SnapshotDescriptor | undefined> {
    if (!this.fenced) return super.checkpoint();
    return this.exclusive(async () => {
      await this.assertStillFenced();
      return this.checkpointNow();
    });
  }

  /** Releases the files' handles; the index must not be used afterwards. */
  override async close(): Promise<void> {
    this.fenced = undefined;
    await this.exclusive(() => this.writerStore.close());
  }

  protected override writable(): boolean {
    return this.fenced !== undefined;
  }

  protected override async beforeApply(collection: Collection, op: VectorIndexOp): Promise<void> {
    await this.assertStillFenced();
    if (this.writerStore.opsSinceCheckpoint >= this.checkpointEvery) await this.checkpointNow();
    await this.writerStore.append(collection, op);
    this.syncPosition();
  }

  private async checkpointNow(): Promise<SnapshotDescriptor> {
    // Snapshots hold full-beam graphs, no unlinked records (only set when insertEf is 0).
    this.repairAll();
    const descriptor = await this.writerStore.checkpoint(this.graphs);
    this.fenced = { token: this.fenced!.token, generation: descriptor.id };
    this.syncPosition();
    return descriptor;
  }

  /** The follower's position follows our own appends, so a later catch-up skips them. */
  private syncPosition(): void {
    const { generation, lengths } = this.writerStore.position();
    this.position = { generation, offsets: lengths, liveOps: this.writerStore.opsSinceCheckpoint };
  }

  /**
   * Re-reads the manifest before a write: a newer writer's token or generation there means our
   * lease is gone, so the write is refused before any byte of it is written.
   */
  private async assertStillFenced(): Promise<void> {
    const fence = this.fenced;
    if (!fence) return;
    const manifest = await this.readManifest();
    if (manifest.fencing_token !== fence.token || manifest.generation !== fence.generation) {
      this.fenced = undefined;
      throw new StaleFencingTokenError(
        `vector index ${this.files.location}: fencing token ${fence.token} is stale (the manifest records token ${manifest.fencing_token ?? 'none'} at generation ${manifest.generation}); the write is refused`,
      );
    }
  }

  private refuseIfNewer(manifest: Manifest, token: number): void {
    if ((manifest.fencing_token ?? 0) > token)
      throw new StaleFencingTokenError(
        `vector index ${this.files.location}: fencing token ${token} is older than the manifest's ${manifest.fencing_token}; another compaction holds the lock`,
      );
  }
}
