import { readFile } from 'node:fs/promises';
import { UsageError } from '@receiptflow/core';
import { costPer1000, PRICES, type LambdaUsage } from './cost-model.js';
import type { HotPathFigures } from './p1-p2-hot-path.js';
import type { PipelinePass } from './pipeline.js';
import { mapValues, round } from './stats.js';

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

interface Counts {
  source: string;
  receipts: number;
  placesCalls: number;
  placesPhoneCalls: number;
  embeddingTokens: number;
  baselinePlacesCalls: number;
}

/** P6's usage: from `pnpm eval --json` output when given, else from the in-process pass. */
async function usageCounts(evalJson: string | undefined, pass: PipelinePass): Promise<Counts> {
  const baselinePerReceipt = pass.baselinePlacesCalls / pass.receipts;
  if (evalJson) {
    const report = JSON.parse(await readFile(evalJson, 'utf8')) as {
      receipts?: number;
      places_calls?: number;
      places_phone_calls?: number;
      embedding_tokens?: number;
    };
    if (!report.receipts || report.places_calls === undefined || report.embedding_tokens === undefined) {
      throw new UsageError(`--eval-json ${evalJson} lacks receipts, places_calls or embedding_tokens`);
    }
    return {
      source: `eval report ${evalJson} (baseline calls per receipt from the bench's own pass)`,
      receipts: report.receipts,
      placesCalls: report.places_calls,
      placesPhoneCalls: report.places_phone_calls ?? 0,
      embeddingTokens: report.embedding_tokens,
      baselinePlacesCalls: baselinePerReceipt * report.receipts,
    };
  }
  return {
    source: 'in-process eval pass over the corpus',
    receipts: pass.receipts,
    placesCalls: pass.placesCalls,
    placesPhoneCalls: pass.placesPhoneCalls,
    embeddingTokens: pass.embeddingTokens,
    baselinePlacesCalls: pass.baselinePlacesCalls,
  };
}

/**
 * P6: the counted usage (Places calls, embedding tokens) and the measured results/compaction
 * times, priced per 1000 receipts, beside the baseline that sends every receipt to Places.
 */
export async function measureP6(
  evalJson: string | undefined,
  pass: PipelinePass,
  hot: HotPathFigures,
): Promise<Record<string, unknown>> {
  const counts = await usageCounts(evalJson, pass);
  const actual = costPer1000({ ...counts, lambdas: lambdaUsage(hot, counts.placesCalls / counts.receipts) });
  const baseline = costPer1000({
    receipts: counts.receipts,
    placesCalls: counts.baselinePlacesCalls,
    embeddingTokens: counts.embeddingTokens,
    lambdas: lambdaUsage(hot, counts.baselinePlacesCalls / counts.receipts),
  });
  return {
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
  };
}

/** Billed time per receipt of each function, given how many Places calls a receipt makes. */
function lambdaUsage(hot: HotPathFigures, placesCallsPerReceipt: number): LambdaUsage[] {
  const resultsMs = Number.isFinite(hot.chroma.large) ? hot.chroma.large : hot.local.large;
  return [
    { name: 'upload', memoryMb: FUNCTIONS.upload.memoryMb, msPerReceipt: ASSUMED_UPLOAD_MS, invocationsPerReceipt: 1 },
    {
      name: 'process-ocr-results',
      memoryMb: FUNCTIONS['process-ocr-results'].memoryMb,
      msPerReceipt: resultsMs + ASSUMED_EMBEDDING_CALL_MS + placesCallsPerReceipt * ASSUMED_PLACES_CALL_MS,
      invocationsPerReceipt: 1 / FUNCTIONS['process-ocr-results'].batch,
    },
    {
      name: 'stream-processor',
      memoryMb: FUNCTIONS['stream-processor'].memoryMb,
      msPerReceipt: ASSUMED_STREAM_MS,
      invocationsPerReceipt: 1 / FUNCTIONS['stream-processor'].batch,
    },
    {
      name: 'compaction',
      memoryMb: FUNCTIONS.compaction.memoryMb,
      // Measured for the lines delta; the words delta goes the same way, scaled by its size.
      msPerReceipt: hot.compactLarge * (1 + hot.wordsPerLine),
      invocationsPerReceipt: 2 / FUNCTIONS.compaction.batch,
    },
  ];
}
