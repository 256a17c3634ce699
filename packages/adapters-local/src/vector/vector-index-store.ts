import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  COLLECTIONS,
  ConfigError,
  isoNow,
  LockBusyError,
  silentLogger,
  type Clock,
  type Collection,
  type Logger,
} from '@receiptflow/core';
import { syncDir } from '../durable/sync-dir.js';
import { SystemClock } from '../system-clock.js';
import { CorruptDataFileError, StoreClosedError, UnknownSnapshotError } from '../errors.js';
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

const OWNER = 'OWNER';
/** Directories opened by this process: a second owner would interleave log appends. */
const openDirs = new Set<string>();

interface OpenLog {
  handle: FileHandle;
  /** Bytes of complete frames; a failed append is cut back to this. */
  length: number;
}

export interface StoreLoadHandlers {
  restore(collection: Collection, table: RecordTable, graph: HnswGraphState): void;
  replay(collection: Collection, op: VectorIndexOp): void;
}

/**
 * The files of a persisted vector index: per collection an optional snapshot (table + graph)
 * and an append-only log of mutations since that snapshot; `manifest.json` names the live
 * generation and is only ever replaced by write-temp-then-rename. An append writes one framed
 * record (O(delta) bytes) and never rewrites the manifest.
 */
export class VectorIndexStore {
  private manifest: Manifest | undefined;
  private readonly logs = new Map<Collection, OpenLog>();

  constructor(
    readonly dir: string,
    private readonly options: {
      dimensions: number;
      fsync: boolean;
      keepSnapshots?: number;
      logger?: Logger;
      /**
       * Claim the directory with a pid OWNER file (default). A fenced writer on a shared mount
       * (efs mode) passes false: pids repeat across Lambda containers, so exclusion there is the
       * compaction lock's fencing token recorded in the manifest instead.
       */
      ownerFile?: boolean;
      /** Stamps snapshot descriptors (`created_at`). Default SystemClock. */
      clock?: Clock;
    },
  ) {}

  /** Operations appended to the logs since the last checkpoint (what a reopen must replay). */
  opsSinceCheckpoint = 0;

