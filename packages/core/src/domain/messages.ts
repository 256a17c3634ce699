import { schema } from '../schema.js';
import * as z from 'zod';
import type { ZodType } from 'zod';
import { PoisonMessageError } from '../errors.js';
import { CollectionSchema, IdSchema, ReceiptIdSchema } from './ids.js';

/**
 * `ocr-queue`: one image to OCR, in the seed's shape `{image_id, job_id, s3_bucket, s3_key}`.
 * - `s3_bucket`/`s3_key` name the raw image. Messages queued before they existed carry neither
 *   (both or neither: half a location is malformed); the worker then reads the job record's.
 * - `ocr_s3_bucket` (optional, ours): where the worker writes the OCR JSON. The producer knows
 *   the deployment's artifacts bucket, so a worker started without `--artifacts-bucket` still
 *   writes where process-OCR-results reads. Without it, the image's own bucket is used.
 * Unknown keys are ignored, so other producers' extra fields do not make a message poison.
 */
export const OcrJobMessageSchema = /* @__PURE__ */ schema(() =>
  z
    .object({
      job_id: IdSchema,
      image_id: IdSchema,
      s3_bucket: z.string().min(1).optional(),
      s3_key: z.string().min(1).optional(),
      ocr_s3_bucket: z.string().min(1).optional(),
    })
    .refine((m) => (m.s3_bucket === undefined) === (m.s3_key === undefined), {
      message: 's3_bucket and s3_key come together (or neither)',
      path: ['s3_key'],
    }),
);
export type OcrJobMessage = z.infer<typeof OcrJobMessageSchema>;

/**
 * The `ocr-queue` message for a job: the seed's four fields, plus `ocr_s3_bucket` when the
 * producer knows where OCR JSON belongs.
 *
 * @example
 * ocrJobMessage(job, 'receiptflow-artifacts')
 * // { job_id, image_id, s3_bucket: 'receiptflow-raw', s3_key: 'raw/<image_id>/r.png', ocr_s3_bucket: 'receiptflow-artifacts' }
 */
export function ocrJobMessage(
  job: { job_id: string; image_id: string; s3_bucket: string; s3_key: string },
  ocrBucket?: string,
): OcrJobMessage {
  return {
    job_id: job.job_id,
    image_id: job.image_id,
    s3_bucket: job.s3_bucket,
    s3_key: job.s3_key,
    ...(ocrBucket ? { ocr_s3_bucket: ocrBucket } : {}),
  };
}

/** `ocr-results-queue`: where the OCR document of a finished job is stored. */
export const OcrResultsMessageSchema = /* @__PURE__ */ schema(() =>
  z.object({
    job_id: IdSchema,
    image_id: IdSchema,
    s3_bucket: z.string().min(1),
    s3_key: z.string().min(1),
    receipt_count: z.number().int().nonnegative(),
  }),
);
export type OcrResultsMessage = z.infer<typeof OcrResultsMessageSchema>;

const MetadataValue = /* @__PURE__ */ schema(() => z.union([z.string(), z.number(), z.boolean(), z.null()]));

/**
 * Compaction queue: one unit of work on one collection, produced by `routeChange`.
 * - `merge`: apply the run's delta for this collection.
 * - `update_metadata`: replace merchant fields on a receipt's vectors (null clears a key).
 * - `delete_receipt`: remove every vector of a receipt.
 */
export const CompactionMessageSchema = /* @__PURE__ */ schema(() =>
  z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('merge'),
      collection: CollectionSchema,
      run_id: IdSchema,
      image_id: IdSchema,
      receipt_id: ReceiptIdSchema,
      /** The run's OCR job, for log lines; absent when the run row predates it. */
      job_id: IdSchema.optional(),
      delta_key: z.string().min(1),
    }),
    z.object({
      kind: z.literal('update_metadata'),
      collection: CollectionSchema,
      image_id: IdSchema,
      receipt_id: ReceiptIdSchema,
      metadata: z.record(z.string(), MetadataValue),
    }),
    z.object({
      kind: z.literal('delete_receipt'),
      collection: CollectionSchema,
      image_id: IdSchema,
      receipt_id: ReceiptIdSchema,
    }),
  ]),
);
export type CompactionMessage = z.infer<typeof CompactionMessageSchema>;

/** Parses a queue body (JSON string or already-parsed object); PoisonMessageError if malformed. */
export function parseMessageBody<T>(body: unknown, schema: ZodType<T>, what: string): T {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      throw new PoisonMessageError(`${what} is not JSON: ${body.slice(0, 80)}`);
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`);
    throw new PoisonMessageError(`${what} is malformed: ${issues.join('; ')}`);
  }
  return parsed.data;
}
