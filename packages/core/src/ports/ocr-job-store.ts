import type { ImageHashClaim, ImageRecord, JobStatus, OcrJob, RoutingDecision } from '../domain/index.js';

/** Fields a job transition may set alongside its new status. */
export type JobPatch = Partial<Pick<OcrJob, 'results_sent_at' | 'failure_reason' | 'attempts'>>;

/** A window of job creation times, ISO strings; either bound may be left open. */
export interface JobCreatedRange {
  /** Inclusive. */
  createdAfter?: string;
  /** Exclusive. */
  createdBefore?: string;
}

/** How many jobs are in one status, counted up to a cap. */
export interface JobCount {
  /** The count, at most the cap. */
  count: number;
  /** True when counting stopped at the cap: there are at least `count`. */
  capped: boolean;
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
 * - `claimImageHash` is conditional too: of concurrent claims of one (owner, sha256) exactly one
 *   is stored, and every caller is told which.
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
  /**
   * Marks a presigned upload as landed, recording the SHA-256 of its bytes when given.
   * Idempotent; NotFoundError if there is no such image.
   */
  markImageUploaded(imageId: string, sizeBytes: number, sha256?: string): Promise<ImageRecord>;
  /**
   * Deletes the image row with its jobs (and their job-id pointers) and routing decisions, once
   * its last receipt is deleted. Receipts and their tombstones are not touched (ReceiptStore).
   * Absent: no-op.
   *
   * @example
   * if ((await receipts.list(imageId)).length === 0) await jobs.deleteImage(imageId);
   */
  deleteImage(imageId: string): Promise<void>;

  /**
   * Claims one owner's bytes (by SHA-256) for an image unless another image holds them, and
   * returns the claim that holds them afterwards: `claim` itself when it won (or this image held
   * it already), else the holder's. submitJob answers `duplicate: true` with the holder's image.
   *
   * @example
   * const holder = await jobs.claimImageHash({ owner, sha256, image_id, job_id, s3_key, claimed_at });
   * if (holder.image_id !== image_id) return { ...holder, duplicate: true };
   */
  claimImageHash(claim: ImageHashClaim): Promise<ImageHashClaim>;
  getImageHashClaim(owner: string, sha256: string): Promise<ImageHashClaim | null>;
  /** Removes the claim if `imageId` holds it (its image was deleted); another holder's is left alone. */
  releaseImageHash(owner: string, sha256: string, imageId: string): Promise<void>;

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
  /**
   * How many jobs are in `status`, counted up to `cap` (a positive integer): the pipeline view's
   * "jobs by status". Read through the jobs-by-status index (DynamoDB: a COUNT query on GSI1,
   * never a scan), so its cost grows with the count, which the cap bounds.
   *
   * @example
   * const { count, capped } = await jobs.countJobsByStatus('FAILED', 10_000); // { count: 3, capped: false }
   */
  countJobsByStatus(status: JobStatus, cap: number): Promise<JobCount>;

  createRoutingDecision(decision: RoutingDecision): Promise<void>;
  getRoutingDecision(jobId: string): Promise<RoutingDecision | null>;
}
