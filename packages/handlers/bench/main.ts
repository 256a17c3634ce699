/**
 * `pnpm bench [--quick] [--json]`: the performance goals P1–P6 as ratios measured side by side in
 * one run (docs/benchmarks.md has the method). Progress goes to stderr; the table, or with
 * --json one object, to stdout.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import { createLogger } from '../src/logging.js';
import { UsageError } from '@receiptflow/core';
import { parseFlags, positiveInt } from '../src/cli/args.js';
import { measureColdStart } from './cold-start.js';
import { loadCorpus } from './corpus.js';
import { costPer1000, PRICES, type LambdaUsage } from './cost-model.js';
import { describeGoal, judge, type Goal } from './goals.js';
import { HotPathRig, type PreparedReceipt } from './hot-path.js';
import { buildIndexes, type BenchIndexes } from './indexes.js';
import { pairedOverhead, pipelineThroughput, rawTesseractMs, runPipelinePass } from './pipeline.js';
import { queryVectors } from './filler.js';
import { recallAtK, tieAwareRecallAtK } from './recall.js';
import { median, percentile, ratio, round } from './stats.js';
import type { VectorIndex } from '@receiptflow/core';

const here = dirname(fileURLToPath(import.meta.url));
const handlersDir = join(here, '..');
const repoRoot = join(handlersDir, '..', '..');

/** How much of each measurement a mode does. */
interface Plan {
  mode: 'quick' | 'full';
  smallSize: number;
  largeSize: number;
  /** Receipts replayed through P1/P2, and timed rounds over them (after one warm-up round). */
  hotPathReceipts: number;
  hotPathRounds: number;
  knnQueries: number;
  coldStartRuns: number;
  /** Corpus images in the eval pass (P6's counts, P3's pipeline times). */
  passImages: number;
  /** Images of the corpus whose raw OCR time is paired with their pipeline time (P3). */
  overheadImages: number;
  /** Images submitted at once for the throughput runs, and how many 1-vs-2 pairs are run. */
  scalingImages: number;
  scalingPairs: number;
}

const PLANS: Record<'quick' | 'full', Plan> = {
  quick: { mode: 'quick', smallSize: 2_000, largeSize: 20_000, hotPathReceipts: 6, hotPathRounds: 3, knnQueries: 100, coldStartRuns: 5, passImages: Number.MAX_SAFE_INTEGER, overheadImages: 12, scalingImages: 8, scalingPairs: 2 },
  full: { mode: 'full', smallSize: 2_000, largeSize: 200_000, hotPathReceipts: 10, hotPathRounds: 3, knnQueries: 200, coldStartRuns: 10, passImages: Number.MAX_SAFE_INTEGER, overheadImages: Number.MAX_SAFE_INTEGER, scalingImages: 16, scalingPairs: 2 },
};

export const GOALS = {
  p1_ratio: { bound: 1.5, direction: 'max' },
  p1_ratio_chroma: { bound: 1.5, direction: 'max' },
  p2_ratio: { bound: 1.5, direction: 'max' },
  p3_overhead: { bound: 1.1, direction: 'max' },
  p3_scaling: { bound: 1.7, direction: 'min' },
  p4_ratio: { bound: 1, direction: 'max' },
  p4_local_recall_at_10_ties: { bound: 0.99, direction: 'min' },
  p5_bytes: { bound: 1024 * 1024, direction: 'max' },
  p5_init_ms: { bound: 150, direction: 'max' },
} as const satisfies Record<string, Goal>;

/**
 * Assumed latency of external calls, for P6's Lambda GB-seconds only (P1 excludes them): one
 * OpenAI embedding request per receipt and each Places request, as seen from us-east-1.
 */
const ASSUMED_EMBEDDING_CALL_MS = 300;
const ASSUMED_PLACES_CALL_MS = 250;
/** Billed time of the two light functions, which the bench does not run in-process. */
const ASSUMED_UPLOAD_MS = 60;
const ASSUMED_STREAM_MS = 20;
/** Memory and batch sizes, as declared in packages/infra/src/function-specs.ts. */
const FUNCTIONS = {
  upload: { memoryMb: 512, batch: 1 },
  'process-ocr-results': { memoryMb: 1024, batch: 5 },
  'stream-processor': { memoryMb: 256, batch: 100 },
  compaction: { memoryMb: 2048, batch: 10 },
} as const;

