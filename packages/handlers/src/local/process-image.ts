import { inspectImage, type ReceiptPlace } from '@receiptflow/core';
import type { LocalRuntime } from './local-runtime.js';

export interface ProcessedImage {
  filename: string;
  image_id: string;
  /** Wall time from submit to compacted. */
  ms: number;
  job_status: string | null;
  failure_reason: string | null;
  place: ReceiptPlace | null;
  /** Receipt 1's line texts, top to bottom. */
  lines: string[];
  compacted: boolean;
}

/**
 * Sends one image through the whole local pipeline and waits until it is compacted, so that
 * the next image sees it in vector memory (receipts are processed in order, as in eval).
 */
export async function processImage(
  runtime: LocalRuntime,
  filename: string,
  bytes: Uint8Array,
): Promise<ProcessedImage> {
  const started = performance.now();
  const { contentType } = inspectImage(bytes);
  const { image_id } = await runtime.submit(filename, contentType, bytes);
  await runtime.drain();
  const ms = performance.now() - started;

  const a = runtime.adapters;
  const [job] = await a.jobs.listJobsForImage(image_id);
  const [details] = await a.receipts.list(image_id);
  const place = details ? await a.receipts.getPlace(image_id, details.receipt.receipt_id) : null;
  const runs = details ? await a.runs.list(image_id, details.receipt.receipt_id) : [];
  return {
    filename,
    image_id,
    ms,
    job_status: job?.status ?? null,
    failure_reason: job?.failure_reason ?? null,
    place,
    lines: details?.lines.map((l) => l.text) ?? [],
    compacted: runs.length > 0 && runs.every((r) => r.lines.state === 'COMPLETED' && r.words.state === 'COMPLETED'),
  };
}
