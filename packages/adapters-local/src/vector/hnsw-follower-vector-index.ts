import {
  COLLECTIONS,
  ConfigError,
  type Collection,
  type VectorIndexFiles,
  type MetadataFilter,
  type VectorMetadata,
  type VectorRecord,
} from '@receiptflow/core';
import { CorruptDataFileError, ReadOnlyVectorIndexError } from '../errors.js';
import { HnswVectorIndex, type HnswVectorIndexOptions } from './hnsw-vector-index.js';
import { asBuffer } from './bytes.js';
import { scanFrames } from './log-frames.js';
import { decodeManifest, MANIFEST, type Manifest } from './manifest.js';
import { decodeOp } from './op-codec.js';
import {
  decodeDescriptor,
  SNAPSHOT_DESCRIPTOR,
  snapshotDirName,
  SNAPSHOTS_DIR,
  type SnapshotDescriptor,
} from './snapshot-catalog.js';
import { decodeSnapshot } from './snapshot-codec.js';

export interface HnswFollowerVectorIndexOptions extends Omit<
  HnswVectorIndexOptions,
  'dir' | 'fsync' | 'keepSnapshots'
> {
  /** The writer's index files (an EFS mount: `new FsVectorIndexFiles(dir)`; S3: `S3VectorIndexFiles`). */
  files: VectorIndexFiles;
  /**
   * A read catches up first when the last catch-up is older than this. Default 1000 ms: a
   * results invocation's several queries share one manifest read. 0 catches up on every read.
   */
  refreshAfterMs?: number;
  /** Milliseconds clock for `refreshAfterMs`; `Date.now` by default. */
  now?: () => number;
  /**
   * What a missing manifest means. `throw` (default): damage, a `CorruptDataFileError`.
   * `empty`: no writer has created the index yet (a new stack before its first compaction),
   * so the follower answers as an empty index and looks again on the next read. A manifest
   * lost beside existing logs is still reported, by the writer, which refuses to start over it.
   */
  whenMissing?: 'throw' | 'empty';
}

/** What one {@link HnswFollowerVectorIndex.catchUp} did. */
export interface CatchUpResult {
  /** `cold`: loaded the newest snapshot and its log; `warm`: read only log bytes past its offsets. */
  kind: 'cold' | 'warm';
  generation: number;
  /** Log operations applied. */
  ops: number;
}

/** How far a follower has applied the files. */
export interface FollowerPosition {
  generation: number;
  /** Bytes of each collection's live log already applied. */
  offsets: Record<Collection, number>;
  /** Operations applied from the live generation's logs (what a reopen would replay). */
  liveOps: number;
}

/** A file vanished under us (the writer pruned it): start over from the newest snapshot. */
class Moved extends Error {}

/**
 * A read-only view of an index that one writer (`HnswVectorIndex` in compaction, under the
 * compaction lock) keeps in a directory shared with readers (EFS). A cold instance loads the
 * newest snapshot and replays its log; afterwards each catch-up reads the manifest and only the
 * log bytes past what it has applied, so its cost grows with the delta, never with the index.
 * When the writer has checkpointed since, the follower finishes the old log and moves on to the
 * new one (the snapshot in between equals that state) instead of reloading; only a restore, or
 * falling further behind than the writer keeps logs, costs a snapshot load.
 *
 * Every write is refused with {@link ReadOnlyVectorIndexError}. An incomplete last frame is the
 * writer mid-append and is left for the next catch-up; any other damage throws
 * {@link CorruptDataFileError} naming the file and offset.
 *
 * @example
 * const vectors = new HnswFollowerVectorIndex({ files: new FsVectorIndexFiles('/mnt/vectors'), dimensions: 512 });
 * const matches = await vectors.query('lines', { vector, k: 20 }); // catches up first
 */
export class HnswFollowerVectorIndex extends HnswVectorIndex {
  protected readonly files: VectorIndexFiles;
  private readonly refreshAfterMs: number;
  private readonly now: () => number;
  private readonly whenMissing: 'throw' | 'empty';
  protected position: FollowerPosition | undefined;
  private lastCatchUp = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<CatchUpResult> | undefined;