const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function main(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    dataset: { type: 'string' },
    places: { type: 'string' },
    'eval-json': { type: 'string' },
    'large-size': { type: 'string' },
  });
  const plan: Plan = { ...PLANS[values.quick ? 'quick' : 'full'] };
  plan.largeSize = positiveInt(values['large-size'], '--large-size', plan.largeSize);
  const dataset = resolve(repoRoot, values.dataset ?? '../shared/datasets/sroie/dev');
  const places = resolve(repoRoot, values.places ?? '../shared/datasets/places-catalog.json');
  const logger = createLogger({ level: 'error', format: 'pretty' });
  const started = performance.now();
  const out: Record<string, unknown> = {
    mode: plan.mode,
    small_size: plan.smallSize,
    large_size: plan.largeSize,
    machine: { load_average_1m_at_start: round(loadavg()[0]!, 2), cpus: cpus().length, cpu_model: cpus()[0]?.model ?? 'unknown', memory_gb: round(totalmem() / 2 ** 30, 1), node: process.version, platform: process.platform },
  };

  // P5 first: fresh processes, before this one holds gigabytes of index.
  progress('P5: building bundles and timing cold starts');
  const cold = await measureColdStart(handlersDir, plan.coldStartRuns);
  Object.assign(out, {
    p5_bytes: cold.bytes,
    p5_init_ms: mapValues(cold.initMs, (v) => round(v, 1)),
    p5_sdk_import_ms: mapValues(cold.sdkImportMs, (v) => round(v, 1)),
    p5_runs: cold.runs,
  });

  // P3 and P6: the eval pass over the corpus, raw tesseract on the same images, then 1 vs 2 workers.
  const corpus = await loadCorpus(dataset, places);
  progress(`P3/P6: pipeline pass over ${corpus.description}`);
  const passImages = corpus.images.slice(0, plan.passImages);
  const pass = await runPipelinePass(corpus, passImages, logger);
  const overheadImages = passImages.slice(0, plan.overheadImages);
  progress(`P3: raw tesseract.js on ${overheadImages.length} of the same images`);
  const rawMs = await rawTesseractMs(overheadImages);
  const pipelineMs = pass.ms.slice(0, overheadImages.length);
  const scalingImages = corpus.images.slice(0, plan.scalingImages);
  const throughput: Record<1 | 2, number[]> = { 1: [], 2: [] };
  for (let i = 0; i < plan.scalingPairs; i++) {
    for (const workers of i % 2 === 0 ? ([1, 2] as const) : ([2, 1] as const)) {
      progress(`P3: throughput of ${scalingImages.length} images with ${workers} OCR worker(s)`);
      throughput[workers].push(await pipelineThroughput(corpus, scalingImages, workers, logger));
    }
  }
  Object.assign(out, {
    corpus: corpus.description,
    corpus_source: corpus.source,
    p3_images: overheadImages.length,
    p3_pipeline_ms: round(median(pipelineMs), 1),
    p3_ocr_ms: round(median(rawMs), 1),
    p3_overhead: round(pairedOverhead(pipelineMs, rawMs)),
    p3_scaling_images: scalingImages.length,
    p3_throughput_1_per_s: round(median(throughput[1])),
    p3_throughput_2_per_s: round(median(throughput[2])),
    p3_scaling: round(ratio(median(throughput[2]), median(throughput[1]))),
  });

  // P1, P2, P4 on the same filler vectors.
  progress(`P1/P2/P4: filling indexes with ${plan.smallSize} and ${plan.largeSize} vectors`);
  const indexes = await buildIndexes(plan.smallSize, plan.largeSize, progress);
  let hot: HotPathFigures;
  let knn: KnnFigures;
  try {
    out.index_fill_s = round(indexes.fillSeconds, 1);
    out.hnsw_large_build_s = round(indexes.hnswLargeBuildSeconds, 1);
    out.chroma_error = indexes.chromaError;
    const receipts = preparedReceipts(pass, corpus.images, plan.hotPathReceipts);
    progress(`P1/P2: ${receipts.length} pre-OCR'd receipts x ${plan.hotPathRounds} rounds per index`);
    hot = await measureHotPath(indexes, receipts, corpus.catalog, plan, logger);
    progress(`P4: ${plan.knnQueries} k-NN queries against ${plan.largeSize} vectors`);
    knn = await measureKnn(indexes, plan.knnQueries);
  } finally {
    await indexes.stop();
  }
  Object.assign(out, {
    p1_local_small_ms: round(hot.local.small, 2),
    p1_local_large_ms: round(hot.local.large, 2),
    p1_ratio: round(ratio(hot.local.large, hot.local.small)),
    p1_chroma_small_ms: round(hot.chroma.small, 2),
    p1_chroma_large_ms: round(hot.chroma.large, 2),
    p1_ratio_chroma: round(ratio(hot.chroma.large, hot.chroma.small)),
    p2_small_ms: round(hot.compactSmall, 2),
    p2_large_ms: round(hot.compactLarge, 2),
    p2_ratio: round(ratio(hot.compactLarge, hot.compactSmall)),
    p2_delta_vectors: hot.deltaLines,
    p4_local_p50_ms: round(knn.localP50, 3),
    p4_chroma_p50_ms: round(knn.chromaP50, 3),
    p4_exact_p50_ms: round(knn.exactP50, 3),
    p4_ratio: round(ratio(knn.localP50, knn.chromaP50)),
    p4_local_recall_at_10_ties: round(knn.localTieRecall, 4),
    p4_chroma_recall_at_10_ties: round(knn.chromaTieRecall, 4),
    p4_local_recall_at_10: round(knn.localRecall, 4),
    p4_chroma_recall_at_10: round(knn.chromaRecall, 4),
  });

  // P6: counted usage, priced.
  const counts = await usageCounts(values['eval-json'], pass);
  const resultsMs = Number.isFinite(hot.chroma.large) ? hot.chroma.large : hot.local.large;
  const lambdas = (placesCallsPerReceipt: number): LambdaUsage[] => [
    { name: 'upload', memoryMb: FUNCTIONS.upload.memoryMb, msPerReceipt: ASSUMED_UPLOAD_MS, invocationsPerReceipt: 1 },
    {
      name: 'process-ocr-results',
      memoryMb: FUNCTIONS['process-ocr-results'].memoryMb,
      msPerReceipt: resultsMs + ASSUMED_EMBEDDING_CALL_MS + placesCallsPerReceipt * ASSUMED_PLACES_CALL_MS,
      invocationsPerReceipt: 1 / FUNCTIONS['process-ocr-results'].batch,
    },
    { name: 'stream-processor', memoryMb: FUNCTIONS['stream-processor'].memoryMb, msPerReceipt: ASSUMED_STREAM_MS, invocationsPerReceipt: 1 / FUNCTIONS['stream-processor'].batch },
    {
      name: 'compaction',
      memoryMb: FUNCTIONS.compaction.memoryMb,
      // Measured for the lines delta; the words delta goes the same way, scaled by its size.
      msPerReceipt: hot.compactLarge * (1 + hot.wordsPerLine),
      invocationsPerReceipt: 2 / FUNCTIONS.compaction.batch,
    },
  ];
  const actual = costPer1000({ ...counts, lambdas: lambdas(counts.placesCalls / counts.receipts) });
  const baseline = costPer1000({
    receipts: counts.receipts,
    placesCalls: counts.baselinePlacesCalls,
    embeddingTokens: counts.embeddingTokens,
    lambdas: lambdas(counts.baselinePlacesCalls / counts.receipts),
  });
  Object.assign(out, {
    p6_source: counts.source,
    p6_receipts: counts.receipts,
    p6_places_calls: counts.placesCalls,
    p6_embedding_tokens: counts.embeddingTokens,
    p6_baseline_places_calls: counts.baselinePlacesCalls,
    p6_merchant_accuracy: round(pass.merchantCorrect / pass.receipts),
    p6_sources: pass.sources,
    p6_usd_per_1000: round(actual.total_usd, 2),
    p6_breakdown: mapValues(actual as unknown as Record<string, number>, (v) => round(v, 4)),
    p6_baseline_usd_per_1000: round(baseline.total_usd, 2),
    p6_baseline_breakdown: mapValues(baseline as unknown as Record<string, number>, (v) => round(v, 4)),
    p6_prices: PRICES,
  });

  (out.machine as Record<string, unknown>).load_average_1m_at_end = round(loadavg()[0]!, 2);
  out.seconds = round((performance.now() - started) / 1000, 1);
  out.goals = verdicts(out);
  if (values.json) process.stdout.write(`${JSON.stringify(out)}\n`);
  else process.stdout.write(`${formatTable(out)}\n`);
  return 0;
}

