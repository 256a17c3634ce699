import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectImage, resolveMerchant, type Logger } from '@receiptflow/core';
import { CatalogPlacesResolver, ExactVectorIndex, HashingEmbedder, SystemClock } from '@receiptflow/adapters-local';
import { TesseractOcrEngine } from '@receiptflow/adapters-local/ocr';
import { LocalRuntime, processImages } from '@receiptflow/handlers/local';
import { RecordingOcrEngine, type Corpus, type CorpusImage } from './corpus.js';
import { median, ratio } from './stats.js';

/** The slice of tesseract.js's API the raw baseline uses. */
interface TesseractModule {
  OEM: { LSTM_ONLY: number };
  createWorker(
    lang: string,
    oem: number,
    options: { langPath: string; gzip: boolean; cachePath: string; errorHandler: () => void },
  ): Promise<{
    recognize(image: Buffer, options: object, output: { blocks: boolean; text: boolean }): Promise<unknown>;
    terminate(): Promise<unknown>;
  }>;
}

/** The eval-style pass: every corpus image in order through the whole local pipeline. */
export interface PipelinePass {
  receipts: number;
  /**
   * What each image adds to the pass's wall time, in corpus order: from the previous image's
   * compaction (the pass's start for the first) to its own. The next image's OCR overlaps the
   * current receipt's later stages ({@link processImages}), so this is less than `latencyMs`.
   */
  ms: number[];
  /** End-to-end ms per image (submit → compacted), in corpus order. */
  latencyMs: number[];
  merchantCorrect: number;
  sources: Record<string, number>;
  placesCalls: number;
  /** Of `placesCalls`, the phone lookups (Text Search Enterprise). */
  placesPhoneCalls: number;
  embeddingTokens: number;
  /** Places calls if every receipt went to Places: no vector memory, no cache. */
  baselinePlacesCalls: number;
  failed: number;
  /** OCR documents, for replaying without OCR. */
  recorder: RecordingOcrEngine;
}

/**
 * Runs the corpus through LocalRuntime one image at a time (as `pnpm eval` does: each receipt is
 * compacted before the next, so repeat merchants can be found in vector memory; the next image's
 * OCR runs during the current receipt's later stages, as `processImages` does), counting Places
 * calls and embedding tokens. The OCR worker is started before the clock runs (eval's first
 * receipt would otherwise carry the worker's start-up).
 */
export async function runPipelinePass(
  corpus: Corpus,
  images: readonly CorpusImage[],
  logger: Logger,
): Promise<PipelinePass> {
  const tesseract = new TesseractOcrEngine({ concurrency: 1 });
  const recorder = new RecordingOcrEngine(tesseract);
  const runtime = await LocalRuntime.open({ logger, catalog: corpus.catalog, ocr: recorder });
  const pass: PipelinePass = {
    receipts: images.length,
    ms: [],
    latencyMs: [],
    merchantCorrect: 0,
    sources: { vector: 0, places: 0, none: 0 },
    placesCalls: 0,
    placesPhoneCalls: 0,
    embeddingTokens: 0,
    baselinePlacesCalls: 0,
    failed: 0,
    recorder,
  };
  const allLines: string[][] = [];
  try {
    await tesseract.recognize(images[0]!.bytes);
    let last = performance.now();
    let n = 0;
    for await (const result of processImages(runtime, images)) {
      const image = images[n++]!;
      const now = performance.now();
      pass.ms.push(now - last);
      last = now;
      pass.latencyMs.push(result.ms);
      if (result.job_status !== 'COMPLETED') pass.failed++;
      const source = result.place?.source ?? 'none';
      pass.sources[source] = (pass.sources[source] ?? 0) + 1;
      if (image.expectedPlaceId !== null && result.place?.place_id === image.expectedPlaceId) pass.merchantCorrect++;
      allLines.push(result.lines);
    }
    pass.placesCalls = runtime.adapters.catalog.calls.total;
    pass.placesPhoneCalls = runtime.adapters.catalog.calls.phone;
    pass.embeddingTokens = runtime.adapters.embedder.tokensUsed;
  } finally {
    await runtime.stop();
    await tesseract.terminate();
  }
  pass.baselinePlacesCalls = await placesOnEveryReceipt(corpus, allLines);
  return pass;
}

/** The Places calls of a pipeline without vector memory and without a Places cache. */
async function placesOnEveryReceipt(corpus: Corpus, receipts: readonly string[][]): Promise<number> {
  // As the runtime's catalog and Google's Text Search Pro mask answer: no phones in text results.
  const places = new CatalogPlacesResolver(corpus.catalog, { textSearchPhones: false });
  const deps = { vectors: new ExactVectorIndex(), embedder: new HashingEmbedder(), places, clock: new SystemClock() };
  for (const lines of receipts) await resolveMerchant(deps, lines, { useMemory: false });
  return places.calls.total;
}

/**
 * Raw tesseract.js on the same images: one worker created exactly as TesseractOcrEngine creates
 * it, the same recognize call, warmed on the first image; ms per image.
 */
export async function rawTesseractMs(images: readonly CorpusImage[]): Promise<number[]> {
  // tesseract.js is adapters-local's dependency, not handlers': load it from there.
  const require = createRequire(import.meta.resolve('@receiptflow/adapters-local/ocr'));
  const { createWorker, OEM } = require('tesseract.js') as TesseractModule;
  const { langPath } = require('@tesseract.js-data/eng') as { langPath: string };
  const cachePath = await mkdtemp(join(tmpdir(), 'receiptflow-bench-tesseract-'));
  const worker = await createWorker('eng', OEM.LSTM_ONLY, {
    langPath,
    gzip: true,
    cachePath,
    errorHandler: () => undefined,
  });
  const ms: number[] = [];
  try {
    await worker.recognize(Buffer.from(images[0]!.bytes), {}, { blocks: true, text: false });
    for (const image of images) {
      const started = performance.now();
      await worker.recognize(Buffer.from(image.bytes), {}, { blocks: true, text: false });
      ms.push(performance.now() - started);
    }
  } finally {
    await worker.terminate();
    await rm(cachePath, { recursive: true, force: true });
  }
  return ms;
}

/**
 * Receipts per second through the whole local pipeline with `workers` OCR workers: every image
 * submitted at once, then drained (OCR in parallel, the later stages as they come).
 */
export async function pipelineThroughput(
  corpus: Corpus,
  images: readonly CorpusImage[],
  workers: number,
  logger: Logger,
): Promise<number> {
  const tesseract = new TesseractOcrEngine({ concurrency: workers });
  const runtime = await LocalRuntime.open({ logger, catalog: corpus.catalog, ocr: tesseract, ocrConcurrency: workers });
  try {
    // Start every worker before the clock runs.
    await Promise.all(Array.from({ length: workers }, () => tesseract.recognize(images[0]!.bytes)));
    const started = performance.now();
    for (const image of images)
      await runtime.submit(image.filename, inspectImage(image.bytes).contentType, image.bytes);
    await runtime.drain();
    const seconds = (performance.now() - started) / 1000;
    return images.length / seconds;
  } finally {
    await runtime.stop();
    await tesseract.terminate();
  }
}

/** P3's overhead: the median over images of pipeline time / raw OCR time, paired by image. */
export function pairedOverhead(pipelineMs: readonly number[], rawMs: readonly number[]): number {
  const n = Math.min(pipelineMs.length, rawMs.length);
  return median(Array.from({ length: n }, (_, i) => ratio(pipelineMs[i]!, rawMs[i]!)));
}
