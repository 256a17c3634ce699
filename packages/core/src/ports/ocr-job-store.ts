import type { ImageRecord, JobStatus, OcrJob, RoutingDecision } from '../domain/index.js';

/** Fields a job transition may set alongside its new status. */
export type JobPatch = Partial<Pick<OcrJob, 'results_sent_at' | 'failure_reason' | 'attempts'>>;

/** A window of job creation times, ISO strings; either bound may be left open. */
export interface JobCreatedRange {
  /** Inclusive. */
  createdAfter?: string;
  /** Exclusive. */
  createdBefore?: string;
}

/**
 * Uploaded images, the OCR jobs run on them, and the routing decision each job's OCR made.
 *
 * Promises every adapter keeps (proved by `describeOcrJobStoreContract`):
 * - `create*` is conditional: it throws ConditionFailedError if a *different* record exists under
 *   the key; writing an identical record again succeeds (a redelivery's benign race, not a failure).
 * - `get*` returns null when absent; what is returned is a copy.
 * - `transitionJob` checks the state machine (IllegalTransitionError) and the expected current
 *   status (ConditionFailedError) atomically, so of concurrent claims exactly one wins.
 *
 * @example
 * await jobs.createImage(image);
 * await jobs.createJob(newPendingJob(...));
 * const claimed = await jobs.transitionJob(jobId, 'PENDING', 'PROCESSING', { attempts: 1 });
 * await jobs.createRoutingDecision(decision);
 */
export interface OcrJobStore {
  createImage(image: ImageRecord): Promise<void>;
  getImage(imageId: string): Promise<ImageRecord | null>;
  /** Marks a presigned upload as landed. Idempotent; NotFoundError if there is no such image. */
  markImageUploaded(imageId: string, sizeBytes: number): Promise<ImageRecord>;

  createJob(job: OcrJob): Promise<void>;
  /** Found by job id alone (strongly consistent: right after `createJob`, it is there). */
  getJob(jobId: string): Promise<OcrJob | null>;
  /** Moves a job from `from` to `to` atomically; returns the updated job. */
  transitionJob(jobId: string, from: JobStatus, to: JobStatus, patch?: JobPatch): Promise<OcrJob>;
  /**
   * Jobs in one status, oldest first. `range` narrows them by `created_at` (after: inclusive,
   * before: exclusive), so the sweep reads a window of a status that only grows (COMPLETED)
   * instead of all of it.
   */
  listJobsByStatus(status: JobStatus, limit?: number, range?: JobCreatedRange): Promise<OcrJob[]>;
  listJobsForImage(imageId: string): Promise<OcrJob[]>;

  createRoutingDecision(decision: RoutingDecision): Promise<void>;
  getRoutingDecision(jobId: string): Promise<RoutingDecision | null>;
}
