/**
 * Eyeballs HnswVectorIndex speed and recall against ExactVectorIndex (not a test: timings vary).
 *   pnpm exec tsx packages/devkit/scripts/vector-smoke.ts [sizes=2000,200000] [dims=512] [kind=text|clustered|random]
 * `text` embeds receipt-like lines with HashingEmbedder. Recall counts a hit when its score ties
 * or beats the exact 10th score (near-duplicate lines tie).
 */
import { performance } from 'node:perf_hooks';
import type { VectorRecord } from '@receiptflow/core';
import { ExactVectorIndex, HashingEmbedder, HnswVectorIndex } from '@receiptflow/adapters-local';
import { receiptLineSource } from './receipt-lines.js';

const sizes = (process.argv[2] ?? '2000,200000').split(',').map(Number);
const dims = Number(process.argv[3] ?? 512);
const kind = process.argv[4] ?? 'text';
const efSearch = process.env.EF ? Number(process.env.EF) : undefined;
const M = process.env.M ? Number(process.env.M) : undefined;
const efConstruction = process.env.EFC ? Number(process.env.EFC) : undefined;

let seed = 12345;
const rand = () => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 4294967296;
};
const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
const centres = Array.from({ length: 1000 }, () => Array.from({ length: dims }, gauss));
const line = receiptLineSource(3);
const embedder = new HashingEmbedder({ dimensions: dims });
const point = (): number[] => {
  if (kind === 'text') throw new Error('text points are embedded in batches');
  if (kind === 'random') return Array.from({ length: dims }, gauss);
  const c = centres[Math.floor(rand() * centres.length)]!;
  return c.map((x) => x + gauss() * 0.6);
};

const points = async (count: number): Promise<number[][]> =>
  kind === 'text'
    ? (await embedder.embed(Array.from({ length: count }, line))).vectors
    : Array.from({ length: count }, point);

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)]!;

for (const n of sizes) {
  const hnsw = new HnswVectorIndex({ dimensions: dims, efSearch, M, efConstruction });
  const exact = new ExactVectorIndex({ dimensions: dims });
  const batch = 1000;
  let buildMs = 0;
  for (let start = 0; start < n; start += batch) {
    const count = Math.min(n, start + batch) - start;
    const vectors = await points(count);
    const records: VectorRecord[] = vectors.map((vector, j) => ({
      id: `v${start + j}`,
      vector,
      document: `doc ${start + j}`,
      metadata: { image: `img-${(start + j) % 5000}`, receipt: (start + j) % 3 },
    }));
    const t = performance.now();
    await hnsw.upsert('lines', records);
    buildMs += performance.now() - t;
    await exact.upsert('lines', records);
  }
  const queries = await points(300);
  for (const q of queries.slice(0, 30)) await hnsw.query('lines', { vector: q, k: 10 }); // warm up
  const times: number[] = [];
  let hits = 0;
  for (const q of queries) {
    const t = performance.now();
    const got = await hnsw.query('lines', { vector: q, k: 10 });
    times.push(performance.now() - t);
    const truth = await exact.query('lines', { vector: q, k: 10 });
    const tenth = truth[truth.length - 1]!.score - 1e-6;
    hits += got.filter((m) => m.score >= tenth).length;
  }
  const exactTimes: number[] = [];
  for (const q of queries.slice(0, 50)) {
    const t = performance.now();
    await exact.query('lines', { vector: q, k: 10 });
    exactTimes.push(performance.now() - t);
  }
  const filtered: number[] = [];
  for (const q of queries.slice(0, 100)) {
    const t = performance.now();
    await hnsw.query('lines', { vector: q, k: 10, where: { receipt: 1 } });
    filtered.push(performance.now() - t);
  }
  console.log(
    JSON.stringify({
      n,
      dims,
      kind,
      build_s: +(buildMs / 1000).toFixed(1),
      build_us_per_vector: +((buildMs * 1000) / n).toFixed(0),
      query_p50_ms: +percentile(times, 0.5).toFixed(3),
      query_p95_ms: +percentile(times, 0.95).toFixed(3),
      filtered_third_p50_ms: +percentile(filtered, 0.5).toFixed(3),
      exact_p50_ms: +percentile(exactTimes, 0.5).toFixed(3),
      recall_at_10: +(hits / (queries.length * 10)).toFixed(4),
    }),
  );
}
