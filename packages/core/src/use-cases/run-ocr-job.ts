import type { Clock, ImageStore, JobStore, Logger, OcrEngine, Queue } from '../ports/index.js';
import type { RoutingDecision } from '../domain/index.js';

export interface RunOcrJobDeps {
  jobs: JobStore;
  /** Where raw images are read from (the job's s3_bucket). */
  images: ImageStore;
  /** Where OCR JSON documents are written. */
  artifacts: ImageStore;
  ocr: OcrEngine;
  resultsQueue: Queue;
  clock: Clock;
  logger?: Logger;
}

export type RunOcrJobOutcome =
  | { status: 'completed'; job_id: string; routing: RoutingDecision; ocr_ms: number }
  /** Already COMPLETED (redelivery): nothing was done again, nothing was sent. */
  | { status: 'duplicate'; job_id: string };

/**
 * The OCR worker's step for one `ocr-queue` message body (unparsed JSON string or object):
 * PENDING/PROCESSING → PROCESSING, download, OCR, classify (NATIVE/PHOTO/SCAN), store the OCR
 * JSON at a deterministic key, create the routing decision, send the results message, mark the
 * job COMPLETED with results_sent_at.
 *
 * Throws PoisonMessageError (not retryable) for a malformed message, a deleted job or a missing
 * image, after marking the job FAILED when it exists. Other errors are retryable.
 */
export async function runOcrJob(_deps: RunOcrJobDeps, _message: unknown): Promise<RunOcrJobOutcome> {
  throw new Error('not implemented');
}
