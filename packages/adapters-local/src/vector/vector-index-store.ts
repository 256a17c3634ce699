import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  COLLECTIONS,
  ConditionFailedError,
  ConfigError,
  isoNow,
  LockBusyError,
  silentLogger,
  StaleFencingTokenError,
  type Clock,
  type Collection,
  type Logger,
  type VectorIndexFiles,
} from '@receiptflow/core';
import { SystemClock } from '../system-clock.js';
import { CorruptDataFileError, StoreClosedError, UnknownSnapshotError } from '../errors.js';
import { asBuffer } from './bytes.js';
import type { HnswGraph, HnswGraphState } from './hnsw-graph.js';
import { frame, scanFrames } from './log-frames.js';
import { decodeManifest, encodeManifest, MANIFEST, type Manifest } from './manifest.js';
import { decodeOp, encodeOp } from './op-codec.js';
import type { RecordTable } from './record-table.js';
import {
  decodeDescriptor,
  DEFAULT_KEEP_SNAPSHOTS,
  encodeDescriptor,
  SNAPSHOT_DESCRIPTOR,
  snapshotDirName,
  snapshotIdOf,
  SNAPSHOTS_DIR,
  type SnapshotDescriptor,
} from './snapshot-catalog.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.js';
import type { VectorIndexOp } from './table-vector-index.js';
import type { VectorQuantization } from './vector-math.js';

const OWNER = 'OWNER';
/** Directories opened by this process: a second owner would interleave log appends. */
const openDirs = new Set<string>();

export interface StoreLoadHandlers {
  restore(collection: Collection, table: RecordTable, graph: HnswGraphState): void;
  replay(collection: Collection, op: VectorIndexOp): void;
}

/**
 * The files of a persisted vector index, through a {@link VectorIndexFiles} (a directory, an EFS
 * mount or an S3 prefix): per collection an optional snapshot (table + graph) and an append-only
 * log of mutations since that snapshot; `manifest.json` names the live generation and is only
 * ever replaced whole, from the version this store last read or wrote. An append writes one
 * framed record (O(delta) bytes) and never rewrites the manifest.
 */
export class VectorIndexStore {
  private manifest: Manifest | undefined;
  /** The manifest's version as last read or written here; a swap expects it. */
  private manifestVersion: string | null = null;
  private readonly lengths = new Map<Collection, number>();
  /** The fencing token appends are made under (0 for a single owner). */
  private writer = 0;

  constructor(
    readonly files: VectorIndexFiles,
    private readonly options: {
      dimensions: number;
      /** The index's storage mode; a snapshot written in another is refused. Default 'none'. */
      quantization?: VectorQuantization;
      keepSnapshots?: number;
      logger?: Logger;
      /**
       * Claim this directory with a pid OWNER file (`receipts serve`). A fenced writer on shared
       * storage (efs, s3) passes none: pids repeat across Lambda containers, so exclusion there
       * is the compaction lock's fencing token recorded in the manifest instead.
       */
      ownerDir?: string;
      /** Stamps snapshot descriptors (`created_at`). Default SystemClock. */
      clock?: Clock;
    },
  ) {}

  /** Where the files are, for messages. */
  get location(): string {
    return this.files.location;
  }

  /** Operations appended to the logs since the last checkpoint (what a reopen must replay). */
  opsSinceCheckpoint = 0;

  /**
   * Loads snapshots, replays logs, and opens the logs for appending. A torn log tail (an
   * incomplete last frame) is cut off and reported; any other damage throws a
   * {@link CorruptDataFileError} naming the file and offset, and nothing is changed.
   */
  async open(handlers: StoreLoadHandlers): Promise<void> {
    await this.claim();
    try {
      await this.load(handlers);
    } catch (error) {
      await this.release();
      throw error;
    }
  }

