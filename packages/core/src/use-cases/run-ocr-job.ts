import {
  OcrJobMessageSchema,
  classifyImage,
  parseMessageBody,
  type OcrDocument,
  type OcrJob,
  type OcrJobMessage,
  type OcrResultsMessage,
  type RoutingDecision,
} from '../domain/index.js';
import {
  ConditionFailedError,
  NotFoundError,
  PoisonMessageError,
  TransientDependencyError,
  ValidationError,
} from '../errors.js';
import {
  isImageStoreProvider,
  isoNow,
  silentLogger,
  withFields,
  type Clock,
  type ImageStore,
  type NamedImageStore,
  type ImageStoreProvider,
  type OcrJobStore,
  type Logger,
  type OcrEngine,
  type Queue,
} from '../ports/index.js';
import { countReceipts } from '../layout/build-receipt.js';

export interface RunOcrJobDeps {
  jobs: OcrJobStore;
  /**
   * Where raw images are read from: a store bound to one bucket (an image in any other bucket is
   * poison), or a provider that opens the bucket the message (else the job record) names.
   */
  images: NamedImageStore | ImageStoreProvider;
  /**
   * Where OCR JSON documents are written: a store bound to one bucket, or a provider that opens
   * the message's `ocr_s3_bucket`, else the image's own bucket (the seed's one-bucket layout).
   */
  artifacts: NamedImageStore | ImageStoreProvider;
  ocr: OcrEngine;
  resultsQueue: Queue;
  clock: Clock;
  logger?: Logger;
}

/** The failure_reason of a job whose image OCRs to no usable text (a blank page, a photo of the back). */
export const NO_TEXT_FOUND = 'no text found';

export type RunOcrJobOutcome =
  | { status: 'completed'; job_id: string; routing: RoutingDecision; ocr_ms: number }
  /** OCR ran and found no usable line: the job is FAILED ("no text found"), nothing was sent. */
  | { status: 'no_text'; job_id: string; routing: RoutingDecision; ocr_ms: number }
  /** Already COMPLETED (redelivery): nothing was done again, nothing was sent. */
  | { status: 'duplicate'; job_id: string };

/** Where the OCR JSON of a job is stored in the artifacts bucket. */
export function ocrDocumentKey(imageId: string, jobId: string): string {
  return `ocr/${imageId}/${jobId}.json`;
}

/**
 * The OCR worker's step for one `ocr-queue` message body (unparsed JSON string or object):
 * PENDING/PROCESSING → PROCESSING, download, OCR, classify (NATIVE/PHOTO/SCAN), store the OCR
 * JSON at a deterministic key, create the routing decision, send the results message, mark the
 * job COMPLETED with results_sent_at. An image with no usable text ends the job as FAILED with
 * failure_reason {@link NO_TEXT_FOUND} and sends nothing: no later step has anything to do.
 *
 * Throws PoisonMessageError (not retryable) for a malformed message, a deleted job or a missing
 * image, after marking the job FAILED when it exists. Other errors are retryable.
 *
 * @example
 * const outcome = await runOcrJob(deps, message.body);
 * if (outcome.status === 'completed') logger.info('ocr done', { image_type: outcome.routing.image_type, ocr_ms: outcome.ocr_ms });
 */
