import * as z from 'zod';
import { schema } from '../schema.js';
import { IdSchema } from './ids.js';
import type { ImageRecord } from './image.js';
import type { Transitions } from './state-machine.js';

export const JobStatusSchema = /* @__PURE__ */ schema(() => z.enum(['PENDING', 'PROCESSING', 'COMPLETED', 'FAILED']));
export type JobStatus = z.infer<typeof JobStatusSchema>;

/**
 * PROCESSING → PROCESSING is a re-claim: a redelivered message after a worker crash.
 * FAILED → PENDING is an explicit retry. COMPLETED is terminal.
 */
export const JOB_TRANSITIONS: Transitions<JobStatus> = {
  PENDING: ['PROCESSING', 'FAILED'],
  PROCESSING: ['PROCESSING', 'COMPLETED', 'FAILED'],
  COMPLETED: [],
  FAILED: ['PENDING'],
};

export const OcrJobSchema = /* @__PURE__ */ schema(() =>
  z.object({
    job_id: IdSchema,
    image_id: IdSchema,
    status: JobStatusSchema,
    s3_bucket: z.string().min(1),
    s3_key: z.string().min(1),
    created_at: z.string().datetime(),
    updated_at: z.string().datetime(),
    attempts: z.number().int().nonnegative(),
    /** Set when the results message was sent, so a redelivery never sends it twice. */
    results_sent_at: z.string().datetime().nullable(),
    failure_reason: z.string().nullable(),
  }),
);
export type OcrJob = z.infer<typeof OcrJobSchema>;

/** A new OCR job for a stored image, waiting for its first OCR attempt. */
export function newPendingJob(job_id: string, image: ImageRecord, now: string): OcrJob {
  return {
    job_id,
    image_id: image.image_id,
    status: 'PENDING',
    s3_bucket: image.s3_bucket,
    s3_key: image.s3_key,
    created_at: now,
    updated_at: now,
    attempts: 0,
    results_sent_at: null,
    failure_reason: null,
  };
}
