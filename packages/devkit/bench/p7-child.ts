/**
 * One P7 measurement (`pnpm bench --scale N`) in a fresh process, for one storage mode: fills a
 * durable HnswVectorIndex in a temp dir with N receipt-line filler vectors, times k=10 queries,
 * then measures recall against an exact scan, checkpoints, and times the reopen. RSS is sampled
 * after every upsert batch and every query; the peak is of build and queries only (the exact
 * scan, the snapshot write and the reopen come after it). Prints one JSON line. A process of its
 * own per mode, so that one mode's memory is not counted in the next (run by p7-scale.ts).
 *
 * Run: node --expose-gc --import tsx packages/devkit/bench/p7-child.ts 100000 int8
 */
import { mkdtemp, rm, stat, readdir } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HnswVectorIndex, type VectorQuantization } from '@receiptflow/adapters-local';
import { fillerRecords, queryVectors } from './filler.js';
import { recallAtK, tieAwareRecallAtK } from './recall.js';
import { percentile } from './stats.js';

const DIMENSIONS = 512;
const K = 10;
const gc = (globalThis as { gc?: () => void }).gc;

function collect(): void {
  gc?.();
  gc?.();
}

/** Unit-length float32 copy, as the index stores it: the exact scan's scores match its own. */
function unit(vector: readonly number[]): Float32Array {
  const out = new Float32Array(vector.length);
  let sum = 0;
  for (const x of vector) sum += x * x;
  const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
  for (let i = 0; i < vector.length; i++) out[i] = vector[i]! * scale;
  return out;
}

/**
 * The exact top k of every query, by scanning the same N records again (regenerated: the filler
 * is deterministic), so the truth costs no second copy of the vectors while the index is open.
 */
async function exactTopK(n: number, queries: Float32Array[]): Promise<{ ids: string[][]; scores: number[][] }> {
  const best = queries.map(() => [] as { id: string; score: number }[]);
  for await (const batch of fillerRecords(n, { collection: 'lines' })) {
    for (const record of batch) {
      const v = unit(record.vector);
      for (let q = 0; q < queries.length; q++) {
        const query = queries[q]!;
        let score = 0;
        for (let i = 0; i < DIMENSIONS; i++) score += query[i]! * v[i]!;
        const top = best[q]!;
        if (top.length === K && score <= top[K - 1]!.score) continue;
        top.push({ id: record.id, score });
        top.sort((a, b) => b.score - a.score);
        if (top.length > K) top.pop();
      }
    }
  }
  return { ids: best.map((top) => top.map((m) => m.id)), scores: best.map((top) => top.map((m) => m.score)) };
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  return total;
}

async function main(n: number, quantization: VectorQuantization, queryCount: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rf-bench-p7-'));
  const loadAtStart = loadavg()[0]!;
  try {
    const options = {
      dimensions: DIMENSIONS,
      fsync: false,
      quantization,
      // Every record linked at once with the full beam (a bulk build leaves none unlinked) and arrays sized
      // once, so the peak is the index, not a doubling copy of it.
      insertEf: 100,
      capacity: n,
      keepSnapshots: 1,
    };
    const queries = await queryVectors(queryCount);
    collect();
    const baseline = process.memoryUsage();
    let peak = baseline.rss;
    const sample = () => (peak = Math.max(peak, process.memoryUsage.rss()));
    let index = await HnswVectorIndex.open(dir, options);
    let buildMs = 0;
    let done = 0;
    let nextReport = n / 10;
    for await (const batch of fillerRecords(n, { collection: 'lines' })) {
      const t = performance.now();
      await index.upsert('lines', batch);
      buildMs += performance.now() - t;
      done += batch.length;
      sample();
      if (done >= nextReport) {
        process.stderr.write(
          `[bench] P7 ${quantization}: ${done}/${n} vectors, ${(buildMs / 1000).toFixed(0)} s, rss ${(peak / 2 ** 20).toFixed(0)} MB\n`,
        );
        nextReport += n / 10;
      }
    }
    // What the index holds once garbage is gone: typed arrays (vectors, codes, links) apart from
    // the JS heap (ids, documents, metadata, the id map and postings).
    collect();
    const built = process.memoryUsage();
    sample();
    const warm = queries.slice(0, 20);
    for (const v of warm) await index.query('lines', { vector: Array.from(v), k: K });
    const times: number[] = [];
    const found = { ids: [] as string[][], scores: [] as number[][] };
    for (const v of queries) {
      const t = performance.now();
      const matches = await index.query('lines', { vector: Array.from(v), k: K });
      times.push(performance.now() - t);
      sample();
      found.ids.push(matches.map((m) => m.id));
      found.scores.push(matches.map((m) => m.score));
    }
    const queryPeak = peak;
    process.stderr.write(`[bench] P7 ${quantization}: exact scan of ${n} vectors for ${queries.length} queries\n`);
    const truth = await exactTopK(
      n,
      queries.map((q) => unit(Array.from(q))),
    );
    let t = performance.now();
    await index.checkpoint();
    const checkpointMs = performance.now() - t;
    await index.close();
    const diskBytes = await dirBytes(dir);
    index = undefined as unknown as HnswVectorIndex;
    collect();
    t = performance.now();
    const reopened = await HnswVectorIndex.open(dir, options);
    const reopenMs = performance.now() - t;
    // The reopened graph answers as the built one did (no rebuild, nothing lost).
    let same = 0;
    for (let q = 0; q < Math.min(20, queries.length); q++) {
      const again = await reopened.query('lines', { vector: Array.from(queries[q]!), k: K });
      if (again.map((m) => m.id).join() === found.ids[q]!.join()) same++;
    }
    await reopened.close();
    process.stdout.write(
      `${JSON.stringify({
        vectors: n,
        quantization,
        queries: queries.length,
        build_s: buildMs / 1000,
        knn_p50_ms: percentile(times, 0.5),
        knn_p95_ms: percentile(times, 0.95),
        recall_at_10: recallAtK(found.ids, truth.ids, K),
        recall_at_10_ties: tieAwareRecallAtK(found.scores, truth.scores, K),
        checkpoint_s: checkpointMs / 1000,
        reopen_s: reopenMs / 1000,
        reopened_same_answers: `${same}/${Math.min(20, queries.length)}`,
        disk_bytes: diskBytes,
        baseline_rss: baseline.rss,
        peak_rss: queryPeak,
        typed_array_bytes: built.arrayBuffers - baseline.arrayBuffers,
        js_heap_bytes: built.heapUsed - baseline.heapUsed,
        load_average_1m_at_start: loadAtStart,
        load_average_1m_at_end: loadavg()[0]!,
        gc: gc !== undefined,
      })}\n`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const [size, mode, queries] = process.argv.slice(2);
await main(Number(size), mode === 'int8' ? 'int8' : 'none', Number(queries ?? 200));
