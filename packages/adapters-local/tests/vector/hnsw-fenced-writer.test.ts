import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  StaleFencingTokenError,
  type Collection,
  type Logger,
  type VectorMetadata,
  type VectorRecord,
} from '@receiptflow/core';
import { describeVectorIndexContract, WritesThenReads } from '@receiptflow/core/testing';
import { ReadOnlyVectorIndexError } from '../../src/errors.js';
import { InMemoryCompactionLock } from '../../src/in-memory-compaction-lock.js';
import { FencingCompactionLock } from '../../src/vector/fencing-compaction-lock.js';
import { HnswFencedWriterVectorIndex } from '../../src/vector/hnsw-fenced-writer-vector-index.js';
import { HnswFollowerVectorIndex } from '../../src/vector/hnsw-follower-vector-index.js';
import { HnswVectorIndex } from '../../src/vector/hnsw-vector-index.js';
import { decodeManifest } from '../../src/vector/manifest.js';
import { FsVectorIndexFiles } from '../../src/vector/fs-vector-index-files.js';

const DIMS = 16;

function records(n: number, prefix: string, metadata: VectorMetadata = {}): VectorRecord[] {
  let state = n * 31 + prefix.charCodeAt(0);
  const next = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`,
    vector: Array.from({ length: DIMS }, next),
    document: `doc ${prefix} ${i}`,
    metadata: { ...metadata, i },
  }));
}

describeVectorIndexContract(
  'HnswFencedWriterVectorIndex (efs writer, fenced) + HnswFollowerVectorIndex reading the same directory',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rf-fenced-contract-'));
    // A small checkpointEvery so that the suite's cases also cross checkpoints.
    const writer = new HnswFencedWriterVectorIndex({
      files: new FsVectorIndexFiles(dir, { fsync: false }),
      dimensions: 512,
      checkpointEvery: 20,
    });
    await writer.fence(1);
    const follower = new HnswFollowerVectorIndex({
      files: new FsVectorIndexFiles(dir),
      dimensions: 512,
      refreshAfterMs: 0,
    });
    return {
      subject: new WritesThenReads(writer, follower),
      cleanup: async () => {
        await writer.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
);

function recordingLogger(): Logger & { warnings: { message: string; fields: Record<string, unknown> }[] } {
  const warnings: { message: string; fields: Record<string, unknown> }[] = [];
  const noop = () => undefined;
  return {
    warnings,
    debug: noop,
    info: noop,
    error: noop,
    warn: (message: string, fields: Record<string, unknown> = {}) => warnings.push({ message, fields }),
  } as never;
}

describe('HnswFencedWriterVectorIndex (the efs writer)', () => {
  let dir: string;
  const opened: HnswFencedWriterVectorIndex[] = [];
  /** A compaction container's writer over the shared directory. */
  const container = (options: { checkpointEvery?: number; keepSnapshots?: number; logger?: Logger } = {}) => {
    const writer = new HnswFencedWriterVectorIndex({
      files: new FsVectorIndexFiles(dir, { fsync: false }),
      dimensions: DIMS,
      refreshAfterMs: 0,
      ...options,
    });
    opened.push(writer);
    return writer;
  };
  const manifest = async () => decodeManifest(await readFile(join(dir, 'manifest.json')), 'manifest.json');
  const liveLog = async (collection: Collection) => join(dir, (await manifest()).collections[collection].log);
  const follower = () =>
    new HnswFollowerVectorIndex({ files: new FsVectorIndexFiles(dir), dimensions: DIMS, refreshAfterMs: 0 });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rf-fenced-'));
  });
  afterEach(async () => {
    for (const writer of opened.splice(0)) await writer.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('records its fencing token in the manifest and writes no pid OWNER file', async () => {
    const writer = container();
    await writer.fence(7);
    await writer.upsert('lines', records(3, 'a'));
    expect((await manifest()).fencing_token).toBe(7);
    await expect(stat(join(dir, 'OWNER'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await follower().count('lines')).toBe(3);
  });

  it('a writer with a stale fencing token is refused before it writes a byte', async () => {
    const a = container();
    const b = container();
    await a.fence(1);
    await a.upsert('lines', records(5, 'a'));
    // a's lease lapsed (a paused container); b took the lock with a newer token.
    expect(await b.fence(2)).toMatchObject({ kind: 'cold', ops: 1 });
    expect(await b.count('lines')).toBe(5);
    await b.upsert('lines', records(2, 'b'));
    const log = await liveLog('lines');
    const before = await readFile(log);

    const refused = await a.upsert('lines', records(1, 'stale')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StaleFencingTokenError);
    expect((refused as Error).message).toMatch(/fencing token 1 is stale.*token 2/);
    expect(await readFile(log)).toEqual(before);
    // Re-fencing with the old token is refused as well; a is a follower again.
    await expect(a.fence(1)).rejects.toBeInstanceOf(StaleFencingTokenError);
    await expect(a.upsert('lines', records(1, 'x'))).rejects.toBeInstanceOf(ReadOnlyVectorIndexError);
    expect(await a.count('lines')).toBe(7);
    expect(await follower().findIds('lines', { i: 0 })).toEqual(expect.arrayContaining(['a-0', 'b-0']));
    expect(await follower().count('lines')).toBe(7);
    expect((await manifest()).fencing_token).toBe(2);
  });

  it('a warm writer container catches up with what another container wrote, reading only the new ops', async () => {
    const a = container();
    const b = container();
    await a.fence(1);
    await a.upsert('lines', records(40, 'a'));
    a.unfence();
    await b.fence(2);
    await b.upsert('lines', records(3, 'b'));
    await b.delete('lines', ['a-0']);
    b.unfence();
    expect(await a.fence(3)).toMatchObject({ kind: 'warm', ops: 2 });
    await a.upsert('lines', records(1, 'c'));
    expect(await a.count('lines')).toBe(43);
    expect(await follower().count('lines')).toBe(43);
    expect(await follower().get('lines', ['a-0'])).toEqual([]);
  });

  it('a crash mid-append (torn frame) is cut off and reported by the next writer, which appends after the good frames', async () => {
    const a = container();
    await a.fence(1);
    await a.upsert('lines', records(4, 'a'));
    const log = await liveLog('lines');
    const good = (await stat(log)).size;
    // The first bytes of a frame whose payload never reached the disk: length 900, no payload.
    const torn = Buffer.alloc(20);
    torn.writeUInt32LE(900, 0);
    await appendFile(log, torn);
    // Followers meanwhile see the good frames and wait for the rest of the torn one.
    expect(await follower().count('lines')).toBe(4);

    const logger = recordingLogger();
    const b = container({ logger });
    await b.fence(2);
    expect(logger.warnings).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/torn tail/),
        fields: expect.objectContaining({ offset: good, bytes: 20 }),
      }),
    ]);
    expect((await stat(log)).size).toBe(good);
    await b.upsert('lines', records(2, 'b'));
    const reader = follower();
    expect(await reader.count('lines')).toBe(6);
    expect((await reader.query('lines', { vector: records(2, 'b')[1]!.vector, k: 1 }))[0]!.id).toBe('b-1');
  });

  it('damage in the middle of the log is reported, not dropped: fencing fails naming the file', async () => {
    const a = container();
    await a.fence(1);
    await a.upsert('lines', records(2, 'a'));
    await a.upsert('lines', records(2, 'b'));
    const log = await liveLog('lines');
    const bytes = await readFile(log);
    bytes[12] = bytes[12]! ^ 0xff; // inside the first frame's payload
    const { writeFile } = await import('node:fs/promises');
    await writeFile(log, bytes);
    await expect(container().fence(2)).rejects.toMatchObject({
      code: 'CORRUPT_DATA_FILE',
      message: expect.stringContaining(log),
    });
  });

  it("a follower with whenMissing 'empty' answers as an empty index until the first writer creates it", async () => {
    const reader = new HnswFollowerVectorIndex({
      files: new FsVectorIndexFiles(dir),
      dimensions: DIMS,
      refreshAfterMs: 0,
      whenMissing: 'empty',
    });
    expect(await reader.count('lines')).toBe(0);
    expect(await reader.query('lines', { vector: records(1, 'q')[0]!.vector, k: 3 })).toEqual([]);
    // The default still reports a missing manifest.
    await expect(follower().count('lines')).rejects.toMatchObject({
      code: 'CORRUPT_DATA_FILE',
      message: expect.stringMatching(/missing/),
    });
    const writer = container();
    await writer.fence(1);
    await writer.upsert('lines', records(2, 'a'));
    expect(await reader.count('lines')).toBe(2);
    // Once it has read a manifest, losing it is damage even in this mode.
    await rm(join(dir, 'manifest.json'));
    await expect(reader.count('lines')).rejects.toMatchObject({ code: 'CORRUPT_DATA_FILE' });
  });

  it('checkpoints every N ops, keeps the last N snapshots, and the token survives each checkpoint', async () => {
    const writer = container({ checkpointEvery: 2, keepSnapshots: 2 });
    const reader = follower();
    await writer.fence(4);
    for (let i = 0; i < 7; i++) {
      await writer.upsert('lines', records(3, `r${i}`));
      if (i === 2) await reader.catchUp();
    }
    const snapshots = await HnswVectorIndex.listSnapshots(dir);
    expect(snapshots.map((s) => s.id)).toEqual([2, 3]);
    expect((await manifest()).fencing_token).toBe(4);
    expect((await manifest()).generation).toBe(3);
    // The follower that read part-way continues across the checkpoints without a snapshot load.
    expect(await reader.catchUp()).toMatchObject({ kind: 'warm', generation: 3 });
    expect(await reader.count('lines')).toBe(21);
    expect(await follower().count('lines')).toBe(21);
  });

  it('restores a snapshot of a shared directory (the efs AWS restore, docs/operations.md): warm followers reload it, the next writer continues it, its token kept', async () => {
    const writer = container({ checkpointEvery: 1_000 });
    const reader = follower();
    await writer.fence(5);
    await writer.upsert('lines', records(4, 'kept'));
    const snapshot = await writer.checkpoint();
    await writer.upsert('lines', records(3, 'after'));
    expect(await reader.count('lines')).toBe(7);
    writer.unfence(); // compaction stopped: no writer holds the directory
    await HnswVectorIndex.restoreSnapshot(dir, snapshot!.id, { dimensions: DIMS });
    // The ops after the snapshot were folded into a newer snapshot first (restoring it undoes this).
    expect((await HnswVectorIndex.listSnapshots(dir)).map((s) => s.id).length).toBeGreaterThanOrEqual(2);
    expect((await manifest()).fencing_token).toBe(5);
    await expect(stat(join(dir, 'OWNER'))).rejects.toThrow(); // the restore's own claim is released
    // A warm follower sees the generation move and reloads: the later ops are gone.
    expect(await reader.catchUp()).toMatchObject({ kind: 'cold' });
    expect(await reader.count('lines')).toBe(4);
    // Compaction's next lease (a newer token) continues from the restored state.
    const next = container({ checkpointEvery: 1_000 });
    await next.fence(6);
    await next.upsert('lines', records(2, 'new'));
    expect(await follower().count('lines')).toBe(6);
    expect(await reader.catchUp()).toMatchObject({ kind: 'warm', ops: 1 });
    expect(await reader.count('lines')).toBe(6);
  });
});

describe('FencingCompactionLock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rf-fencing-lock-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('fences the collection writer with each lease token and unfences it on release', async () => {
    const lines = new HnswFencedWriterVectorIndex({
      files: new FsVectorIndexFiles(dir, { fsync: false }),
      dimensions: DIMS,
    });
    const lock = new FencingCompactionLock(new InMemoryCompactionLock(), { lines });
    const first = (await lock.acquire('compaction:lines', 'req-1', 60_000))!;
    expect(lines.fencingToken).toBe(first.fencing_token);
    await lines.upsert('lines', records(2, 'a'));
    await lock.release(first);
    expect(lines.fencingToken).toBeUndefined();
    await expect(lines.upsert('lines', records(1, 'x'))).rejects.toBeInstanceOf(ReadOnlyVectorIndexError);
    const second = (await lock.acquire('compaction:lines', 'req-2', 60_000))!;
    expect(second.fencing_token).toBeGreaterThan(first.fencing_token);
    expect(lines.fencingToken).toBe(second.fencing_token);
    // A lock for a collection without a writer passes through untouched.
    expect(await lock.acquire('compaction:words', 'req-3', 60_000)).toMatchObject({ name: 'compaction:words' });
    await lines.close();
  });

  it('a fence that fails releases the lease again and throws, so nothing is processed', async () => {
    const failing = {
      fence: () => Promise.reject(new StaleFencingTokenError('newer token recorded')),
      unfence: () => undefined,
    };
    const inner = new InMemoryCompactionLock();
    const lock = new FencingCompactionLock(inner, { lines: failing });
    await expect(lock.acquire('compaction:lines', 'req-1', 60_000)).rejects.toBeInstanceOf(StaleFencingTokenError);
    expect(await inner.acquire('compaction:lines', 'req-2', 60_000)).not.toBeNull();
  });
});