export async function runOcrJob(deps: RunOcrJobDeps, message: unknown): Promise<RunOcrJobOutcome> {
  const msg = parseMessageBody<OcrJobMessage>(message, OcrJobMessageSchema, 'OCR job message');
  const logger = withFields(deps.logger ?? silentLogger, { image_id: msg.image_id, job_id: msg.job_id });
  const existing = await deps.jobs.getJob(msg.job_id);
  if (!existing) throw new PoisonMessageError(`OCR job ${msg.job_id} no longer exists (deleted)`);
  if (existing.image_id !== msg.image_id) {
    throw new PoisonMessageError(`OCR job ${msg.job_id} belongs to image ${existing.image_id}, not ${msg.image_id}`);
  }
  if (existing.status === 'COMPLETED') return { status: 'duplicate', job_id: existing.job_id };
  if (existing.status === 'FAILED' && existing.failure_reason === NO_TEXT_FOUND) {
    // Redelivered after the no-text outcome was recorded: already settled.
    return { status: 'duplicate', job_id: existing.job_id };
  }
  if (existing.status === 'FAILED') {
    throw new PoisonMessageError(
      `OCR job ${existing.job_id} is FAILED (${existing.failure_reason ?? 'no reason'}); retry it explicitly`,
    );
  }

  const location = imageLocation(msg, existing);
  const job = await claim(deps.jobs, existing);
  if (job.status === 'COMPLETED') return { status: 'duplicate', job_id: job.job_id };

  if (job.results_sent_at !== null) {
    // Crashed after sending the results but before COMPLETED: finish without OCR or a resend.
    const routing = await deps.jobs.getRoutingDecision(job.job_id);
    if (routing) {
      await deps.jobs.transitionJob(job.job_id, 'PROCESSING', 'COMPLETED');
      return { status: 'completed', job_id: job.job_id, routing, ocr_ms: 0 };
    }
  }
  const image = await loadImage(deps, job, location);
  const started = deps.clock.now();
  let doc: OcrDocument;
  try {
    doc = await deps.ocr.recognize(image);
  } catch (error) {
    if (error instanceof ValidationError) {
      await fail(deps.jobs, job, `image is not decodable: ${error.message}`);
      throw new PoisonMessageError(`OCR job ${job.job_id}: image ${job.s3_key} is not decodable: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
  const ocr_ms = deps.clock.now() - started;

  const ocrKey = ocrDocumentKey(job.image_id, job.job_id);
  const ocrBucket = isImageStoreProvider(deps.artifacts)
    ? (msg.ocr_s3_bucket ?? location.bucket)
    : deps.artifacts.bucket;
  const artifacts = isImageStoreProvider(deps.artifacts) ? deps.artifacts.forBucket(ocrBucket) : deps.artifacts;
  await artifacts.put(ocrKey, new TextEncoder().encode(JSON.stringify(doc)), {
    contentType: 'application/json',
    metadata: { job_id: job.job_id, image_id: job.image_id, engine: doc.engine },
  });
  const routing = await ensureRouting(deps, job, doc, { bucket: ocrBucket, key: ocrKey });
  if (routing.receipt_count === 0) {
    // Nothing to build a receipt from: a COMPLETED job here would sit at ocr_done forever.
    await deps.jobs.transitionJob(job.job_id, 'PROCESSING', 'FAILED', { failure_reason: NO_TEXT_FOUND });
    logger.warn('ocr found no text; job failed', {
      job_id: job.job_id,
      image_id: job.image_id,
      lines: doc.lines.length,
      ocr_ms,
    });
    return { status: 'no_text', job_id: job.job_id, routing, ocr_ms };
  }

  if (job.results_sent_at === null) {
    const results: OcrResultsMessage = {
      job_id: job.job_id,
      image_id: job.image_id,
      s3_bucket: routing.ocr_s3_bucket,
      s3_key: routing.ocr_s3_key,
      receipt_count: routing.receipt_count,
    };
    await deps.resultsQueue.send(JSON.stringify(results));
  }
  await deps.jobs.transitionJob(job.job_id, 'PROCESSING', 'COMPLETED', {
    results_sent_at: job.results_sent_at ?? isoNow(deps.clock),
  });
  logger.info('ocr job completed', { image_type: routing.image_type, receipt_count: routing.receipt_count, ocr_ms });
  return { status: 'completed', job_id: job.job_id, routing, ocr_ms };
}

/**
 * PENDING → PROCESSING, or PROCESSING → PROCESSING for a redelivery after a crash, counting the
 * attempt. Losing the conditional write means another worker moved the job: if it finished, this
 * is a duplicate; otherwise the message is retried later.
 */
async function claim(jobs: OcrJobStore, job: OcrJob): Promise<OcrJob> {
  try {
    return await jobs.transitionJob(job.job_id, job.status, 'PROCESSING', { attempts: job.attempts + 1 });
  } catch (error) {
    if (error instanceof NotFoundError)
      throw new PoisonMessageError(`OCR job ${job.job_id} was deleted while claiming it`);
    if (!(error instanceof ConditionFailedError)) throw error;
    const now = await jobs.getJob(job.job_id);
    if (!now) throw new PoisonMessageError(`OCR job ${job.job_id} was deleted while claiming it`);
    if (now.status === 'COMPLETED') return now;
    throw new TransientDependencyError(
      'job-store',
      `OCR job ${job.job_id} was claimed concurrently (now ${now.status})`,
      { cause: error },
    );
  }
}

/** Where the raw image is: the message's seed-shaped fields, else the job record's. */
function imageLocation(msg: OcrJobMessage, job: OcrJob): { bucket: string; key: string } {
  if (msg.s3_bucket === undefined || msg.s3_key === undefined) return { bucket: job.s3_bucket, key: job.s3_key };
  if (msg.s3_bucket !== job.s3_bucket || msg.s3_key !== job.s3_key) {
    // The job record is the truth; a message that disagrees was built wrong (or tampered with).
    // The job itself is fine, so it is not marked FAILED: a correct message can still run it.
    throw new PoisonMessageError(
      `OCR job ${job.job_id}: message names s3://${msg.s3_bucket}/${msg.s3_key}, the job record s3://${job.s3_bucket}/${job.s3_key}`,
    );
  }
  return { bucket: msg.s3_bucket, key: msg.s3_key };
}

async function loadImage(deps: RunOcrJobDeps, job: OcrJob, at: { bucket: string; key: string }): Promise<Uint8Array> {
  let images: ImageStore;
  if (isImageStoreProvider(deps.images)) {
    images = deps.images.forBucket(at.bucket);
  } else {
    const raw = deps.images;
    images = raw;
    if (at.bucket !== raw.bucket) {
      await fail(deps.jobs, job, `image bucket ${at.bucket} is not the raw bucket ${raw.bucket}`);
      throw new PoisonMessageError(
        `OCR job ${job.job_id}: image is in bucket ${at.bucket}, worker reads ${raw.bucket}`,
      );
    }
  }
  try {
    const object = await images.get(at.key);
    if (object.body.length === 0) throw new NotFoundError('image bytes', at.key);
    return object.body;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    await fail(deps.jobs, job, `image ${at.key} is missing`);
    throw new PoisonMessageError(`OCR job ${job.job_id}: image s3://${at.bucket}/${at.key} is missing`, {
      cause: error,
    });
  }
}

async function fail(jobs: OcrJobStore, job: OcrJob, reason: string): Promise<void> {
  try {
    await jobs.transitionJob(job.job_id, 'PROCESSING', 'FAILED', { failure_reason: reason });
  } catch (error) {
    // The job was deleted or moved meanwhile; the message is poison either way.
    if (!(error instanceof ConditionFailedError) && !(error instanceof NotFoundError)) throw error;
  }
}

async function ensureRouting(
  deps: RunOcrJobDeps,
  job: OcrJob,
  doc: OcrDocument,
  ocr: { bucket: string; key: string },
): Promise<RoutingDecision> {
  const stored = await deps.jobs.getRoutingDecision(job.job_id);
  if (stored) return stored;
  const { image_type, reason } = classifyImage(doc);
  const decision: RoutingDecision = {
    job_id: job.job_id,
    image_id: job.image_id,
    image_type,
    receipt_count: countReceipts(doc, image_type),
    ocr_s3_bucket: ocr.bucket,
    ocr_s3_key: ocr.key,
    engine: doc.engine,
    reason,
    created_at: isoNow(deps.clock),
  };
  try {
    await deps.jobs.createRoutingDecision(decision);
    return decision;
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
    // A concurrent redelivery wrote it first: use theirs, so both send the same message.
    const theirs = await deps.jobs.getRoutingDecision(job.job_id);
    if (!theirs) throw error;
    return theirs;
  }
}
