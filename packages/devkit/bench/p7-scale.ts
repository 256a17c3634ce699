import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { VectorQuantization } from '@receiptflow/adapters-local';
import { round } from './stats.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..');

/** What p7-child.ts prints for one mode. */
interface ScaleRun {
  vectors: number;
  quantization: VectorQuantization;
  queries: number;
  build_s: number;
  knn_p50_ms: number;
  knn_p95_ms: number;
  recall_at_10: number;
  recall_at_10_ties: number;
  checkpoint_s: number;
  reopen_s: number;
  reopened_same_answers: string;
  disk_bytes: number;
  baseline_rss: number;
  peak_rss: number;
  typed_array_bytes: number;
  js_heap_bytes: number;
  load_average_1m_at_start: number;
  load_average_1m_at_end: number;
}

/** The goal: peak RSS over the baseline, per vector, at most 1.25 × the raw float32 bytes. */
export const P7_RSS_FACTOR = 1.25;

/** Parses `1m`, `100k`, `250000` into a vector count. */
export function parseScale(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(value.trim());
  if (!match) return undefined;
  const n = Number(match[1]) * (match[2]!.toLowerCase() === 'm' ? 1e6 : match[2]!.toLowerCase() === 'k' ? 1e3 : 1);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * P7, the million-vector case: each storage mode measured in a process of its own
 * (p7-child.ts), at `n` receipt-line vectors of 512 dims. Per mode: build time, k=10 p50,
 * recall@10 (ids, and ties counted) against an exact scan, checkpoint and reopen time, peak RSS
 * over the process's baseline per vector, and where that memory is (typed arrays: vectors, codes,
 * graph links; the JS heap: ids, documents, metadata, postings).
 */
export async function measureP7(
  n: number,
  modes: readonly VectorQuantization[],
  progress: (line: string) => void,
  /** Called with the figures so far after each mode (the bench saves them: a mode can take an hour). */
  onMode?: (soFar: Record<string, unknown>) => Promise<void>,
): Promise<Record<string, unknown>> {
  const queries = n > 500_000 ? 100 : 200;
  const rawBytes = 512 * 4;
  const out: Record<string, unknown> = { vectors: n, dimensions: 512, raw_float32_bytes_per_vector: rawBytes };
  for (const mode of modes) {
    progress(`P7: ${n} vectors, quantization ${mode} (own process; about 1.5 min per 100k on an idle machine)`);
    const pending = run(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', join(here, 'p7-child.ts'), String(n), mode, String(queries)],
      // No timeout: the 1m build takes the better part of an hour on 2 busy cores.
      { cwd: repoRoot, maxBuffer: 1024 * 1024 },
    );
    // The child's progress lines (every tenth of the build) as they come.
    pending.child.stderr?.on('data', (chunk: Buffer) =>
      progress(
        chunk
          .toString()
          .replace(/^\[bench\] /, '')
          .trimEnd(),
      ),
    );
    const { stdout } = await pending;
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as ScaleRun;
    const perVector = (r.peak_rss - r.baseline_rss) / n;
    out[mode] = {
      build_s: round(r.build_s, 1),
      knn_p50_ms: round(r.knn_p50_ms, 2),
      knn_p95_ms: round(r.knn_p95_ms, 2),
      recall_at_10: round(r.recall_at_10, 4),
      recall_at_10_ties: round(r.recall_at_10_ties, 4),
      checkpoint_s: round(r.checkpoint_s, 1),
      reopen_s: round(r.reopen_s, 1),
      reopened_same_answers: r.reopened_same_answers,
      peak_rss_mb: round(r.peak_rss / 2 ** 20, 0),
      rss_bytes_per_vector: round(perVector, 0),
      rss_over_raw: round(perVector / rawBytes, 2),
      rss_goal_met: perVector <= P7_RSS_FACTOR * rawBytes,
      typed_array_bytes_per_vector: round(r.typed_array_bytes / n, 0),
      js_heap_bytes_per_vector: round(r.js_heap_bytes / n, 0),
      disk_bytes_per_vector: round(r.disk_bytes / n, 0),
      load_average_1m: [round(r.load_average_1m_at_start, 2), round(r.load_average_1m_at_end, 2)],
    };
    await onMode?.({ ...out });
  }
  return out;
}
