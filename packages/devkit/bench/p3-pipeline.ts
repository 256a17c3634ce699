import type { Logger } from '@receiptflow/core';
import type { Corpus } from './corpus.js';
import { pairedOverhead, pipelineThroughput, rawTesseractMs, runPipelinePass, type PipelinePass } from './pipeline.js';
import type { Plan } from './plan.js';
import { median, ratio, round } from './stats.js';

/**
 * P3 (and P6's counts): the eval pass over the corpus, raw tesseract.js on the same images, then
 * throughput with 1 vs 2 OCR workers, alternating which goes first.
 */
export async function measureP3(
  corpus: Corpus,
  plan: Plan,
  logger: Logger,
  progress: (line: string) => void,
): Promise<{ pass: PipelinePass; figures: Record<string, unknown> }> {
  progress(`P3/P6: pipeline pass over ${corpus.description}`);
  const passImages = corpus.images.slice(0, plan.passImages);
  const pass = await runPipelinePass(corpus, passImages, logger);
  const overheadImages = passImages.slice(0, plan.overheadImages);
  progress(`P3: raw tesseract.js on ${overheadImages.length} of the same images`);
  const rawMs = await rawTesseractMs(overheadImages);
  const pipelineMs = pass.ms.slice(0, overheadImages.length);
  const latencyMs = pass.latencyMs.slice(0, overheadImages.length);
  const scalingImages = corpus.images.slice(0, plan.scalingImages);
  const throughput: Record<1 | 2, number[]> = { 1: [], 2: [] };
  for (let i = 0; i < plan.scalingPairs; i++) {
    for (const workers of i % 2 === 0 ? ([1, 2] as const) : ([2, 1] as const)) {
      progress(`P3: throughput of ${scalingImages.length} images with ${workers} OCR worker(s)`);
      throughput[workers].push(await pipelineThroughput(corpus, scalingImages, workers, logger));
    }
  }
  const figures = {
    corpus: corpus.description,
    corpus_source: corpus.source,
    p3_images: overheadImages.length,
    p3_pipeline_ms: round(median(pipelineMs), 1),
    p3_ocr_ms: round(median(rawMs), 1),
    p3_overhead: round(pairedOverhead(pipelineMs, rawMs)),
    p3_latency_ms: round(median(latencyMs), 1),
    p3_latency_overhead: round(pairedOverhead(latencyMs, rawMs)),
    p3_scaling_images: scalingImages.length,
    p3_throughput_1_per_s: round(median(throughput[1])),
    p3_throughput_2_per_s: round(median(throughput[2])),
    p3_scaling: round(ratio(median(throughput[2]), median(throughput[1]))),
  };
  return { pass, figures };
}
