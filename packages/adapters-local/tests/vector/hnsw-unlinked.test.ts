import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MetadataFilter, VectorRecord } from '@receiptflow/core';
import { ExactVectorIndex } from '../../src/vector/exact-vector-index.js';
import { FsVectorIndexFiles } from '../../src/vector/fs-vector-index-files.js';
import { HnswFollowerVectorIndex } from '../../src/vector/hnsw-follower-vector-index.js';
import { HnswGraph } from '../../src/vector/hnsw-graph.js';
import { HnswVectorIndex, type HnswVectorIndexOptions } from '../../src/vector/hnsw-vector-index.js';
import { RecordTable } from '../../src/vector/record-table.js';
import { gaussianSource } from '../support/gaussian.js';

/**
 * Compaction's merges append records to the graph unlinked (issue 18, P2): queries scan them
 * exactly until a repair links them with the full beam. A narrow query beam (efSearch 10, k = 10) on
 * clustered data is what a graph walk misses with; the unlinked records must not be missed.
 */

const DIMS = 64;
const BASE = 3000;
const MERGED = 600;

function records(n: number, seed = 11): VectorRecord[] {
  const point = gaussianSource(seed, DIMS, 60);
  return Array.from({ length: n }, (_, i) => ({
    id: `v${i}`,
    vector: point(),
    document: '',
    metadata: { half: i % 2 },
  }));
}

const data = records(BASE + MERGED);
const mergedRecords = data.slice(BASE);

/** `BASE` records linked with the full beam (as a checkpointed index holds them), then `MERGED` merged as compaction does. */
async function merged(
  options: HnswVectorIndexOptions = {},
  index = new HnswVectorIndex({ dimensions: DIMS, efSearch: 10, ...options }),
) {
  const mergeEf = index.insertEf;
  index.insertEf = 100;
  for (let at = 0; at < BASE; at += 250) await index.upsert('words', data.slice(at, at + 250));
  index.insertEf = mergeEf;
  for (let at = BASE; at < data.length; at += 25) await index.upsert('words', data.slice(at, at + 25));
  return index;
}

let exactIndex: ExactVectorIndex | undefined;
async function exact(): Promise<ExactVectorIndex> {
  if (!exactIndex) {
    exactIndex = new ExactVectorIndex({ dimensions: DIMS });
    await exactIndex.upsert('words', data);
  }
  return exactIndex;
}

/**
 * Queries `index` at every third merged record's vector: each merged record of the exact top 10
 * (each of the newest `newest` merged records, when only those are still unlinked) must be
 * returned, with its exact score. Returns how many merged neighbours were checked.
 */
async function expectMergedFoundExactly(
  index: HnswVectorIndex,
  options: { where?: MetadataFilter; skip?: ReadonlySet<string>; newest?: number } = {},
): Promise<number> {
  const truthIndex = await exact();
  const from = data.length - (options.newest ?? MERGED);
  const checkedId = (id: string) => Number(id.slice(1)) >= from && !options.skip?.has(id);
  let checked = 0;
  for (const r of mergedRecords.filter((_, i) => i % 3 === 0)) {
    const query = { vector: r.vector, k: 10, ...(options.where ? { where: options.where } : {}) };
    const truth = (await truthIndex.query('words', query)).filter((m) => checkedId(m.id));
    const got = new Map((await index.query('words', query)).map((m) => [m.id, m.score]));
    for (const m of truth) {
      expect(got.has(m.id), `${m.id} near ${r.id}`).toBe(true);
      expect(got.get(m.id)).toBeCloseTo(m.score, 5);
    }
    checked += truth.length;
  }
  return checked;
}