interface HotPathFigures {
  local: { small: number; large: number };
  chroma: { small: number; large: number };
  compactSmall: number;
  compactLarge: number;
  /** Most line vectors in one receipt's delta. */
  deltaLines: number;
  /** Median words-delta size over lines-delta size. */
  wordsPerLine: number;
}

/** The first receipts of the pass whose OCR found text, with their recorded documents. */
function preparedReceipts(pass: Awaited<ReturnType<typeof runPipelinePass>>, images: readonly { filename: string; bytes: Uint8Array }[], count: number): PreparedReceipt[] {
  const out: PreparedReceipt[] = [];
  for (const image of images) {
    const document = pass.recorder.documentOf(image.bytes);
    if (document && document.lines.length > 0) out.push({ filename: image.filename, bytes: image.bytes, document });
    if (out.length === count) break;
  }
  if (out.length === 0) throw new Error('bench: no OCR document with text to replay for P1');
  return out;
}

/**
 * P1 and P2. Every receipt goes through every index in turn, round after round, so drift on a
 * busy machine hits each index alike; round 0 warms up and is not counted.
 */
async function measureHotPath(indexes: BenchIndexes, receipts: PreparedReceipt[], catalog: Parameters<typeof HotPathRig.open>[2], plan: Plan, logger: ReturnType<typeof createLogger>): Promise<HotPathFigures> {
  const configs: { key: string; index: VectorIndex; compacts: boolean }[] = [
    { key: 'local.small', index: indexes.local.small, compacts: true },
    { key: 'local.large', index: indexes.local.large, compacts: true },
    ...(indexes.chroma
      ? [
          { key: 'chroma.small', index: indexes.chroma.small as VectorIndex, compacts: false },
          { key: 'chroma.large', index: indexes.chroma.large as VectorIndex, compacts: false },
        ]
      : []),
  ];
  const rigs = new Map<string, HotPathRig>();
  const samples = new Map<string, number[]>();
  let deltaLines = 0;
  const wordsPerLine: number[] = [];
  try {
    for (const c of configs) {
      rigs.set(c.key, await HotPathRig.open(c.index, receipts, catalog, logger));
      samples.set(c.key, []);
      samples.set(`${c.key}.compact`, []);
    }
    for (let round = 0; round <= plan.hotPathRounds; round++) {
      for (const receipt of receipts) {
        for (const c of configs) {
          const rig = rigs.get(c.key)!;
          const { ms, imageId } = await rig.processOne(receipt);
          if (round > 0) samples.get(c.key)!.push(ms);
          if (!c.compacts) continue;
          const compacted = await rig.compactLines(imageId);
          if (round > 0) samples.get(`${c.key}.compact`)!.push(compacted.ms);
          deltaLines = Math.max(deltaLines, compacted.lines);
          wordsPerLine.push(ratio(compacted.words, compacted.lines));
        }
      }
    }
  } finally {
    for (const rig of rigs.values()) await rig.close();
  }
  const med = (key: string) => {
    const xs = samples.get(key);
    return xs && xs.length > 0 ? median(xs) : Number.NaN;
  };
  return {
    local: { small: med('local.small'), large: med('local.large') },
    chroma: { small: med('chroma.small'), large: med('chroma.large') },
    compactSmall: med('local.small.compact'),
    compactLarge: med('local.large.compact'),
    deltaLines,
    wordsPerLine: median(wordsPerLine),
  };
}

