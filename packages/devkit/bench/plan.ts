import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { UsageError } from '@receiptflow/core';
import { parseFlags, positiveInt } from '@receiptflow/handlers/cli';
import { parseScale } from './p7-scale.js';
import { round } from './stats.js';

/** How much of each measurement a mode does. */
export interface Plan {
  mode: 'quick' | 'full';
  smallSize: number;
  largeSize: number;
  /** Receipts replayed through P1/P2, and timed rounds over them (after one warm-up round). */
  hotPathReceipts: number;
  hotPathRounds: number;
  knnQueries: number;
  /** Fresh processes per Lambda bundle (P5), and in how many of those rounds the build not deployed is timed too. */
  coldStartRuns: number;
  coldStartOtherRuns: number;
  /** Corpus images in the eval pass (P6's counts, P3's pipeline times). */
  passImages: number;
  /** Images of the corpus whose raw OCR time is paired with their pipeline time (P3). */
  overheadImages: number;
  /** Images submitted at once for the throughput runs, and how many 1-vs-2 pairs are run. */
  scalingImages: number;
  scalingPairs: number;
  /** Vectors merged into the large index in receipt-sized upserts for P2's recall check (every fifth queried). */
  mergeRecallVectors: number;
  /** Receipts P8 sends through `receipts serve` (and OCRs raw); at most 50 uploads are in flight. */
  serveImages: number;
  /** Index sizes of the vector storage modes' measurement (cold load, warm catch-up, query). */
  vectorStorageSizes: number[];
}

const PLANS: Record<'quick' | 'full', Plan> = {
  quick: {
    mode: 'quick',
    smallSize: 2_000,
    // The 20k HNSW build was a minute of the quick run on the slow VM; 10k is still 5x the small one.
    largeSize: 10_000,
    hotPathReceipts: 6,
    hotPathRounds: 3,
    knnQueries: 100,
    coldStartRuns: 5,
    // The runtime-SDK build only has to show it is still the slower one (2-3x): one round.
    coldStartOtherRuns: 1,
    // The eval pass is P3's and P6's; at ~2 s of OCR an image it was most of the quick run. Its
    // 8 images are P3's paired ones (each also OCR'd raw); P6's counts over 8 receipts are a
    // sample (the full run and `pnpm eval` count the whole corpus).
    passImages: 8,
    overheadImages: 8,
    scalingImages: 8,
    // One 1-then-2-workers pair: the full run alternates the order over two.
    scalingPairs: 1,
    mergeRecallVectors: 500,
    serveImages: 8,
    vectorStorageSizes: [2_000, 10_000],
  },
  full: {
    mode: 'full',
    smallSize: 2_000,
    largeSize: 200_000,
    hotPathReceipts: 10,
    hotPathRounds: 3,
    knnQueries: 200,
    coldStartRuns: 10,
    coldStartOtherRuns: 5,
    passImages: Number.MAX_SAFE_INTEGER,
    overheadImages: Number.MAX_SAFE_INTEGER,
    scalingImages: 16,
    scalingPairs: 2,
    // 40 receipts' lines.
    mergeRecallVectors: 1_000,
    serveImages: 50,
    vectorStorageSizes: [20_000, 200_000],
  },
};

/** What `pnpm bench` was asked to do. */
export interface BenchArgs {
  plan: Plan;
  /** SROIE-style folder of images and truth JSON; the synthetic corpus when it is missing. */
  dataset: string;
  places: string;
  json: boolean;
  evalJson: string | undefined;
  /**
   * `vector_storage`: run only the vector storage modes' measurement (and the cost model);
   * `p8`: only P8, serve throughput and upload latency (with the serve process's event-loop delay);
   * `p2`: only the local indexes' goals (P2, with P1 and P4 on the same indexes; no Chroma), OCR
   * run on just the receipts the hot path replays;
   * `p5`: only P5, the Lambda bundles' sizes and cold init (a few minutes).
   */
  only: 'vector_storage' | 'p8' | 'p2' | 'p5' | undefined;
  /**
   * `--scale N` (`1m`, `100k`, or a count): run only P7, the million-vector case, at N vectors,
   * in each mode of `--scale-modes` (default `none,int8`). Optional: the 1m run takes an hour.
   */
  scale: { vectors: number; modes: ('none' | 'int8')[] } | undefined;
  /**
   * `--out FILE`: also write the run's JSON (what `--json` prints) to FILE. A `--scale` run
   * writes it without the flag, to `.tmp/bench/p7-<N>-<modes>.json` (see {@link defaultScaleOut}),
   * after each mode and at the end: it takes up to an hour, and its stdout is easily lost.
   */
  out: string | undefined;
}

