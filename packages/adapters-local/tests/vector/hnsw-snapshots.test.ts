import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockBusyError, type VectorRecord } from '@receiptflow/core';
import { UnknownSnapshotError } from '../../src/errors.js';
import { HnswVectorIndex } from '../../src/vector/hnsw-vector-index.js';

const DIMS = 16;

function records(n: number, prefix: string): VectorRecord[] {
  let state = prefix.length * 7919 + n;
  const next = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`,
    vector: Array.from({ length: DIMS }, next),
    document: `doc ${prefix} ${i}`,
    metadata: { batch: prefix },
  }));
}

const idsOf = async (index: HnswVectorIndex) => (await index.findIds('lines', {})).sort();

describe('HnswVectorIndex snapshots', () => {
  let dir: string;
  const open = (keepSnapshots = 2) => HnswVectorIndex.open(dir, { dimensions: DIMS, fsync: false, keepSnapshots });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rf-hnsw-snap-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes each checkpoint as a complete snapshot directory and promotes it in the manifest', async () => {
    const index = await open();
    await index.upsert('lines', records(20, 'a'));
    await index.upsert('words', records(5, 'w'));
    const snapshot = await index.checkpoint();
    await index.close();
    expect(snapshot).toMatchObject({
      id: 1,
      after_generation: 0,
      collections: { lines: { count: 20 }, words: { count: 5 } },
    });
    expect(await readdir(join(dir, 'snapshots'))).toEqual(['0000000001']);
    expect((await readdir(join(dir, 'snapshots', '0000000001'))).sort()).toEqual([
      'lines.snapshot',
      'snapshot.json',
      'words.snapshot',
    ]);
    const manifest = await readFile(join(dir, 'manifest.json'), 'utf8');
    expect(manifest).toContain('"snapshot":"snapshots/0000000001/lines.snapshot"');
    expect(manifest).toContain('"log":"lines.1.log"');
    expect(await HnswVectorIndex.listSnapshots(dir)).toEqual([snapshot]);
  });

  it('keeps only the newest N snapshots, and the logs they folded', async () => {
    const index = await open(2);
    for (const batch of ['a', 'b', 'c', 'd']) {
      await index.upsert('lines', records(3, batch));
      await index.checkpoint();
    }
    await index.close();
    expect((await HnswVectorIndex.listSnapshots(dir)).map((s) => s.id)).toEqual([3, 4]);
    expect(await readdir(join(dir, 'snapshots'))).toEqual(['0000000003', '0000000004']);
    // Logs of generations 2 and 3 (folded by snapshots 3 and 4) and the live generation 4.
    expect((await readdir(dir)).filter((f) => f.startsWith('lines.')).sort()).toEqual([
      'lines.2.log',
      'lines.3.log',
      'lines.4.log',
    ]);
  });

  it('restores an older snapshot: the index then holds exactly its vectors, and the restore can be undone', async () => {
    const index = await open(3);
    await index.upsert('lines', records(10, 'a'));
    const first = await index.checkpoint();
    await index.upsert('lines', records(10, 'b'));
    await index.delete('lines', ['a-0']);
    await index.checkpoint();
    await index.upsert('lines', records(4, 'c')); // logged, not yet in any snapshot
    const before = await idsOf(index);
    await index.close();

    await HnswVectorIndex.restoreSnapshot(dir, String(first!.id), { fsync: false, keepSnapshots: 3 });
    const restored = await open(3);
    expect(await idsOf(restored)).toEqual(
      records(10, 'a')
        .map((r) => r.id)
        .sort(),
    );
    const probe = records(10, 'a')[3]!;
    expect((await restored.query('lines', { vector: probe.vector, k: 1 }))[0]).toMatchObject({
      id: 'a-3',
      score: expect.closeTo(1, 5),
    });
    await restored.close();

    // The unsnapshotted tail was folded into a snapshot of its own before the restore.
    const snapshots = await HnswVectorIndex.listSnapshots(dir);
    expect(snapshots.map((s) => s.id)).toEqual([1, 2, 3]);
    await HnswVectorIndex.restoreSnapshot(dir, 3, { fsync: false });
    const undone = await open(3);
    expect(await idsOf(undone)).toEqual(before);
    // Writes after a restore continue in a new generation, above every snapshot id.
    await undone.upsert('lines', records(1, 'z'));
    expect((await undone.checkpoint())!.id).toBeGreaterThan(3);
    await undone.close();
  });

  it('keeps the snapshot being restored even when the pre-restore snapshot would prune it', async () => {
    const index = await open(2);
    await index.upsert('lines', records(2, 'a'));
    await index.checkpoint(); // 1
    await index.upsert('lines', records(2, 'b'));
    await index.checkpoint(); // 2
    await index.upsert('lines', records(2, 'c'));
    await index.close();
    await HnswVectorIndex.restoreSnapshot(dir, 1, { fsync: false, keepSnapshots: 2 });
    const restored = await open(2);
    expect(await idsOf(restored)).toEqual(['a-0', 'a-1']);
    await restored.close();
  });

  it('refuses an unknown snapshot id with UnknownSnapshotError listing the ids, changing nothing', async () => {
    const index = await open();
    await index.upsert('lines', records(3, 'a'));
    await index.checkpoint();
    await index.upsert('lines', records(3, 'b'));
    await index.close();
    const manifest = await readFile(join(dir, 'manifest.json'));
    for (const id of ['9', 'latest']) {
      const error = await HnswVectorIndex.restoreSnapshot(dir, id).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnknownSnapshotError);
      expect(error).toMatchObject({ code: 'UNKNOWN_SNAPSHOT', available: [1] });
      expect((error as Error).message).toContain(`no snapshot "${id}" (available: 1)`);
    }
    expect(await readFile(join(dir, 'manifest.json'))).toEqual(manifest);
    const again = await open();
    expect(await again.count('lines')).toBe(6);
    await again.close();
  });

  it('refuses to restore while another index has the directory open', async () => {
    const index = await open();
    await index.upsert('lines', records(3, 'a'));
    await index.checkpoint();
    await expect(HnswVectorIndex.restoreSnapshot(dir, 1)).rejects.toBeInstanceOf(LockBusyError);
    await index.close();
  });
});