interface KnnFigures {
  localP50: number;
  chromaP50: number;
  exactP50: number;
  /** Share of the exact top-10 ids found. */
  localRecall: number;
  chromaRecall: number;
  /** Share of results at least as similar as the exact 10th neighbour (ties count). */
  localTieRecall: number;
  chromaTieRecall: number;
}

/** P4: unfiltered k=10 queries, each timed on the local index, on Chroma and on the exact scan. */
async function measureKnn(indexes: BenchIndexes, queries: number): Promise<KnnFigures> {
  const vectors = await queryVectors(queries);
  const k = 10;
  const warm = vectors.slice(0, Math.min(20, vectors.length));
  for (const v of warm) {
    await indexes.local.large.query('lines', { vector: v, k });
    await indexes.chroma?.large.query('lines', { vector: v, k });
  }
  const times = { local: [] as number[], chroma: [] as number[], exact: [] as number[] };
  const ids = { local: [] as string[][], chroma: [] as string[][], exact: [] as string[][] };
  const scores = { local: [] as number[][], chroma: [] as number[][], exact: [] as number[][] };
  const timeQuery = async (which: keyof typeof times, index: VectorIndex, vector: number[]) => {
    const t = performance.now();
    const matches = await index.query('lines', { vector, k });
    times[which].push(performance.now() - t);
    ids[which].push(matches.map((m) => m.id));
    scores[which].push(matches.map((m) => m.score));
  };
  for (const v of vectors) {
    await timeQuery('local', indexes.local.large, v);
    if (indexes.chroma) await timeQuery('chroma', indexes.chroma.large, v);
    await timeQuery('exact', indexes.exactLarge, v);
  }
  const p50 = (xs: number[]) => (xs.length > 0 ? percentile(xs, 0.5) : Number.NaN);
  return {
    localP50: p50(times.local),
    chromaP50: p50(times.chroma),
    exactP50: p50(times.exact),
    localRecall: recallAtK(ids.local, ids.exact, k),
    chromaRecall: ids.chroma.length > 0 ? recallAtK(ids.chroma, ids.exact, k) : Number.NaN,
    localTieRecall: tieAwareRecallAtK(scores.local, scores.exact, k),
    chromaTieRecall: scores.chroma.length > 0 ? tieAwareRecallAtK(scores.chroma, scores.exact, k) : Number.NaN,
  };
}