  /**
   * Loads snapshots, replays logs, and opens the logs for appending. A torn log tail (an
   * incomplete last frame) is cut off and reported; any other damage throws a
   * {@link CorruptDataFileError} naming the file and offset, and nothing is changed on disk.
   */
  async open(handlers: StoreLoadHandlers): Promise<void> {
    await mkdir(this.dir, { recursive: true });
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
        `vector index at ${this.dir} has ${manifest.dimensions} dimensions, configured ${this.options.dimensions}`,
      );
    this.manifest = manifest;
    const logger = this.options.logger ?? silentLogger;
    // Check every file before changing any, so that a refusal leaves the directory as it was.
    const scans = new Map<Collection, { path: string; scan: ReturnType<typeof scanFrames> }>();
    for (const collection of COLLECTIONS) {
      const path = join(this.dir, manifest.collections[collection].log);
      const scan = scanFrames(await readFileNamed(path));
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
        const path = join(this.dir, files.snapshot);
        const { table, graph } = decodeSnapshot(await readFileNamed(path), manifest.dimensions, path);
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
      const handle = await open(path, 'r+');
      if (scan.tornTail) {
        // New frames must follow good ones; reported, since those bytes never became durable.
        await handle.truncate(scan.goodLength);
        logger.warn('vector log: dropped a torn tail left by a crash mid-append', {
          file: path,
          offset: scan.tornTail.offset,
          bytes: scan.tornTail.length,
          records: 1,
        });
      }
      this.logs.set(collection, { handle, length: scan.goodLength });
    }
    await this.prune(manifest);
  }

  /**
   * The manifest, after creating an empty index (generation 0, empty logs) when the directory
   * holds none. A lost manifest beside non-empty logs is damage and throws.
   */
  async createIfMissing(): Promise<Manifest> {
    await mkdir(this.dir, { recursive: true });
    const found = await this.readManifest();
    if (found) return found;
    const manifest: Manifest = {
      format_version: 1,
      dimensions: this.options.dimensions,
      generation: 0,
      collections: { lines: { snapshot: null, log: 'lines.0.log' }, words: { snapshot: null, log: 'words.0.log' } },
    };
    for (const collection of COLLECTIONS) await this.createEmpty(manifest.collections[collection].log);
    await this.writeManifest(manifest);
    return manifest;
  }

  /**
   * Takes over the files as they are, for a writer that has already brought its memory up to
   * `manifest` with `lengths` bytes of each live log applied (a fenced writer catching up like
   * a follower): bytes past those lengths (a torn frame a crashed writer left) are cut off and
   * reported, the logs are opened for appending, and `manifest` (carrying the new fencing token)
   * is written in place of the old one.
   */
  async adopt(manifest: Manifest, lengths: Record<Collection, number>, opsSinceCheckpoint: number): Promise<void> {
    const logger = this.options.logger ?? silentLogger;
    for (const log of this.logs.values()) await log.handle.close();
    this.logs.clear();
    for (const collection of COLLECTIONS) {
      const path = join(this.dir, manifest.collections[collection].log);
      const handle = await open(path, 'r+');
      const { size } = await handle.stat();
      const length = lengths[collection];
      if (size > length) {
        await handle.truncate(length);
        if (this.options.fsync) await handle.datasync();
        logger.warn('vector log: dropped a torn tail left by a crash mid-append', {
          file: path,
          offset: length,
          bytes: size - length,
          records: 1,
        });
      }
      this.logs.set(collection, { handle, length });
    }
    await this.writeManifest(manifest);
    this.manifest = manifest;
    this.opsSinceCheckpoint = opsSinceCheckpoint;
  }

  /** The live generation and the bytes of each live log (what a follower's offsets match). */
  position(): { generation: number; lengths: Record<Collection, number> } {
    if (!this.manifest) throw new StoreClosedError(`vector index store ${this.dir}`);
    return {
      generation: this.manifest.generation,
      lengths: { lines: this.logs.get('lines')?.length ?? 0, words: this.logs.get('words')?.length ?? 0 },
    };
  }

  /** Appends one mutation to the collection's log (and fsyncs it, unless configured not to). */
  async append(collection: Collection, op: VectorIndexOp): Promise<void> {
    const log = this.logs.get(collection);
    if (!log) throw new StoreClosedError(`vector index store ${this.dir}`);
    const bytes = frame(encodeOp(op, this.options.dimensions));
    try {
      await log.handle.write(bytes, 0, bytes.length, log.length);
      if (this.options.fsync) await log.handle.datasync();
    } catch (error) {
      await log.handle.truncate(log.length).catch(() => undefined);
      throw error;
    }
    log.length += bytes.length;
    this.opsSinceCheckpoint++;
  }

  /**
   * Writes a snapshot of every collection as the next generation, with empty logs, then swaps
   * the manifest (the pointer). The snapshot is built in `snapshots/<id>.tmp/`, every file
   * fsync'd, then renamed to `snapshots/<id>/` in one step, so a snapshot directory is either
   * complete or absent; a crash before the manifest rename leaves the previous generation live.
   * Afterwards only the newest `keepSnapshots` snapshots (plus the live one and `pin`) are kept.
   */
  async checkpoint(
    graphs: ReadonlyMap<Collection, { table: RecordTable; graph: HnswGraph }>,
    pin?: number,
  ): Promise<SnapshotDescriptor> {
    const previous = this.manifest;
    if (!previous) throw new StoreClosedError(`vector index store ${this.dir}`);
    const existing = await readSnapshots(this.dir);
    const generation = Math.max(previous.generation, existing.at(-1)?.id ?? 0) + 1;
    const name = snapshotDirName(generation);
    const root = join(this.dir, SNAPSHOTS_DIR);
    const temp = join(root, `${name}.tmp`);
    await rm(temp, { recursive: true, force: true });
    await mkdir(temp, { recursive: true });
    const descriptor: SnapshotDescriptor = {
      id: generation,
      created_at: isoNow(this.options.clock ?? new SystemClock()),
      after_generation: previous.generation,
      dimensions: previous.dimensions,
      collections: { lines: { file: null, count: 0 }, words: { file: null, count: 0 } },
    };
    const next: Manifest = { ...previous, generation, collections: { ...previous.collections } };
    for (const collection of COLLECTIONS) {
      const entry = graphs.get(collection);
      let snapshot: string | null = null;
      if (entry && entry.table.size > 0) {
        await writeSynced(join(temp, `${collection}.snapshot`), encodeSnapshot(entry.table, entry.graph.state()));
        descriptor.collections[collection] = { file: `${collection}.snapshot`, count: entry.table.liveCount };
        snapshot = `${SNAPSHOTS_DIR}/${name}/${collection}.snapshot`;
      }
      const log = `${collection}.${generation}.log`;
      await this.createEmpty(log);
      next.collections[collection] = { snapshot, log };
    }
    await writeSynced(join(temp, SNAPSHOT_DESCRIPTOR), [encodeDescriptor(descriptor)]);
    await syncDir(temp);
    await rename(temp, join(root, name));
    await syncDir(root);
    await this.switchTo(next);
    await this.prune(next, pin);
    return descriptor;
  }

  /**
   * Makes snapshot `id` the live state: a new generation whose manifest names that snapshot's
   * files and fresh, empty logs. Newer snapshots stay on disk, so a restore can be undone by
   * restoring a newer id. Throws {@link UnknownSnapshotError} for an id the directory lacks.
   */
  async restore(id: number): Promise<SnapshotDescriptor> {
    const previous = this.manifest;
    if (!previous) throw new StoreClosedError(`vector index store ${this.dir}`);
    const snapshots = await readSnapshots(this.dir);
    const descriptor = snapshots.find((s) => s.id === id);
    if (!descriptor)
      throw new UnknownSnapshotError(
        this.dir,
        String(id),
        snapshots.map((s) => s.id),
      );
    // Check the files decode before pointing the manifest at them.
    for (const collection of COLLECTIONS) {
      const file = descriptor.collections[collection].file;
      if (!file) continue;
      const path = join(this.dir, SNAPSHOTS_DIR, snapshotDirName(id), file);
      decodeSnapshot(await readFileNamed(path), previous.dimensions, path);
    }
    const generation = Math.max(previous.generation, snapshots.at(-1)?.id ?? 0) + 1;
    const next: Manifest = { ...previous, generation, collections: { ...previous.collections } };
    for (const collection of COLLECTIONS) {
      const file = descriptor.collections[collection].file;
      const log = `${collection}.${generation}.log`;
      await this.createEmpty(log);
      next.collections[collection] = { snapshot: file ? `${SNAPSHOTS_DIR}/${snapshotDirName(id)}/${file}` : null, log };
    }
    await this.switchTo(next);
    await this.prune(next, id);
    return descriptor;
  }

  /** Swaps the manifest to `next` and reopens its (empty) logs for appending. */
  private async switchTo(next: Manifest): Promise<void> {
    await this.writeManifest(next);
    this.manifest = next;
    for (const collection of COLLECTIONS) {
      await this.logs.get(collection)?.handle.close();
      const handle = await open(join(this.dir, next.collections[collection].log), 'r+');
      this.logs.set(collection, { handle, length: 0 });
    }
    this.opsSinceCheckpoint = 0;
  }

  async close(): Promise<void> {
    for (const log of this.logs.values()) await log.handle.close();
    this.logs.clear();
    await this.release();
  }

  /**
   * Takes ownership of the directory: an OWNER file holding our pid, created exclusively. A file
   * left by a process that no longer runs is taken over; a live owner makes this throw.
   */
  private async claim(): Promise<void> {
    if (this.options.ownerFile === false) return;
    const key = resolve(this.dir);
    if (openDirs.has(key)) throw new LockBusyError(`vector index ${this.dir} is already open in this process`);
    const path = join(this.dir, OWNER);
    try {
      await writeFile(path, String(process.pid), { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(await readFile(path, 'utf8').catch(() => ''));
      if (owner !== process.pid && isRunning(owner))
        throw new LockBusyError(`vector index ${this.dir} is open in process ${owner}`);
      await writeFile(path, String(process.pid));
    }
    openDirs.add(key);
  }

  private async release(): Promise<void> {
    if (this.options.ownerFile === false) return;
    const key = resolve(this.dir);
    if (!openDirs.delete(key)) return;
    await unlink(join(this.dir, OWNER)).catch(() => undefined);
  }

  private async readManifest(): Promise<Manifest | undefined> {
    const path = join(this.dir, MANIFEST);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        // No manifest but logs or snapshots: a lost manifest, not a new index.
        // (Empty logs alone are a first open that crashed before writing its manifest.)
        const orphans: string[] = [];
        for (const name of await readdir(this.dir)) {
          if (/^(lines|words)\.\d+\.(log|snapshot)$/.test(name) && (await stat(join(this.dir, name))).size > 0)
            orphans.push(name);
        }
        if (orphans.length > 0)
          throw new CorruptDataFileError(path, 0, `missing, but the directory holds ${orphans.join(', ')}`);
        return undefined;
      }
      throw error;
    }
    return decodeManifest(bytes, path);
  }

  private async writeManifest(manifest: Manifest): Promise<void> {
    await this.writeAtomically(MANIFEST, [encodeManifest(manifest)]);
  }

  /** Writes `name` via a temp file, fsync and rename, then fsyncs the directory. */
  private async writeAtomically(name: string, parts: Buffer[]): Promise<void> {
    const temp = join(this.dir, `${name}.tmp`);
    await writeSynced(temp, parts);
    await rename(temp, join(this.dir, name));
    await syncDir(this.dir);
  }

  private async createEmpty(name: string): Promise<void> {
    const handle = await open(join(this.dir, name), 'w');
    await handle.sync();
    await handle.close();
  }

  /**
   * Keeps the newest `keepSnapshots` snapshots, the live one and `pin`; keeps the logs a
   * follower may still need (the live generation's, and the one each kept snapshot folded), and
   * removes the rest, with temp files a crashed checkpoint left behind.
   */
  private async prune(manifest: Manifest, pin?: number): Promise<void> {
    const keepCount = this.options.keepSnapshots ?? DEFAULT_KEEP_SNAPSHOTS;
    const snapshots = await readSnapshots(this.dir);
    const live = new Set<string>();
    for (const collection of COLLECTIONS) {
      const path = manifest.collections[collection].snapshot;
      if (path?.startsWith(`${SNAPSHOTS_DIR}/`)) live.add(path.split('/')[1]!);
    }
    const kept = snapshots.filter(
      (s, i) => i >= snapshots.length - keepCount || live.has(snapshotDirName(s.id)) || s.id === pin,
    );
    const keepDirs = new Set(kept.map((s) => snapshotDirName(s.id)));
    const root = join(this.dir, SNAPSHOTS_DIR);
    for (const name of await readdir(root).catch(() => [] as string[])) {
      if (!keepDirs.has(name)) await rm(join(root, name), { recursive: true, force: true });
    }
    const keep = new Set<string>([MANIFEST, OWNER]);
    for (const collection of COLLECTIONS) {
      const files = manifest.collections[collection];
      keep.add(files.log);
      if (files.snapshot) keep.add(files.snapshot);
      for (const s of kept) keep.add(`${collection}.${s.after_generation}.log`);
    }
    const ours = /^(lines|words)\.\d+\.(log|snapshot)(\.tmp)?$|^manifest\.json\.tmp$/;
    for (const name of await readdir(this.dir)) {
      if (ours.test(name) && !keep.has(name)) await unlink(join(this.dir, name)).catch(() => undefined);
    }
  }
}

/**
 * The complete snapshots in a vector index directory, oldest first. Reads only descriptors;
 * takes no lock (a snapshot directory appears in one rename, so a listing never sees half of one).
 */
export async function readSnapshots(dir: string): Promise<SnapshotDescriptor[]> {
  const root = join(dir, SNAPSHOTS_DIR);
  let names: string[];
  try {
    names = await readdir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const out: SnapshotDescriptor[] = [];
  for (const name of names) {
    if (snapshotIdOf(name) === undefined) continue;
    const path = join(root, name, SNAPSHOT_DESCRIPTOR);
    out.push(decodeDescriptor(await readFileNamed(path), path));
  }
  return out.sort((a, b) => a.id - b.id);
}

/** Writes a whole file and fsyncs it before returning. */
async function writeSynced(path: string, parts: Buffer[]): Promise<void> {
  const handle = await open(path, 'w');
  try {
    for (const part of parts) if (part.length > 0) await handle.write(part);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads a file the manifest names; a missing one is damage to the index, named as such. */
async function readFileNamed(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new CorruptDataFileError(path, 0, 'named by the manifest but missing', { cause: error });
    throw error;
  }
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
