import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VectorRecord } from '@receiptflow/core';
import { ExactVectorIndex } from '../../src/vector/exact-vector-index.js';
import { HnswVectorIndex } from '../../src/vector/hnsw-vector-index.js';
import { gaussianSource } from '../support/gaussian.js';

const DIMS = 64;

function records(n: number, seed = 11): VectorRecord[] {
  const point = gaussianSource(seed, DIMS, 60);
  return Array.from({ length: n }, (_, i) => ({ id: `v${i}`, vector: point(), document: '', metadata: {} }));
}

/** Recall@10 of `index` against the exact answer over the same records, on fresh query points. */
async function recall(index: HnswVectorIndex, exact: ExactVectorIndex, queries = 100): Promise<number> {
  const point = gaussianSource(99, DIMS, 60);
  let found = 0;
  for (let q = 0; q < queries; q++) {
    const vector = point();
    const truth = new Set((await exact.query('words', { vector, k: 10 })).map((m) => m.id));
    found += (await index.query('words', { vector, k: 10 })).filter((m) => truth.has(m.id)).length;
  }
  return found / (queries * 10);
}

async function filled(options: { insertEf: number; efSearch?: number; dir?: string }, data: VectorRecord[]) {
  const index = options.dir
    ? await HnswVectorIndex.open(options.dir, { dimensions: DIMS, insertEf: options.insertEf, fsync: false })
    : new HnswVectorIndex({ dimensions: DIMS, insertEf: options.insertEf, efSearch: options.efSearch ?? 192 });
  for (let at = 0; at < data.length; at += 250) await index.upsert('words', data.slice(at, at + 250));
  return index;
}

// Builds of 4,000 64-dimensional vectors: seconds alone, far longer on a loaded machine.
describe('HnswVectorIndex: merges appended unlinked, linked later by repair', { timeout: 180_000 }, () => {
  const data = records(4000);
  const exact = new ExactVectorIndex({ dimensions: DIMS });

  it('inserts with the full beam leave nothing to repair', async () => {
    const index = await filled({ insertEf: 100 }, data.slice(0, 500));
    expect(index.pendingRepairs).toBe(0);
    expect(await index.repair()).toBe(0);
  });

  /** 3,000 records with the full beam, as a checkpointed index holds them, then 1,000 merged with `insertEf` (0: appended unlinked). */
  async function merged(insertEf: number) {
    const index = await filled({ insertEf: 100, efSearch: 16 }, data.slice(0, 3000));
    index.insertEf = insertEf;
    for (let at = 3000; at < data.length; at += 250) await index.upsert('words', data.slice(at, at + 250));
    return index;
  }

  it('repair links appended records with the full beam: recall matches a full-beam build, before and after', async () => {
    await exact.upsert('words', data);
    const index = await merged(0);
    expect(index.pendingRepairs).toBe(1000);
    // Before the repair the 1,000 are scanned exactly by every query (a narrow query beam of 16
    // shows what a walk misses; before session 11 a narrow insert beam of 2 lost recall here).
    const before = await recall(index, exact);
    expect(await index.repair(400)).toBe(400); // in steps, oldest first
    expect(index.pendingRepairs).toBe(600);
    await index.repair();
    expect(index.pendingRepairs).toBe(0);
    const after = await recall(index, exact);
    const reference = await recall(await merged(100), exact);
    expect(before).toBeGreaterThanOrEqual(reference - 0.01);
    expect(after).toBeGreaterThanOrEqual(reference - 0.01);
    // Every merged record is found as its own nearest neighbour by the walk alone now.
    for (const r of data.slice(3000, 3200))
      expect((await index.query('words', { vector: r.vector, k: 1 }))[0]!.id).toBe(r.id);
  });

  /**
   * Tie-aware recall@10 of queries at the merged records' own vectors (what `pnpm bench` reports
   * as p2_merge_recall_at_10_ties): a returned neighbour counts when it is at least as similar as
   * the exact 10th.
   */
  async function mergedRecall(index: HnswVectorIndex): Promise<number> {
    let found = 0;
    let wanted = 0;
    for (const r of data.slice(3000).filter((_, i) => i % 4 === 0)) {
      const truth = await exact.query('words', { vector: r.vector, k: 10 });
      const threshold = truth[truth.length - 1]!.score - 1e-4;
      const got = await index.query('words', { vector: r.vector, k: 10 });
      wanted += truth.length;
      found += got.filter((m) => m.score >= threshold).length;
    }
    return found / wanted;
  }

  it('merged records are found at least as well as full-beam inserts before the repair, as well after (queries at the merged records)', async () => {
    if ((await exact.count('words')) === 0) await exact.upsert('words', data);
    const index = await merged(new HnswVectorIndex().insertEf); // the default: appended unlinked
    expect(index.pendingRepairs).toBe(1000);
    const before = await mergedRecall(index);
    await index.repair();
    const after = await mergedRecall(index);
    const fullBeam = await mergedRecall(await merged(100));
    // Unlinked, they are scanned exactly: the old narrow beam (40) stayed within 0.02 of a
    // full-beam build, the scan may not fall below it at all.
    expect(before).toBeGreaterThanOrEqual(fullBeam);
    // The repair is a full-beam insert (search with efConstruction, prune, back links): the
    // merged records end as findable as if they had been inserted with the full beam.
    expect(Math.abs(after - fullBeam)).toBeLessThanOrEqual(0.01);
  });

  it('a checkpoint links every appended record first, so the snapshot a reopen loads holds a full-beam graph', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hnsw-repair-'));
    try {
      const index = await filled({ insertEf: 0, dir }, data.slice(0, 1500));
      expect(index.pendingRepairs).toBeGreaterThan(0);
      await index.checkpoint();
      expect(index.pendingRepairs).toBe(0);
      await index.close();
      const reopened = await HnswVectorIndex.open(dir, { dimensions: DIMS, fsync: false });
      try {
        expect(reopened.pendingRepairs).toBe(0); // loaded from the snapshot, nothing replayed
        expect(await reopened.count('words')).toBe(1500);
      } finally {
        await reopened.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
