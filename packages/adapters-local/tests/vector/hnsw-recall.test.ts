import { describe, expect, it } from 'vitest';
import type { VectorRecord } from '@receiptflow/core';
import { ExactVectorIndex } from '../../src/vector/exact-vector-index.js';
import { HnswVectorIndex } from '../../src/vector/hnsw-vector-index.js';
import { gaussianSource } from '../support/gaussian.js';

async function recallAt10(
  options: { dimensions: number; clusters: number; n: number; queries: number; exactFilterLimit?: number },
  where?: (i: number) => Record<string, string | number | boolean>,
  filter?: Record<string, string | number | boolean>,
): Promise<number> {
  const point = gaussianSource(7, options.dimensions, options.clusters);
  const hnsw = new HnswVectorIndex({ dimensions: options.dimensions, exactFilterLimit: options.exactFilterLimit });
  const exact = new ExactVectorIndex({ dimensions: options.dimensions });
  const records: VectorRecord[] = Array.from({ length: options.n }, (_, i) => ({
    id: `v${i}`,
    vector: point(),
    document: '',
    metadata: where?.(i) ?? {},
  }));
  for (let start = 0; start < records.length; start += 500) {
    await hnsw.upsert('words', records.slice(start, start + 500));
  }
  await exact.upsert('words', records);
  let found = 0;
  let expected = 0;
  for (let q = 0; q < options.queries; q++) {
    const vector = point();
    const truth = new Set((await exact.query('words', { vector, k: 10, where: filter })).map((m) => m.id));
    const got = await hnsw.query('words', { vector, k: 10, where: filter });
    expect(got.length).toBe(truth.size);
    found += got.filter((m) => truth.has(m.id)).length;
    expected += truth.size;
  }
  return found / expected;
}

// Thousands of 128-dimensional inserts each: seconds alone, far longer on a loaded machine.
describe('HnswVectorIndex recall against ExactVectorIndex', { timeout: 180_000 }, () => {
  it('reaches recall@10 ≥ 0.99 on 5k clustered 128-dimensional vectors', async () => {
    expect(await recallAt10({ dimensions: 128, clusters: 200, n: 5000, queries: 200 })).toBeGreaterThanOrEqual(0.99);
  });

  it('reaches recall@10 ≥ 0.99 on 5k uniformly random 16-dimensional vectors', async () => {
    expect(await recallAt10({ dimensions: 16, clusters: 0, n: 5000, queries: 200 })).toBeGreaterThanOrEqual(0.99);
  });

  it('reaches recall@10 ≥ 0.99 when a broad filter walks the graph (not the exact fallback)', async () => {
    const recall = await recallAt10(
      { dimensions: 64, clusters: 100, n: 5000, queries: 100, exactFilterLimit: 0 },
      (i) => ({ parity: i % 2 === 0 ? 'even' : 'odd', bucket: i % 5 }),
      { parity: 'odd' },
    );
    expect(recall).toBeGreaterThanOrEqual(0.99);
  });

  it('returns every match of a selective filter even when forced to walk the graph', async () => {
    const recall = await recallAt10(
      { dimensions: 32, clusters: 50, n: 3000, queries: 30, exactFilterLimit: 0 },
      (i) => ({ rare: i % 500 === 3 }),
      { rare: true },
    );
    expect(recall).toBe(1);
  });
});