interface Counts {
  source: string;
  receipts: number;
  placesCalls: number;
  embeddingTokens: number;
  baselinePlacesCalls: number;
}

/** P6's usage: from `pnpm eval --json` output when given, else from the in-process pass. */
async function usageCounts(evalJson: string | undefined, pass: Awaited<ReturnType<typeof runPipelinePass>>): Promise<Counts> {
  const baselinePerReceipt = pass.baselinePlacesCalls / pass.receipts;
  if (evalJson) {
    const report = JSON.parse(await readFile(evalJson, 'utf8')) as { receipts?: number; places_calls?: number; embedding_tokens?: number };
    if (!report.receipts || report.places_calls === undefined || report.embedding_tokens === undefined) {
      throw new UsageError(`--eval-json ${evalJson} lacks receipts, places_calls or embedding_tokens`);
    }
    return {
      source: `eval report ${evalJson} (baseline calls per receipt from the bench's own pass)`,
      receipts: report.receipts,
      placesCalls: report.places_calls,
      embeddingTokens: report.embedding_tokens,
      baselinePlacesCalls: baselinePerReceipt * report.receipts,
    };
  }
  return { source: 'in-process eval pass over the corpus', receipts: pass.receipts, placesCalls: pass.placesCalls, embeddingTokens: pass.embeddingTokens, baselinePlacesCalls: pass.baselinePlacesCalls };
}

