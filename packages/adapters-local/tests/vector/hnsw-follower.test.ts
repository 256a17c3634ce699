import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VectorMetadata, VectorRecord } from '@receiptflow/core';
import { describeVectorIndexContract, WritesThenReads } from '@receiptflow/core/testing';
import { CorruptDataFileError, ReadOnlyVectorIndexError } from '../../src/errors.js';
import { HnswFollowerVectorIndex } from '../../src/vector/hnsw-follower-vector-index.js';
import { HnswVectorIndex } from '../../src/vector/hnsw-vector-index.js';
import { FsVectorIndexFiles } from '../../src/vector/fs-vector-index-files.js';

const DIMS = 16;

/** Counts every byte the follower reads, per file. */
class CountingFiles extends FsVectorIndexFiles {
  readonly bytes = new Map<string, number>();
  override async read(path: string) {
    return this.count(path, await super.read(path));
  }
  override async readVersioned(path: string) {
    const found = await super.readVersioned(path);
    this.count(path, found?.bytes);
    return found;
  }
  override async readLog(path: string, offset: number) {
    return this.count(path, await super.readLog(path, offset));
  }
  total(filter: (path: string) => boolean = () => true): number {
    let sum = 0;
    for (const [path, n] of this.bytes) if (filter(path)) sum += n;
    return sum;
  }
  reset(): void {
    this.bytes.clear();
  }
  private count<T extends Uint8Array | undefined>(path: string, bytes: T): T {
    this.bytes.set(path, (this.bytes.get(path) ?? 0) + (bytes?.length ?? 0));
    return bytes;
  }
}

/** The files of `dir`, except that `log` reads as `serve` says (torn or damaged bytes). */
function logServedAs(dir: string, log: string, serve: (offset: number) => Uint8Array): FsVectorIndexFiles {
  return new (class extends FsVectorIndexFiles {
    override readLog(path: string, offset: number) {
      return path === log ? Promise.resolve(serve(offset)) : super.readLog(path, offset);
    }
  })(dir);
}

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
  'HnswFollowerVectorIndex (reads, after catching up with an HnswVectorIndex writer on the same files)',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rf-follower-contract-'));
    const writer = await HnswVectorIndex.open(dir, { dimensions: 512, fsync: false });
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

