import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VectorRecord } from '@receiptflow/core';
import { describeVectorIndexContract } from '@receiptflow/core/testing';
import { CorruptDataFileError, VectorIndexModeMismatchError } from '../../src/errors.js';
import { ExactVectorIndex } from '../../src/vector/exact-vector-index.js';
import { HnswVectorIndex } from '../../src/vector/hnsw-vector-index.js';
import { gaussianSource } from '../support/gaussian.js';

// The int8 walk under the same contract as float32. A small efSearch makes even the contract's
// few-record collections walk the graph (a collection no larger than the beam is scanned exactly).
describeVectorIndexContract('HnswVectorIndex (int8 walk, in memory)', async () => ({
  subject: new HnswVectorIndex({ quantization: 'int8', efSearch: 4 }),
}));

describeVectorIndexContract('HnswVectorIndex (int8 walk, persisted)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rf-hnsw-int8-'));
  const subject = new HnswVectorIndex({ dir, fsync: false, quantization: 'int8', efSearch: 4 });
  return { subject, cleanup: async () => (await subject.close(), rm(dir, { recursive: true, force: true })) };
});

function records(
  n: number,
  dimensions: number,
  seed = 7,
  spread?: number,
): { records: VectorRecord[]; point: () => number[] } {
  const cluster = gaussianSource(seed, dimensions, 100);
  const noise = gaussianSource(seed + 1, dimensions, 0);
  // With a spread: points this close around a shared centre (a centre drawn from the clusters).
  const centres = spread === undefined ? [] : Array.from({ length: 30 }, cluster);
  let draw = 0;
  const point =
    spread === undefined
      ? cluster
      : () => {
          const centre = centres[draw++ % centres.length]!;
          const n = noise();
          return centre.map((x, i) => x + spread * n[i]!);
        };
  return {
    records: Array.from({ length: n }, (_, i) => ({ id: `v${i}`, vector: point(), document: `d${i}`, metadata: {} })),
    point,
  };
}

async function snapshotFile(dir: string): Promise<string> {
  const [latest] = (await readdir(join(dir, 'snapshots'))).sort().reverse();
  return join(dir, 'snapshots', latest!, 'lines.snapshot');
}

// Thousands of 128-dimensional inserts: seconds alone, far longer on a loaded machine.
describe('HnswVectorIndex with quantization int8', { timeout: 240_000 }, () => {
  it('returns exact scores and recall@10 ≥ 0.95 against the exact index (the beam is rescored)', async () => {
    const dimensions = 128;
    // Tight clusters of near-duplicates (as receipt lines are): the codes' rounding error is as
    // large as the gaps between neighbours, so ranking the beam by codes alone finds about 0.56
    // of the exact top 10; rescored with float32, about 0.99.
    const { records: all, point } = records(3000, dimensions, 7, 0.1);
    const int8 = new HnswVectorIndex({ dimensions, quantization: 'int8', efSearch: 64 });
    const exact = new ExactVectorIndex({ dimensions });
    for (let start = 0; start < all.length; start += 500) await int8.upsert('lines', all.slice(start, start + 500));
    await exact.upsert('lines', all);
    let found = 0;
    let wanted = 0;
    for (let q = 0; q < 100; q++) {
      const vector = point();
      const truth = await exact.query('lines', { vector, k: 10 });
      const got = await int8.query('lines', { vector, k: 10 });
      expect(got).toHaveLength(10);
      const truthScores = new Map(truth.map((m) => [m.id, m.score]));
      for (const match of got) {
        const score = truthScores.get(match.id);
        if (score !== undefined) expect(match.score).toBeCloseTo(score, 5);
      }
      // Best first by the exact score.
      for (let i = 1; i < got.length; i++) expect(got[i]!.score).toBeLessThanOrEqual(got[i - 1]!.score);
      found += got.filter((m) => truthScores.has(m.id)).length;
      wanted += truth.length;
    }
    expect(found / wanted).toBeGreaterThanOrEqual(0.95);
  });

  it('round-trips through a snapshot: reopened in int8, the same answers without a rebuild', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rf-hnsw-int8-'));
    try {
      const dimensions = 32;
      const { records: all, point } = records(1500, dimensions);
      const index = await HnswVectorIndex.open(dir, { dimensions, fsync: false, quantization: 'int8', efSearch: 16 });
      await index.upsert('lines', all);
      await index.checkpoint();
      // One more after the checkpoint: replayed from the log on reopen.
      await index.upsert('lines', [{ id: 'late', vector: point(), document: 'late', metadata: { late: true } }]);
      const queries = Array.from({ length: 20 }, point);
      const before = await Promise.all(queries.map((vector) => index.query('lines', { vector, k: 5 })));
      await index.close();

      const header = await readFile(await snapshotFile(dir));
      expect(header.toString('utf8', 12, 12 + header.readUInt32LE(8))).toContain('"quantization":"int8"');
      const reopened = await HnswVectorIndex.open(dir, {
        dimensions,
        fsync: false,
        quantization: 'int8',
        efSearch: 16,
      });
      try {
        expect(reopened.opsSinceCheckpoint).toBe(1);
        expect(await reopened.count('lines')).toBe(1501);
        const after = await Promise.all(queries.map((vector) => reopened.query('lines', { vector, k: 5 })));
        expect(after).toEqual(before);
      } finally {
        await reopened.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a snapshot written in the other mode with VectorIndexModeMismatchError, both ways', async () => {
    for (const [written, opened] of [
      ['int8', 'none'],
      ['none', 'int8'],
    ] as const) {
      const dir = await mkdtemp(join(tmpdir(), 'rf-hnsw-int8-'));
      try {
        const dimensions = 8;
        const index = await HnswVectorIndex.open(dir, { dimensions, fsync: false, quantization: written });
        await index.upsert('lines', records(50, dimensions).records);
        await index.checkpoint();
        await index.close();
        const error = await HnswVectorIndex.open(dir, { dimensions, fsync: false, quantization: opened }).then(
          (i) => (void i.close(), undefined),
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(VectorIndexModeMismatchError);
        expect(error).toMatchObject({ code: 'VECTOR_INDEX_MODE_MISMATCH', stored: written, configured: opened });
        // Opened in its own mode, it is intact.
        const same = await HnswVectorIndex.open(dir, { dimensions, fsync: false, quantization: written });
        expect(await same.count('lines')).toBe(50);
        await same.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  });

  it('still detects a corrupted int8 snapshot by its checksum', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rf-hnsw-int8-'));
    try {
      const dimensions = 16;
      const index = await HnswVectorIndex.open(dir, { dimensions, fsync: false, quantization: 'int8' });
      await index.upsert('lines', records(200, dimensions).records);
      await index.checkpoint();
      await index.close();
      const file = await snapshotFile(dir);
      const bytes = await readFile(file);
      bytes[bytes.length - 100]! ^= 0x40; // inside the graph sections, before the trailer
      await writeFile(file, bytes);
      await expect(
        HnswVectorIndex.open(dir, { dimensions, fsync: false, quantization: 'int8' }),
      ).rejects.toBeInstanceOf(CorruptDataFileError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