describe('HnswVectorIndex: merged records appended unlinked', { timeout: 240_000 }, () => {
  for (const quantization of ['none', 'int8'] as const) {
    it(`finds them before any repair, exactly, filtered too, and never once deleted (${quantization})`, async () => {
      // exactFilterLimit 10: the filtered query (half the records match) walks the graph.
      const index = await merged({ quantization, exactFilterLimit: 10 });
      expect(index.pendingRepairs).toBe(MERGED);
      expect(await expectMergedFoundExactly(index)).toBeGreaterThan(MERGED / 3);
      expect(await expectMergedFoundExactly(index, { where: { half: 1 } })).toBeGreaterThan(0);

      const deleted = mergedRecords.filter((_, i) => i % 5 === 0);
      const gone = new Set(deleted.map((r) => r.id));
      await index.delete(
        'words',
        deleted.map((r) => r.id),
      );
      const neverReturned = async () => {
        for (const r of deleted)
          for (const where of [undefined, { half: r.metadata.half as number }]) {
            const found = await index.query('words', { vector: r.vector, k: 10, ...(where ? { where } : {}) });
            expect(found.map((m) => m.id)).not.toContain(r.id);
          }
      };
      await neverReturned();
      await expectMergedFoundExactly(index, { skip: gone });
      expect(await index.repair()).toBe(MERGED); // the deleted ones leave the backlog unlinked
      expect(index.pendingRepairs).toBe(0);
      await neverReturned();
    });
  }

  it('repair links them with the full beam: the graph walk alone finds them afterwards', () => {
    const table = new RecordTable(DIMS);
    const graph = new HnswGraph(table, { M: 16, efConstruction: 100, seed: 42 });
    for (const r of data.slice(0, BASE)) graph.insert(table.append(r));
    for (const r of mergedRecords) graph.append(table.append(r));
    expect(graph.pendingRepairs).toBe(MERGED);
    const all = () => true;
    const unitOf = (slot: number) => table.vectors.subarray(slot * DIMS, (slot + 1) * DIMS);
    // Before the repair, found through the scan of the unlinked slots.
    for (let slot = BASE; slot < data.length; slot += 7)
      expect(graph.search(unitOf(slot), 1, 10, all)[0]!.slot).toBe(slot);

    expect(graph.repair(200)).toBe(200); // in steps, oldest first
    expect(graph.pendingRepairs).toBe(MERGED - 200);
    graph.repair();
    expect(graph.pendingRepairs).toBe(0);
    const { counts0 } = graph.state();
    let selfFound = 0;
    for (let slot = BASE; slot < data.length; slot++) {
      expect(counts0[slot]).toBeGreaterThan(0);
      if (graph.search(unitOf(slot), 1, 10, all)[0]!.slot === slot) selfFound++;
    }
    expect(selfFound / MERGED).toBeGreaterThanOrEqual(0.98);
  });

  it('an empty graph links its first record at once: it is the entry point', () => {
    const table = new RecordTable(DIMS);
    const graph = new HnswGraph(table, { M: 16, efConstruction: 100, seed: 42 });
    graph.append(table.append(data[0]!));
    graph.append(table.append(data[1]!));
    expect(graph.pendingRepairs).toBe(1);
    expect(graph.entry).toBe(0);
    const found = graph.search(table.vectors.subarray(DIMS, 2 * DIMS), 2, 16, () => true);
    expect(found.map((f) => f.slot)).toEqual([1, 0]);
  });

  it('maxUnlinked bounds the backlog a query scans: past it, merges link the oldest', async () => {
    const index = await merged({ maxUnlinked: 100 });
    expect(index.pendingRepairs).toBe(100);
    expect(await expectMergedFoundExactly(index, { newest: 100 })).toBeGreaterThan(0);
  });

  it('maxUnlinked per collection: each backlog has its own bound, and repair can take one collection', async () => {
    const index = new HnswVectorIndex({ dimensions: DIMS, maxUnlinked: { words: 300 } });
    const merge = async (collection: 'lines' | 'words', n: number) => {
      for (let at = 0; at < n; at += 100) await index.upsert(collection, data.slice(at, Math.min(at + 100, n)));
    };
    await merge('lines', 2500); // the default bound, 2,000: merges linked the oldest past it
    await merge('words', 1000);
    expect(index.pendingRepairsOf('lines')).toBe(2000);
    expect(index.pendingRepairsOf('words')).toBe(300);
    expect(index.pendingRepairs).toBe(2300);

    expect(await index.repair(50, 'words')).toBe(50);
    expect(index.pendingRepairsOf('words')).toBe(250);
    expect(index.pendingRepairsOf('lines')).toBe(2000); // untouched
    expect(await index.repair(Number.POSITIVE_INFINITY, 'lines')).toBe(2000);
    expect(index.pendingRepairs).toBe(250);
  });

  it('a reopened index replays its log unlinked, found exactly until the checkpoint links it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hnsw-unlinked-'));
    try {
      const writer = await HnswVectorIndex.open(dir, { dimensions: DIMS, fsync: false });
      await merged({}, writer);
      await writer.close(); // no checkpoint: the log holds every record
      const reopened = await HnswVectorIndex.open(dir, { dimensions: DIMS, efSearch: 10, fsync: false });
      try {
        // Replay appends: the maxUnlinked (2,000) newest of the records wait, unlinked.
        expect(reopened.pendingRepairs).toBe(2000);
        await expectMergedFoundExactly(reopened);
        await reopened.checkpoint();
        expect(reopened.pendingRepairs).toBe(0);
      } finally {
        await reopened.close();
      }
      const again = await HnswVectorIndex.open(dir, { dimensions: DIMS, fsync: false });
      expect(again.pendingRepairs).toBe(0); // the snapshot's full-beam graph, nothing replayed
      expect(await again.count('words')).toBe(data.length);
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a follower appends what it replays unlinked, bounded by maxUnlinked, and finds it exactly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hnsw-unlinked-follower-'));
    try {
      const writer = await HnswVectorIndex.open(dir, { dimensions: DIMS, fsync: false });
      writer.insertEf = 100;
      for (let at = 0; at < BASE; at += 250) await writer.upsert('words', data.slice(at, at + 250));
      await writer.checkpoint();
      const follower = new HnswFollowerVectorIndex({
        files: new FsVectorIndexFiles(dir),
        dimensions: DIMS,
        efSearch: 10,
        refreshAfterMs: 0,
      });
      const bounded = new HnswFollowerVectorIndex({
        files: new FsVectorIndexFiles(dir),
        dimensions: DIMS,
        efSearch: 10,
        refreshAfterMs: 0,
        maxUnlinked: 100,
      });
      try {
        expect(await follower.count('words')).toBe(BASE); // cold: the snapshot
        expect(await bounded.count('words')).toBe(BASE);
        writer.insertEf = 0;
        for (let at = BASE; at < data.length; at += 25) await writer.upsert('words', data.slice(at, at + 25));
        expect(await follower.count('words')).toBe(data.length); // warm: the log's new bytes
        expect(follower.pendingRepairs).toBe(MERGED);
        await expectMergedFoundExactly(follower);
        expect(await bounded.count('words')).toBe(data.length);
        expect(bounded.pendingRepairs).toBe(100);
        expect(await expectMergedFoundExactly(bounded, { newest: 100 })).toBeGreaterThan(0);
      } finally {
        await follower.close();
        await bounded.close();
        await writer.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
