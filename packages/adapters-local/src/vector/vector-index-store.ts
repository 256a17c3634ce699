import { mkdir, open, readdir, readFile, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { COLLECTIONS, ConfigError, LockBusyError, type Collection } from '@receiptflow/core';
import type { HnswGraph, HnswGraphState } from './hnsw-graph.js';
import { frame, readFrames } from './log-frames.js';
import { decodeOp, encodeOp } from './op-codec.js';
import type { RecordTable } from './record-table.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.js';
import type { VectorIndexOp } from './table-vector-index.js';

const MANIFEST = 'manifest.json';
const OWNER = 'OWNER';
/** Directories opened by this process: a second owner would interleave log appends. */
const openDirs = new Set<string>();

interface Manifest {
  format_version: 1;
  dimensions: number;
  generation: number;
  collections: Record<Collection, { snapshot: string | null; log: string }>;
}

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
    private readonly options: { dimensions: number; fsync: boolean },
  ) {}

  /** Loads snapshots, replays logs (cutting off a torn tail), and opens the logs for appending. */
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
    let manifest = await this.readManifest();
    if (!manifest) {
      manifest = {
        format_version: 1,
        dimensions: this.options.dimensions,
        generation: 0,
        collections: { lines: { snapshot: null, log: 'lines.0.log' }, words: { snapshot: null, log: 'words.0.log' } },
      };
      for (const collection of COLLECTIONS) await this.createEmpty(manifest.collections[collection].log);
      await this.writeManifest(manifest);
    }
    if (manifest.dimensions !== this.options.dimensions)
      throw new ConfigError(
        `vector index at ${this.dir} has ${manifest.dimensions} dimensions, configured ${this.options.dimensions}`,
      );
    this.manifest = manifest;
    for (const collection of COLLECTIONS) {
      const files = manifest.collections[collection];
      if (files.snapshot) {
        const { table, graph } = decodeSnapshot(await readFile(join(this.dir, files.snapshot)), manifest.dimensions);
        handlers.restore(collection, table, graph);
      }
      const path = join(this.dir, files.log);
      const { payloads, validLength } = readFrames(await readFile(path));
      for (const payload of payloads) handlers.replay(collection, decodeOp(payload, manifest.dimensions));
      const handle = await open(path, 'r+');
      await handle.truncate(validLength); // drop a torn tail so that new frames follow good ones
      this.logs.set(collection, { handle, length: validLength });
    }
    await this.removeUnreferenced(manifest);
  }

  /** Appends one mutation to the collection's log (and fsyncs it, unless configured not to). */
  async append(collection: Collection, op: VectorIndexOp): Promise<void> {
    const log = this.logs.get(collection);
    if (!log) throw new Error(`vector index store ${this.dir} is not open`);
    const bytes = frame(encodeOp(op, this.options.dimensions));
    try {
      await log.handle.write(bytes, 0, bytes.length, log.length);
      if (this.options.fsync) await log.handle.datasync();
    } catch (error) {
      await log.handle.truncate(log.length).catch(() => undefined);
      throw error;
    }
    log.length += bytes.length;
  }

  /**
   * Writes a snapshot of every collection as the next generation, with empty logs, then swaps
   * the manifest. A crash before the rename leaves the previous generation intact.
   */
  async checkpoint(graphs: ReadonlyMap<Collection, { table: RecordTable; graph: HnswGraph }>): Promise<void> {
    const previous = this.manifest;
    if (!previous) throw new Error(`vector index store ${this.dir} is not open`);
    const generation = previous.generation + 1;
    const next: Manifest = { ...previous, generation, collections: { ...previous.collections } };
    for (const collection of COLLECTIONS) {
      const entry = graphs.get(collection);
      let snapshot: string | null = null;
      if (entry && entry.table.size > 0) {
        snapshot = `${collection}.${generation}.snapshot`;
        await this.writeAtomically(snapshot, encodeSnapshot(entry.table, entry.graph.state()));
      }
      const log = `${collection}.${generation}.log`;
      await this.createEmpty(log);
      next.collections[collection] = { snapshot, log };
    }
    await this.writeManifest(next);
    this.manifest = next;
    for (const collection of COLLECTIONS) {
      await this.logs.get(collection)?.handle.close();
      const handle = await open(join(this.dir, next.collections[collection].log), 'r+');
      this.logs.set(collection, { handle, length: 0 });
    }
    await this.removeUnreferenced(next);
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
    const key = resolve(this.dir);
    if (!openDirs.delete(key)) return;
    await unlink(join(this.dir, OWNER)).catch(() => undefined);
  }

  private async readManifest(): Promise<Manifest | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir, MANIFEST), 'utf8')) as Manifest;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  private async writeManifest(manifest: Manifest): Promise<void> {
    await this.writeAtomically(MANIFEST, [Buffer.from(JSON.stringify(manifest, null, 2))]);
  }

  /** Writes `name` via a temp file, fsync and rename, then fsyncs the directory. */
  private async writeAtomically(name: string, parts: Buffer[]): Promise<void> {
    const temp = join(this.dir, `${name}.tmp`);
    const handle = await open(temp, 'w');
    try {
      for (const part of parts) if (part.length > 0) await handle.write(part);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(this.dir, name));
    await this.syncDir();
  }

  private async createEmpty(name: string): Promise<void> {
    const handle = await open(join(this.dir, name), 'w');
    await handle.sync();
    await handle.close();
  }

  private async syncDir(): Promise<void> {
    const handle = await open(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Removes files of older generations and temp files that a crashed checkpoint left behind. */
  private async removeUnreferenced(manifest: Manifest): Promise<void> {
    const keep = new Set<string>([MANIFEST, OWNER]);
    for (const collection of COLLECTIONS) {
      const files = manifest.collections[collection];
      keep.add(files.log);
      if (files.snapshot) keep.add(files.snapshot);
    }
    const ours = /^(lines|words)\.\d+\.(log|snapshot)(\.tmp)?$|^manifest\.json\.tmp$/;
    for (const name of await readdir(this.dir)) {
      if (ours.test(name) && !keep.has(name)) await unlink(join(this.dir, name)).catch(() => undefined);
    }
  }
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