describe('HnswFollowerVectorIndex', () => {
  let dir: string;
  let writer: HnswVectorIndex;
  let files: CountingFiles;
  let follower: HnswFollowerVectorIndex;
  const logSize = async (collection: string) => {
    const manifest = (await new FsVectorIndexFiles(dir).read('manifest.json'))!.toString();
    const log = new RegExp(`"${collection}":\\{[^}]*"log":"([^"]+)"`).exec(manifest)![1]!;
    return { log, size: (await stat(join(dir, log))).size };
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rf-follower-'));
    writer = await HnswVectorIndex.open(dir, { dimensions: DIMS, fsync: false, keepSnapshots: 2 });
    files = new CountingFiles(dir);
    follower = new HnswFollowerVectorIndex({ files, dimensions: DIMS, refreshAfterMs: 0 });
  });
  afterEach(async () => {
    await writer.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('cold: loads the newest snapshot and replays the log tail', async () => {
    await writer.upsert('lines', records(50, 'a'));
    await writer.checkpoint();
    await writer.upsert('lines', records(5, 'b'));
    await writer.delete('lines', ['a-0']);
    expect(await follower.catchUp()).toEqual({ kind: 'cold', generation: 1, ops: 2 });
    expect(await follower.count('lines')).toBe(54);
    expect(files.total((p) => p.endsWith('lines.snapshot'))).toBeGreaterThan(0);
    const probe = records(5, 'b')[2]!;
    expect((await follower.query('lines', { vector: probe.vector, k: 1 }))[0]!.id).toBe('b-2');
  });

  it("warm: sees the writer's new vectors, reading only the new log bytes", async () => {
    await writer.upsert('lines', records(400, 'a'));
    await writer.checkpoint();
    await writer.upsert('lines', records(100, 'b'));
    await follower.catchUp();
    const before = await logSize('lines');
    const words = await logSize('words');
    files.reset();

    const fresh = records(3, 'n');
    await writer.upsert('lines', fresh);
    await writer.updateMetadata('lines', ['a-1'], { flagged: true });
    const after = await logSize('lines');

    expect(await follower.catchUp()).toMatchObject({ kind: 'warm', ops: 2 });
    // Exactly the appended bytes of the log, nothing of the snapshot or the older log bytes.
    expect(files.bytes.get(before.log)).toBe(after.size - before.size);
    expect(files.bytes.get(words.log)).toBe(0);
    expect(files.total((p) => p.includes('snapshot'))).toBe(0);
    expect(files.total()).toBe(after.size - before.size + files.bytes.get('manifest.json')!);
    expect(
      (
        await follower.get(
          'lines',
          fresh.map((r) => r.id),
        )
      ).map((r) => r.id),
    ).toEqual(fresh.map((r) => r.id));
    expect(await follower.findIds('lines', { flagged: true })).toEqual(['a-1']);
    expect(await follower.count('lines')).toBe(503);
  });

  it('warm across a checkpoint: finishes the old log and continues, without loading the snapshot', async () => {
    await writer.upsert('lines', records(300, 'a'));
    await follower.catchUp();
    files.reset();
    await writer.upsert('lines', records(2, 'b'));
    await writer.checkpoint();
    await writer.upsert('lines', records(2, 'c'));
    expect(await follower.catchUp()).toEqual({ kind: 'warm', generation: 1, ops: 2 });
    expect(files.total((p) => p.endsWith('.snapshot'))).toBe(0);
    expect(await follower.count('lines')).toBe(304);
  });

  it('cold again after a restore (the state does not continue the old one)', async () => {
    await writer.upsert('lines', records(4, 'a'));
    await writer.checkpoint();
    await writer.upsert('lines', records(4, 'b'));
    await writer.close();
    await follower.catchUp();
    expect(await follower.count('lines')).toBe(8);
    await HnswVectorIndex.restoreSnapshot(dir, 1, { fsync: false });
    expect(await follower.catchUp()).toMatchObject({ kind: 'cold' });
    expect((await follower.findIds('lines', {})).sort()).toEqual(
      records(4, 'a')
        .map((r) => r.id)
        .sort(),
    );
    writer = await HnswVectorIndex.open(dir, { dimensions: DIMS, fsync: false });
  });

  it('refuses every write with ReadOnlyVectorIndexError, and the files stay as they were', async () => {
    await writer.upsert('lines', records(2, 'a'));
    const before = await logSize('lines');
    const refusals = [
      follower.upsert('lines', records(1, 'x')),
      follower.delete('lines', ['a-0']),
      follower.deleteWhere('lines', { i: 0 }),
      follower.updateMetadata('lines', ['a-0'], { x: 1 }),
      follower.checkpoint(),
    ];
    for (const refusal of refusals) {
      const error = await refusal.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ReadOnlyVectorIndexError);
      expect(error).toMatchObject({ code: 'VECTOR_INDEX_READ_ONLY' });
    }
    expect(await logSize('lines')).toEqual(before);
    expect(await follower.count('lines')).toBe(2);
  });

  it('leaves a half-written last frame (writer mid-append) for the next catch-up', async () => {
    await writer.upsert('lines', records(2, 'a'));
    const { log, size } = await logSize('lines');
    await writer.upsert('lines', records(1, 'b'));
    const full = (await new FsVectorIndexFiles(dir).read(log))!;
    const torn = logServedAs(dir, log, (o) => full.subarray(o, size + 10));
    const partial = new HnswFollowerVectorIndex({ files: torn, dimensions: DIMS, refreshAfterMs: 0 });
    expect(await partial.catchUp()).toMatchObject({ ops: 1 });
    expect(await partial.count('lines')).toBe(2);
  });

  it('names the file and offset of a damaged frame', async () => {
    await writer.upsert('lines', records(2, 'a'));
    await writer.upsert('lines', records(2, 'b'));
    const { log } = await logSize('lines');
    const bytes = (await new FsVectorIndexFiles(dir).read(log))!;
    bytes[20] = bytes[20]! ^ 0xff;
    const damaged = logServedAs(dir, log, (o) => bytes.subarray(o));
    const error = await new HnswFollowerVectorIndex({ files: damaged, dimensions: DIMS })
      .catchUp()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptDataFileError);
    expect(error).toMatchObject({ file: join(dir, log).replace(/\\/g, '/'), offset: 0 });
  });

  it('catches up on a read only when the last catch-up is older than refreshAfterMs', async () => {
    let now = 0;
    const lazy = new HnswFollowerVectorIndex({ files, dimensions: DIMS, refreshAfterMs: 1000, now: () => now });
    await writer.upsert('lines', records(2, 'a'));
    expect(await lazy.count('lines')).toBe(2);
    await writer.upsert('lines', records(2, 'b'));
    now = 999;
    expect(await lazy.count('lines')).toBe(2);
    now = 1000;
    expect(await lazy.count('lines')).toBe(4);
  });
});