function mapValues<T, U>(record: Record<string, T>, f: (v: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}

/** Every goal judged: one entry per figure (per bundle for P5). */
function verdicts(out: Record<string, unknown>): Record<string, { value: number; goal: string; met: boolean; miss: string | null }> {
  const result: Record<string, { value: number; goal: string; met: boolean; miss: string | null }> = {};
  const add = (key: string, value: number, goal: Goal, unit = '') => (result[key] = { value, goal: describeGoal(goal, unit), ...judge(value, goal) });
  for (const key of ['p1_ratio', 'p1_ratio_chroma', 'p2_ratio', 'p3_overhead', 'p3_scaling', 'p4_ratio', 'p4_local_recall_at_10_ties'] as const) {
    add(key, out[key] as number, GOALS[key]);
  }
  for (const [name, bytes] of Object.entries(out.p5_bytes as Record<string, number>)) add(`p5_bytes.${name}`, bytes, GOALS.p5_bytes, ' B');
  for (const [name, ms] of Object.entries(out.p5_init_ms as Record<string, number>)) add(`p5_init_ms.${name}`, ms, GOALS.p5_init_ms, ' ms');
  return result;
}

/** The readable table: figure, value, goal, met?, then the detail behind each figure. */
function formatTable(out: Record<string, unknown>): string {
  const goals = out.goals as ReturnType<typeof verdicts>;
  const rows: [string, string, string, string][] = [['figure', 'value', 'goal', 'met?']];
  const fmt = (v: unknown) => (typeof v === 'number' ? String(v) : v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const goalRow = (key: string) => {
    const g = goals[key]!;
    rows.push([key, fmt(g.value), g.goal, g.met ? 'yes' : `NO (${g.miss})`]);
  };
  const info = (key: string) => rows.push([key, fmt(out[key]), '', '']);
  const m = out.machine as Record<string, unknown>;
  const header = [
    `receiptflow bench (${out.mode}): small index ${out.small_size} vectors, large ${out.large_size}; ${m.cpus} x ${m.cpu_model}, ${m.memory_gb} GB, node ${m.node}`,
    `corpus: ${out.corpus}; eval pass over ${out.p6_receipts} of them`,
    `load average (1 min) at start ${m.load_average_1m_at_start}, at end ${m.load_average_1m_at_end}: above ${m.cpus} means other processes shared the CPUs`,
  ];
  goalRow('p1_ratio');
  info('p1_local_small_ms');
  info('p1_local_large_ms');
  goalRow('p1_ratio_chroma');
  info('p1_chroma_small_ms');
  info('p1_chroma_large_ms');
  goalRow('p2_ratio');
  info('p2_small_ms');
  info('p2_large_ms');
  info('p2_delta_vectors');
  goalRow('p3_overhead');
  info('p3_pipeline_ms');
  info('p3_ocr_ms');
  info('p3_images');
  goalRow('p3_scaling');
  info('p3_throughput_1_per_s');
  info('p3_throughput_2_per_s');
  goalRow('p4_ratio');
  info('p4_local_p50_ms');
  info('p4_chroma_p50_ms');
  info('p4_exact_p50_ms');
  goalRow('p4_local_recall_at_10_ties');
  info('p4_chroma_recall_at_10_ties');
  info('p4_local_recall_at_10');
  info('p4_chroma_recall_at_10');
  for (const key of Object.keys(goals).filter((k) => k.startsWith('p5_'))) goalRow(key);
  for (const [name, ms] of Object.entries(out.p5_sdk_import_ms as Record<string, number>)) rows.push([`p5_sdk_import_ms.${name}`, String(ms), '', '']);
  info('p6_usd_per_1000');
  info('p6_baseline_usd_per_1000');
  info('p6_receipts');
  info('p6_places_calls');
  info('p6_baseline_places_calls');
  info('p6_embedding_tokens');
  info('p6_merchant_accuracy');
  info('p6_sources');
  info('p6_source');
  info('index_fill_s');
  info('hnsw_large_build_s');
  if (out.chroma_error) info('chroma_error');
  info('seconds');
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => `${r[0].padEnd(widths[0]!)}  ${r[1].padEnd(widths[1]!)}  ${r[2].padEnd(widths[2]!)}  ${r[3]}`.trimEnd());
  lines.splice(1, 0, '-'.repeat(lines[0]!.length + 8));
  return [...header, '', ...lines].join('\n');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
