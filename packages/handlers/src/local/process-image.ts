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

/** Vectors repaired per step while waiting for the next image's OCR (a few ms each step). */
const REPAIR_STEP = 16;

/** An image for {@link processImages}: its bytes are read one image ahead, for the OCR prefetch. */
export interface ImageInput {
  filename: string;
  bytes: Uint8Array | (() => Promise<Uint8Array>);
}

/**
 * {@link processImage} for a sequence, in order, with each next image's OCR overlapping the
 * current receipt's later stages: before an image is submitted, the one after it is handed to
 * {@link LocalRuntime.prefetchOcr}. Receipts are still compacted one at a time, in order, so
 * each receipt's merchant lookup sees every earlier receipt in vector memory, exactly as with
 * processImage in a loop; only the OCR, which does not depend on earlier receipts, runs ahead.
 * Results are yielded as each image is compacted; `ms` is still that image's submit → compacted.
 *
 * @example
 * for await (const processed of processImages(runtime, files.map((f) => ({ filename: f, bytes: () => readFile(f) }))))
 *   console.log(processed.filename, processed.place?.merchant_name);
 */
export async function* processImages(
  runtime: LocalRuntime,
  images: Iterable<ImageInput>,
): AsyncGenerator<ProcessedImage, void, undefined> {
  const read = async (image: ImageInput) => (typeof image.bytes === 'function' ? image.bytes() : image.bytes);
  const iterator = images[Symbol.iterator]();
  let current = iterator.next();
  let currentBytes = current.done ? undefined : await read(current.value);
  // The first image has nothing to overlap with, but prefetching it changes nothing either.
  if (currentBytes) runtime.prefetchOcr(currentBytes);
  while (!current.done) {
    const next = iterator.next();
    const nextBytes = next.done ? undefined : await read(next.value);
    // Queued behind the current image's OCR (one worker), so it starts as this receipt's results stage does.
    if (nextBytes) runtime.prefetchOcr(nextBytes);
    const processed = await processImage(runtime, current.value.filename, currentBytes!);
    // While the next image is still in OCR, this thread would only wait: link the vectors
    // compaction appended unlinked meanwhile, in small steps (a checkpoint, serve's background
    // loop or the index's maxUnlinked bound links whatever is left).
    while (runtime.ocrPrefetchRunning && (await runtime.repairVectors(REPAIR_STEP)) > 0);
    yield processed;
    current = next;
    currentBytes = nextBytes;
  }
}