  private async load(handlers: StoreLoadHandlers): Promise<void> {
    const manifest = await this.createIfMissing();
    if (manifest.dimensions !== this.options.dimensions)
      throw new ConfigError(
        `vector index at ${this.location} has ${manifest.dimensions} dimensions, configured ${this.options.dimensions}`,
      );
    const logger = this.options.logger ?? silentLogger;
    // Check every file before changing any, so that a refusal leaves the files as they were.
    const scans = new Map<Collection, { path: string; scan: ReturnType<typeof scanFrames> }>();
    for (const collection of COLLECTIONS) {
      const log = manifest.collections[collection].log;
      const path = this.pathOf(log);
      const bytes = await this.files.readLog(log, 0);
      if (!bytes) throw new CorruptDataFileError(path, 0, 'named by the manifest but missing');
      const scan = scanFrames(asBuffer(bytes));
      const first = scan.damaged[0];
      if (first) {
        const more = scan.damaged.length > 1 ? ` (${scan.damaged.length} damaged stretches in all)` : '';
        throw new CorruptDataFileError(path, first.offset, `${first.reason}${more}`);
      }
      scans.set(collection, { path, scan });
    }
    this.opsSinceCheckpoint = 0;
    for (const collection of COLLECTIONS) {
      const files = manifest.collections[collection];
      if (files.snapshot) {
        const { table, graph } = decodeSnapshot(
          await this.readNamed(files.snapshot),
          manifest.dimensions,
          this.pathOf(files.snapshot),
          this.options.quantization,
        );
        handlers.restore(collection, table, graph);
      }
      const { path, scan } = scans.get(collection)!;
      for (const { offset, payload } of scan.frames) {
        let op: VectorIndexOp;
        try {
          op = decodeOp(payload, manifest.dimensions);
        } catch (error) {
          throw new CorruptDataFileError(
            path,
            offset,
            `undecodable operation: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
        }
        handlers.replay(collection, op);
      }
      this.opsSinceCheckpoint += scan.frames.length;
      if (scan.tornTail) {
        // New frames must follow good ones; reported, since those bytes never became durable.
        await this.files.cutLog(files.log, scan.goodLength);
        logger.warn('vector log: dropped a torn tail left by a crash mid-append', {
          file: path,
          offset: scan.tornTail.offset,
          bytes: scan.tornTail.length,
          records: 1,
        });
      }
      this.lengths.set(collection, scan.goodLength);
    }
    this.manifest = manifest;
    await this.prune(manifest);
  }

  /**
   * The manifest, after creating an empty index (generation 0, empty logs) when there is none.
   * A lost manifest beside non-empty logs is damage and throws.
   */
  async createIfMissing(): Promise<Manifest> {
    const found = await this.readManifest();
    if (found) return found;
    const manifest: Manifest = {
      format_version: 1,
      dimensions: this.options.dimensions,
      generation: 0,
      collections: { lines: { snapshot: null, log: 'lines.0.log' }, words: { snapshot: null, log: 'words.0.log' } },
    };
    for (const collection of COLLECTIONS) await this.files.createLog(manifest.collections[collection].log);
    try {
      this.manifestVersion = await this.files.replace(MANIFEST, encodeManifest(manifest), null);
    } catch (error) {
      // Another writer created it first: theirs stands.
      if (!(error instanceof ConditionFailedError)) throw error;
      const theirs = await this.readManifest();
      if (theirs) return theirs;
      throw error;
    }
    return manifest;
  }

  /**
   * Takes over the files as they are, for a writer that has already brought its memory up to
   * `manifest` (read at `version`) with `lengths` bytes of each live log applied (a fenced writer
   * catching up like a follower): bytes past those lengths (a torn frame a crashed writer left)
   * are cut off and reported, and `manifest` (carrying the new fencing token) replaces the old
   * one, only if that is still at `version`: otherwise another writer moved on meanwhile, and this
   * throws `StaleFencingTokenError` having written nothing but the cut.
   */
  async adopt(
    manifest: Manifest,
    version: string,
    lengths: Record<Collection, number>,
    opsSinceCheckpoint: number,
  ): Promise<void> {
    const logger = this.options.logger ?? silentLogger;
    for (const collection of COLLECTIONS) {
      const log = manifest.collections[collection].log;
      const length = lengths[collection];
      const dropped = await this.files.cutLog(log, length);
      if (dropped > 0)
        logger.warn('vector log: dropped a torn tail left by a crash mid-append', {
          file: this.pathOf(log),
          offset: length,
          bytes: dropped,
          records: 1,
        });
      this.lengths.set(collection, length);
    }
    this.manifestVersion = version;
    await this.writeManifest(manifest);
    this.manifest = manifest;
    this.writer = manifest.fencing_token ?? 0;
    this.opsSinceCheckpoint = opsSinceCheckpoint;
  }

  /** The live generation and the bytes of each live log (what a follower's offsets match). */
  position(): { generation: number; lengths: Record<Collection, number> } {
    if (!this.manifest) throw new StoreClosedError(`vector index store ${this.location}`);
    return {
      generation: this.manifest.generation,
      lengths: { lines: this.lengths.get('lines') ?? 0, words: this.lengths.get('words') ?? 0 },
    };
  }

  /** Appends one mutation to the collection's log (durably, as the files define it). */
  async append(collection: Collection, op: VectorIndexOp): Promise<void> {
    const length = this.lengths.get(collection);
    if (!this.manifest || length === undefined) throw new StoreClosedError(`vector index store ${this.location}`);
    const bytes = frame(encodeOp(op, this.options.dimensions));
    await this.files.appendLog(this.manifest.collections[collection].log, length, bytes, this.writer);
    this.lengths.set(collection, length + bytes.length);
    this.opsSinceCheckpoint++;
  }

  /**
   * Writes a snapshot of every collection as the next generation, with empty logs, then swaps
   * the manifest (the pointer). The snapshot directory appears complete or not at all (see
   * {@link VectorIndexFiles.writeSnapshot}); a crash before the manifest swap leaves the previous
   * generation live. Afterwards only the newest `keepSnapshots` snapshots (plus the live one and
   * `pin`) are kept.
   */
  async checkpoint(
    graphs: ReadonlyMap<Collection, { table: RecordTable; graph: HnswGraph }>,
    pin?: number,
  ): Promise<SnapshotDescriptor> {
    const previous = this.manifest;
    if (!previous) throw new StoreClosedError(`vector index store ${this.location}`);
    const existing = await readSnapshots(this.files);
    const generation = Math.max(previous.generation, existing.at(-1)?.id ?? 0) + 1;
    const name = snapshotDirName(generation);
    const descriptor: SnapshotDescriptor = {
      id: generation,
      created_at: isoNow(this.options.clock ?? new SystemClock()),
      after_generation: previous.generation,
      dimensions: previous.dimensions,
      collections: { lines: { file: null, count: 0 }, words: { file: null, count: 0 } },
    };
    const next: Manifest = { ...previous, generation, collections: { ...previous.collections } };
    const written: { name: string; bytes: Uint8Array }[] = [];
    for (const collection of COLLECTIONS) {
      const entry = graphs.get(collection);
      let snapshot: string | null = null;
      if (entry && entry.table.size > 0) {
        const file = `${collection}.snapshot`;
        written.push({ name: file, bytes: Buffer.concat(encodeSnapshot(entry.table, entry.graph.state())) });
        descriptor.collections[collection] = { file, count: entry.table.liveCount };
        snapshot = `${SNAPSHOTS_DIR}/${name}/${file}`;
      }
      next.collections[collection] = { snapshot, log: `${collection}.${generation}.log` };
    }
    written.push({ name: SNAPSHOT_DESCRIPTOR, bytes: encodeDescriptor(descriptor) });
    await this.files.writeSnapshot(name, written);
    for (const collection of COLLECTIONS) await this.files.createLog(next.collections[collection].log);
    await this.switchTo(next);
    await this.prune(next, pin);
    return descriptor;
  }

  /**
   * Makes snapshot `id` the live state: a new generation whose manifest names that snapshot's
   * files and fresh, empty logs. Newer snapshots stay, so a restore can be undone by restoring a
   * newer id. Throws {@link UnknownSnapshotError} for an id the index lacks.
   */
  async restore(id: number): Promise<SnapshotDescriptor> {
    const previous = this.manifest;
    if (!previous) throw new StoreClosedError(`vector index store ${this.location}`);
    const snapshots = await readSnapshots(this.files);
    const descriptor = snapshots.find((s) => s.id === id);
    if (!descriptor)
      throw new UnknownSnapshotError(
        this.location,
        String(id),
        snapshots.map((s) => s.id),
      );
    // Check the files decode before pointing the manifest at them.
    for (const collection of COLLECTIONS) {
      const file = descriptor.collections[collection].file;
      if (!file) continue;
      const path = `${SNAPSHOTS_DIR}/${snapshotDirName(id)}/${file}`;
      decodeSnapshot(await this.readNamed(path), previous.dimensions, this.pathOf(path), this.options.quantization);
    }
    const generation = Math.max(previous.generation, snapshots.at(-1)?.id ?? 0) + 1;
    const next: Manifest = { ...previous, generation, collections: { ...previous.collections } };
    for (const collection of COLLECTIONS) {
      const file = descriptor.collections[collection].file;
      const log = `${collection}.${generation}.log`;
      await this.files.createLog(log);
      next.collections[collection] = { snapshot: file ? `${SNAPSHOTS_DIR}/${snapshotDirName(id)}/${file}` : null, log };
    }
    await this.switchTo(next);
    await this.prune(next, id);
    return descriptor;
  }

  /** Swaps the manifest to `next`, whose logs are new and empty. */
  private async switchTo(next: Manifest): Promise<void> {
    await this.writeManifest(next);
    this.manifest = next;
    for (const collection of COLLECTIONS) this.lengths.set(collection, 0);
    this.opsSinceCheckpoint = 0;
  }

  async close(): Promise<void> {
    await this.files.close();
    await this.release();
  }

  /**
   * Takes ownership of the directory: an OWNER file holding our pid, created exclusively. A file
   * left by a process that no longer runs is taken over; a live owner makes this throw.
   */
  private async claim(): Promise<void> {
    const dir = this.options.ownerDir;
    if (dir === undefined) return;
    const key = resolve(dir);
    if (openDirs.has(key)) throw new LockBusyError(`vector index ${dir} is already open in this process`);
    await mkdir(dir, { recursive: true });
    const path = join(dir, OWNER);
    try {
      await writeFile(path, String(process.pid), { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(await readFile(path, 'utf8').catch(() => ''));
      if (owner !== process.pid && isRunning(owner))
        throw new LockBusyError(`vector index ${dir} is open in process ${owner}`);
      await writeFile(path, String(process.pid));
    }
    openDirs.add(key);
  }

  private async release(): Promise<void> {
    const dir = this.options.ownerDir;
    if (dir === undefined) return;
    if (!openDirs.delete(resolve(dir))) return;
    await unlink(join(dir, OWNER)).catch(() => undefined);
  }

  private async readManifest(): Promise<Manifest | undefined> {
    const found = await this.files.readVersioned(MANIFEST);
    if (!found) {
      // No manifest but logs with data: a lost manifest, not a new index.
      // (Empty logs alone are a first open that crashed before writing its manifest.)
      const orphans = (await this.files.listLogs()).filter((log) => log.size > 0).map((log) => log.name);
      if (orphans.length > 0)
        throw new CorruptDataFileError(
          this.pathOf(MANIFEST),
          0,
          `missing, but the directory holds ${orphans.join(', ')}`,
        );
      return undefined;
    }
    this.manifestVersion = found.version;
    return decodeManifest(asBuffer(found.bytes), this.pathOf(MANIFEST));
  }

  /** Replaces the manifest from the version last seen; another writer's swap refuses this one. */
  private async writeManifest(manifest: Manifest): Promise<void> {
    try {
      this.manifestVersion = await this.files.replace(MANIFEST, encodeManifest(manifest), this.manifestVersion);
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      throw new StaleFencingTokenError(
        `vector index ${this.location}: the manifest changed under this writer (another writer swapped it); nothing was promoted`,
        { cause: error },
      );
    }
  }

  /**
   * Keeps the newest `keepSnapshots` snapshots, the live one and `pin`; keeps the logs a
   * follower may still need (the live generation's, and the one each kept snapshot folded), and
   * removes the rest, with the leftovers of a crashed snapshot write.
   */
  private async prune(manifest: Manifest, pin?: number): Promise<void> {
    const keepCount = this.options.keepSnapshots ?? DEFAULT_KEEP_SNAPSHOTS;
    const snapshots = await readSnapshots(this.files);
    const live = new Set<string>();
    for (const collection of COLLECTIONS) {
      const path = manifest.collections[collection].snapshot;
      if (path?.startsWith(`${SNAPSHOTS_DIR}/`)) live.add(path.split('/')[1]!);
    }
    const kept = snapshots.filter(
      (s, i) => i >= snapshots.length - keepCount || live.has(snapshotDirName(s.id)) || s.id === pin,
    );
    const keepDirs = new Set(kept.map((s) => snapshotDirName(s.id)));
    for (const { name, complete } of await this.files.listSnapshots()) {
      if (!complete || !keepDirs.has(name)) await this.files.removeSnapshot(name);
    }
    const keep = new Set<string>();
    for (const collection of COLLECTIONS) {
      keep.add(manifest.collections[collection].log);
      for (const s of kept) keep.add(`${collection}.${s.after_generation}.log`);
    }
    for (const { name } of await this.files.listLogs()) {
      if (!keep.has(name)) await this.files.removeLog(name);
    }
  }

  private pathOf(path: string): string {
    return `${this.location}/${path}`;
  }

  /** Reads a file the manifest names; a missing one is damage to the index, named as such. */
  private async readNamed(path: string): Promise<Buffer> {
    const bytes = await this.files.read(path);
    if (!bytes) throw new CorruptDataFileError(this.pathOf(path), 0, 'named by the manifest but missing');
    return asBuffer(bytes);
  }
}

/**
 * The complete snapshots of a vector index, oldest first. Reads only descriptors; takes no lock
 * (a snapshot appears whole, so a listing never sees half of one).
 */
export async function readSnapshots(files: VectorIndexFiles): Promise<SnapshotDescriptor[]> {
  const out: SnapshotDescriptor[] = [];
  for (const { name, complete } of await files.listSnapshots()) {
    if (!complete || snapshotIdOf(name) === undefined) continue;
    const path = `${SNAPSHOTS_DIR}/${name}/${SNAPSHOT_DESCRIPTOR}`;
    const bytes = await files.read(path);
    // Pruned between the listing and this read: it is no longer a snapshot there is.
    if (!bytes) continue;
    out.push(decodeDescriptor(asBuffer(bytes), `${files.location}/${path}`));
  }
  return out.sort((a, b) => a.id - b.id);
}

/**
 * The pid of a live process that owns the vector index in `dir` (a running `receipts serve`),
 * or null. Tools that rewrite the data directory must refuse to run beside an owner.
 */
export async function vectorIndexOwner(dir: string): Promise<number | null> {
  const pid = Number(await readFile(join(dir, OWNER), 'utf8').catch(() => ''));
  return pid !== process.pid && isRunning(pid) ? pid : null;
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0); // signal 0 only checks that the process exists
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
