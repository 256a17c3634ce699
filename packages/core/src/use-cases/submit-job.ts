import type { Clock, IdGenerator, ImageStore, JobStore, Queue } from '../ports/index.js';

export interface SubmitJobDeps {
  jobs: JobStore;
  images: ImageStore;
  ocrQueue: Queue;
  clock: Clock;
  ids: IdGenerator;
}

export interface SubmitJobInput {
  filename: string;
  contentType: string;
  /** Direct upload: the image bytes. Omit for a presigned PUT URL. */
  body?: Uint8Array;
  /** Presigned URL lifetime, default 900 s. */
  uploadUrlExpiresInSeconds?: number;
}

export interface SubmitJobResult {
  job_id: string;
  image_id: string;
  s3_key: string;
  /** Present for presigned uploads: PUT the bytes here, then call confirmUpload. */
  upload_url: string | null;
}

/**
 * Stores the image under a key unique to this upload (never the filename alone), writes the
 * image and a PENDING OCR job, and (for direct uploads) sends `{job_id, image_id}` to ocr-queue.
 * Throws ValidationError naming the bad field (content type, empty body, filename).
 */
export async function submitJob(_deps: SubmitJobDeps, _input: SubmitJobInput): Promise<SubmitJobResult> {
  throw new Error('not implemented');
}

/**
 * Completes a presigned upload: checks the object landed, marks the image UPLOADED and sends the
 * OCR job message. Idempotent: a second call sends nothing.
 */
export async function confirmUpload(
  _deps: SubmitJobDeps,
  _input: { image_id: string },
): Promise<{ job_id: string; image_id: string; enqueued: boolean }> {
  throw new Error('not implemented');
}