  /**
   * A read-only index that follows the files another process (the compaction writer) writes,
   * catching up before a read when the last catch-up is older than `refreshAfterMs`.
   *
   * @example
   * const index = new HnswFollowerVectorIndex({ files: new FsVectorIndexFiles('/mnt/efs/vectors'), dimensions: 512 });
   * const matches = await index.query('lines', { vector, k: 10 }); // catches up first
   */
  constructor(options: HnswFollowerVectorIndexOptions) {
    const { files, refreshAfterMs, now, whenMissing, ...index } = options;
    // Replayed records are appended unlinked (the default insertEf, 0): a warm catch-up in a
    // handler's hot path then costs no graph walk. A follower never repairs, so `maxUnlinked`
    // bounds what its queries scan: past it, each replayed operation links the oldest records
    // with the full beam, as every replayed record was linked before.
    super(index);
    this.whenMissing = whenMissing ?? 'throw';
    this.files = files;
    this.refreshAfterMs = refreshAfterMs ?? 1000;
    this.now = now ?? Date.now;
  }

  /** Brings memory up to the files' current state; concurrent calls share one catch-up. */
  catchUp(): Promise<CatchUpResult> {
    this.inFlight ??= this.catchUpOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  protected override async ready(): Promise<void> {
    await super.ready();
    // A writer's memory is the truth while it holds the fence: nobody else appends.
    if (this.writable()) return;
    if (this.inFlight) {
      await this.inFlight;
      return;
    }
    if (this.position && this.now() - this.lastCatchUp < this.refreshAfterMs) return;
    await this.catchUp();
  }

  /** False for a follower; a fenced writer (a subclass) answers true while it holds the fence. */
  protected writable(): boolean {
    return false;
  }

  override upsert(collection: Collection, records: VectorRecord[]): Promise<void> {
    if (!this.writable()) return Promise.reject(new ReadOnlyVectorIndexError(this.files.location, 'upsert'));
    return super.upsert(collection, records);
  }
  override delete(collection: Collection, ids: string[]): Promise<void> {
    if (!this.writable()) return Promise.reject(new ReadOnlyVectorIndexError(this.files.location, 'delete'));
    return super.delete(collection, ids);
  }
  override deleteWhere(collection: Collection, where: MetadataFilter): Promise<number> {
    if (!this.writable()) return Promise.reject(new ReadOnlyVectorIndexError(this.files.location, 'deleteWhere'));
    return super.deleteWhere(collection, where);
  }
  override updateMetadata(collection: Collection, ids: string[], patch: VectorMetadata): Promise<number> {
    if (!this.writable()) return Promise.reject(new ReadOnlyVectorIndexError(this.files.location, 'updateMetadata'));
    return super.updateMetadata(collection, ids, patch);
  }
  override checkpoint(): Promise<SnapshotDescriptor | undefined> {
    return Promise.reject(new ReadOnlyVectorIndexError(this.files.location, 'checkpoint'));
  }

  private async catchUpOnce(): Promise<CatchUpResult> {
    const manifest = (await this.readManifestIfAny())?.manifest;
    if (!manifest) {
      // Once read, a manifest that vanishes is damage in either mode.
      if (this.whenMissing === 'throw' || this.position) throw this.missingManifest();
      this.clearCollections();
      this.position = undefined;
      this.lastCatchUp = this.now();
      return { kind: 'cold', generation: 0, ops: 0 };
    }
    let result: CatchUpResult | undefined;
    if (this.position) result = await this.warm(this.position, manifest).catch(rethrowUnlessMoved);
    // A writer may prune what we are reading between two reads; the newest state is then a
    // snapshot that exists, so a second attempt from a fresh manifest succeeds.
    for (let attempt = 0; !result; attempt++) {
      const fresh = attempt === 0 ? manifest : await this.readManifest();
      result = await this.cold(fresh).catch((error: unknown) => {
        if (error instanceof Moved && attempt < 2) return undefined;
        throw error;
      });
    }
    this.lastCatchUp = this.now();
    return result;
  }

  protected async readManifest(): Promise<Manifest> {
    return (await this.readVersionedManifest()).manifest;
  }

  /** The manifest with the version a writer's swap must expect. */
  protected async readVersionedManifest(): Promise<{ manifest: Manifest; version: string }> {
    const found = await this.readManifestIfAny();
    if (!found) throw this.missingManifest();
    return found;
  }

  private async readManifestIfAny(): Promise<{ manifest: Manifest; version: string } | undefined> {
    const path = `${this.files.location}/${MANIFEST}`;
    const found = await this.files.readVersioned(MANIFEST);
    if (!found) return undefined;
    const manifest = decodeManifest(asBuffer(found.bytes), path);
    if (manifest.dimensions !== this.dimensions)
      throw new ConfigError(
        `vector index at ${this.files.location} has ${manifest.dimensions} dimensions, configured ${this.dimensions}`,
      );
    return { manifest, version: found.version };
  }

  private missingManifest(): CorruptDataFileError {
    return new CorruptDataFileError(
      `${this.files.location}/${MANIFEST}`,
      0,
      'missing: no writer has created this vector index yet',
    );
  }

  /** Loads the manifest's snapshots and replays its logs from the start. */
  private async cold(manifest: Manifest): Promise<CatchUpResult> {
    this.clearCollections();
    this.position = undefined;
    const offsets = { lines: 0, words: 0 };
    let ops = 0;
    for (const collection of COLLECTIONS) {
      const files = manifest.collections[collection];
      if (files.snapshot) {
        const bytes = await this.files.read(files.snapshot);
        if (!bytes) throw new Moved();
        const { table, graph } = decodeSnapshot(
          asBuffer(bytes),
          manifest.dimensions,
          `${this.files.location}/${files.snapshot}`,
          this.quantization,
        );
        this.restoreCollection(collection, table, graph);
      }
      const applied = await this.replayFrom(collection, files.log, 0);
      offsets[collection] = applied.end;
      ops += applied.ops;
    }
    this.position = { generation: manifest.generation, offsets, liveOps: ops };
    return { kind: 'cold', generation: manifest.generation, ops };
  }

  /**
   * Applies what is new since `from`. Within a generation: the bytes past each offset. Across
   * checkpoints: the rest of the old log, then every later log, provided each generation in
   * between has a snapshot that folded its predecessor (a restore breaks the chain). Returns
   * undefined when only a cold load can get there.
   */
  private async warm(from: FollowerPosition, manifest: Manifest): Promise<CatchUpResult | undefined> {
    if (manifest.generation < from.generation) return undefined;
    const chain: number[] = [];
    for (let generation = from.generation + 1; generation <= manifest.generation; generation++) {
      const bytes = await this.files.read(`${SNAPSHOTS_DIR}/${snapshotDirName(generation)}/${SNAPSHOT_DESCRIPTOR}`);
      if (!bytes) return undefined;
      const path = `${this.files.location}/${SNAPSHOTS_DIR}/${snapshotDirName(generation)}/${SNAPSHOT_DESCRIPTOR}`;
      if (decodeDescriptor(asBuffer(bytes), path).after_generation !== generation - 1) return undefined;
      chain.push(generation);
    }
    let ops = 0;
    let liveOps = chain.length > 0 ? 0 : from.liveOps;
    const offsets = { ...from.offsets };
    for (const collection of COLLECTIONS) {
      let generation = from.generation;
      let offset = offsets[collection];
      for (const next of chain) {
        ops += (await this.replayFrom(collection, `${collection}.${generation}.log`, offset)).ops;
        generation = next;
        offset = 0;
      }
      const applied = await this.replayFrom(collection, manifest.collections[collection].log, offset);
      offsets[collection] = applied.end;
      ops += applied.ops;
      liveOps += applied.ops;
    }
    this.position = { generation: manifest.generation, offsets, liveOps };
    return { kind: 'warm', generation: manifest.generation, ops };
  }

  /** Applies the complete frames of `log` past `offset`; returns where the next read starts. */
  private async replayFrom(collection: Collection, log: string, offset: number): Promise<{ end: number; ops: number }> {
    const bytes = await this.files.readLog(log, offset);
    if (!bytes) throw new Moved();
    const path = `${this.files.location}/${log}`;
    const scan = scanFrames(asBuffer(bytes));
    const damage = scan.damaged[0];
    if (damage) throw new CorruptDataFileError(path, offset + damage.offset, damage.reason);
    for (const frame of scan.frames) {
      let op;
      try {
        op = decodeOp(frame.payload, this.dimensions);
      } catch (error) {
        throw new CorruptDataFileError(
          path,
          offset + frame.offset,
          `undecodable operation: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
      this.apply(collection, op);
    }
    // A torn tail here is the writer part-way through an append: read it again next time.
    return { end: offset + scan.goodLength, ops: scan.frames.length };
  }
}

function rethrowUnlessMoved(error: unknown): undefined {
  if (error instanceof Moved) return undefined;
  throw error;
}