/**
 * Parses `[--quick] [--json] [--dataset DIR] [--places FILE] [--eval-json FILE] [--large-size N]
 * [--only vector_storage|p8|p2|p5] [--scale 1m|100k|N [--scale-modes none,int8]] [--out FILE]`. Paths are
 * taken relative to the repo root (where `pnpm bench` runs).
 */
export function parseBenchArgs(argv: string[], repoRoot: string): BenchArgs {
  const { values } = parseFlags(argv, {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    dataset: { type: 'string' },
    places: { type: 'string' },
    'eval-json': { type: 'string' },
    'large-size': { type: 'string' },
    only: { type: 'string' },
    scale: { type: 'string' },
    'scale-modes': { type: 'string' },
    out: { type: 'string' },
  });
  if (values.only !== undefined && !['vector_storage', 'p8', 'p2', 'p5'].includes(values.only))
    throw new UsageError(`--only takes vector_storage, p8, p2 or p5, got ${values.only}`);
  let scale: BenchArgs['scale'];
  if (values.scale !== undefined) {
    const vectors = parseScale(values.scale);
    if (vectors === undefined)
      throw new UsageError(`--scale takes a vector count such as 1m, 100k or 250000, got ${values.scale}`);
    const modes = (values['scale-modes'] ?? 'none,int8').split(',').map((m) => m.trim());
    for (const m of modes)
      if (m !== 'none' && m !== 'int8') throw new UsageError(`--scale-modes takes none and/or int8, got ${m}`);
    scale = { vectors, modes: modes as ('none' | 'int8')[] };
  } else if (values['scale-modes'] !== undefined) throw new UsageError('--scale-modes needs --scale');
  const plan: Plan = { ...PLANS[values.quick ? 'quick' : 'full'] };
  plan.largeSize = positiveInt(values['large-size'], '--large-size', plan.largeSize);
  return {
    plan,
    dataset: resolve(repoRoot, values.dataset ?? '../shared/datasets/sroie/dev'),
    places: resolve(repoRoot, values.places ?? '../shared/datasets/places-catalog.json'),
    json: values.json,
    evalJson: values['eval-json'],
    only: values.only as BenchArgs['only'],
    scale,
    out:
      values.out !== undefined
        ? resolve(repoRoot, values.out)
        : scale
          ? resolve(repoRoot, defaultScaleOut(scale.vectors, scale.modes))
          : undefined,
  };
}

/**
 * Where a `--scale` run writes its JSON by default: `.tmp/bench/p7-1m-none-int8.json` (the count
 * as 1m / 100k where it is round, then the modes), so two runs of different sizes or modes, even
 * at once, do not overwrite each other. `.tmp/` is git-ignored.
 */
export function defaultScaleOut(vectors: number, modes: readonly string[]): string {
  const count =
    vectors % 1_000_000 === 0
      ? `${vectors / 1_000_000}m`
      : vectors % 1_000 === 0
        ? `${vectors / 1_000}k`
        : `${vectors}`;
  return `.tmp/bench/p7-${count}-${modes.join('-')}.json`;
}

/** The run's first figures: the plan and the machine it ran on (load is read again at the end). */
export function header(plan: Plan): Record<string, unknown> {
  return {
    mode: plan.mode,
    small_size: plan.smallSize,
    large_size: plan.largeSize,
    machine: {
      load_average_1m_at_start: round(loadavg()[0]!, 2),
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? 'unknown',
      memory_gb: round(totalmem() / 2 ** 30, 1),
      node: process.version,
      platform: process.platform,
    },
  };
}
