import { appendFile, mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, LockBusyError, type VectorRecord } from '@receiptflow/core';
import { HnswVectorIndex } from '../../src/vector/hnsw-vector-index.js';

const DIMS = 64;

function records(n: number, prefix: string, seed = 1): VectorRecord[] {
  let state = seed;
  const next = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`,
    vector: Array.from({ length: DIMS }, next),
    document: `document ${prefix} ${i}`,
    metadata: { image: `${prefix}-img-${i % 10}`, n: i, even: i % 2 === 0 },
  }));
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  return total;
}

describe('HnswVectorIndex persistence', () => {
  let dir: string;
  const open = () => HnswVectorIndex.open(dir, { dimensions: DIMS, fsync: false });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rf-hnsw-persist-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('survives reopening with upserts, replacements, deletes and metadata updates', async () => {
    const first = await open();
    const lines = records(200, 'l');
    await first.upsert('lines', lines);
    await first.upsert('words', records(50, 'w', 2));
    await first.delete('lines', ['l-0', 'l-1']);
    expect(await first.deleteWhere('lines', { image: 'l-img-5' })).toBe(20);
    expect(await first.updateMetadata('lines', ['l-2', 'l-3'], { image: null, merchant: 'ACME' })).toBe(2);
    const replaced = { ...records(1, 'l', 99)[0]!, id: 'l-4', metadata: { replaced: true } };
    await first.upsert('lines', [replaced]);
    const before = await first.query('lines', { vector: lines[10]!.vector, k: 5 });
    await first.close();

    const second = await open();
    expect(await second.count('lines')).toBe(178);
    expect(await second.count('words')).toBe(50);
    expect(await second.get('lines', ['l-0', 'l-1', 'l-5'])).toEqual([]);
    const [patched] = await second.get('lines', ['l-2']);
    expect(patched!.metadata).toEqual({ n: 2, even: true, merchant: 'ACME' });
    expect(await second.findIds('lines', { image: 'l-img-2' })).not.toContain('l-2');
    const [again] = await second.get('lines', ['l-4']);
    expect(again!.metadata).toEqual({ replaced: true });
    expect(again!.vector[0]).toBeCloseTo(replaced.vector[0]!, 5);
    const after = await second.query('lines', { vector: lines[10]!.vector, k: 5 });
    expect(after.map((m) => m.id)).toEqual(before.map((m) => m.id));
    after.forEach((m, i) => expect(m.score).toBeCloseTo(before[i]!.score, 5));
    await second.close();
  });

  it('checkpoints into a snapshot, then keeps logging after it', async () => {
    const first = await open();
    await first.upsert('lines', records(300, 'a'));
    await first.delete('lines', ['a-7']);
    await first.checkpoint();
    await first.upsert('lines', records(10, 'b', 3));
    await first.updateMetadata('lines', ['a-8'], { n: null });
    await first.close();
    const [snapshotDir, ...others] = await readdir(join(dir, 'snapshots'));
    expect(others).toEqual([]);
    expect((await readdir(join(dir, 'snapshots', snapshotDir!))).sort()).toEqual(['lines.snapshot', 'snapshot.json']);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const second = await open();
    expect(await second.count('lines')).toBe(309);
    expect(await second.get('lines', ['a-7'])).toEqual([]);
    expect((await second.get('lines', ['a-8']))[0]!.metadata).toEqual({ image: 'a-img-8', even: true });
    const probe = records(300, 'a')[123]!;
    const [top] = await second.query('lines', { vector: probe.vector, k: 1 });
    expect(top).toMatchObject({ id: 'a-123', document: 'document a 123' });
    // A second checkpoint adds a snapshot; the first one is kept (default: the newest 3).
    await second.checkpoint();
    await second.close();
    expect(await readdir(join(dir, 'snapshots'))).toHaveLength(2);
    const third = await open();
    expect(await third.count('lines')).toBe(309);
    await third.close();
  });

  // 5,000 records appended, then linked (past maxUnlinked, and by the checkpoint): slow on a loaded machine.
  it('appends O(delta) bytes per upsert to a large index, never rewriting it', { timeout: 180_000 }, async () => {
    const index = await open();
    for (let i = 0; i < 10; i++) await index.upsert('words', records(500, `big${i}`, i + 10));
    await index.checkpoint();
    const before = await dirBytes(dir);
    expect(before).toBeGreaterThan(5000 * DIMS * 4);
    await index.upsert('words', records(100, 'delta', 77));
    const growth = (await dirBytes(dir)) - before;
    // 100 records of DIMS float32s plus id/document/metadata: a few hundred bytes each.
    expect(growth).toBeGreaterThan(100 * DIMS * 4);
    expect(growth).toBeLessThan(100 * (DIMS * 4 + 300));
    await index.close();
  });

  it('drops a torn log tail (crash mid-append) and keeps every complete write', async () => {
    const first = await open();
    await first.upsert('lines', records(20, 'ok'));
    await first.close();
    const log = (await readdir(dir)).find((f) => f.startsWith('lines.') && f.endsWith('.log'))!;
    const good = (await stat(join(dir, log))).size;
    await appendFile(join(dir, log), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 5, 6]));

    const second = await open();
    expect(await second.count('lines')).toBe(20);
    expect((await stat(join(dir, log))).size).toBe(good);
    await second.upsert('lines', records(5, 'after', 4));
    await second.close();
    const third = await open();
    expect(await third.count('lines')).toBe(25);
    await third.close();

    await truncate(join(dir, log), good + 10); // cut into the second frame
    const fourth = await open();
    expect(await fourth.count('lines')).toBe(20);
    await fourth.close();
  });

  it('refuses to open a directory built with other dimensions', async () => {
    const first = await open();
    await first.upsert('lines', records(1, 'x'));
    await first.close();
    await expect(HnswVectorIndex.open(dir, { dimensions: DIMS * 2 })).rejects.toBeInstanceOf(ConfigError);
  });

  it('lets one open index own a directory at a time, and takes over from a dead owner', async () => {
    const first = await open();
    await expect(open()).rejects.toBeInstanceOf(LockBusyError);
    await first.upsert('lines', records(2, 'o'));
    await first.close();
    await writeFile(join(dir, 'OWNER'), '2147483646'); // a pid that is not running
    const second = await open();
    expect(await second.count('lines')).toBe(2);
    await second.close();
  });

  it('works through the constructor too: the first call waits for loading', async () => {
    const first = new HnswVectorIndex({ dir, dimensions: DIMS, fsync: false });
    await first.upsert('lines', records(3, 'c'));
    await first.close();
    const second = new HnswVectorIndex({ dir, dimensions: DIMS, fsync: false });
    expect(await second.count('lines')).toBe(3);
    await second.close();
  });
});

describe('HnswVectorIndex tombstones', () => {
  it('stays correct after more deletes and replacements than live records (rebuild)', async () => {
    const index = new HnswVectorIndex({ dimensions: DIMS });
    const keep = records(100, 'keep', 5);
    await index.upsert('lines', keep);
    for (let round = 0; round < 5; round++) {
      const churn = records(600, `churn${round}`, 100 + round);
      await index.upsert('lines', churn);
      await index.delete(
        'lines',
        churn.map((r) => r.id),
      );
      // Replacing vectors of the same ids leaves tombstones too.
      await index.upsert(
        'lines',
        records(100, 'keep', 1000 + round).map((r) => ({ ...r, metadata: { round } })),
      );
    }
    expect(await index.count('lines')).toBe(100);
    const latest = records(100, 'keep', 1004);
    for (const probe of [latest[0]!, latest[50]!, latest[99]!]) {
      const [top] = await index.query('lines', { vector: probe.vector, k: 1 });
      expect(top!.id).toBe(probe.id);
      expect(top!.metadata).toEqual({ round: 4 });
    }
    expect((await index.findIds('lines', { round: 4 })).length).toBe(100);
  });
});
