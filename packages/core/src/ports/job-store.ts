import type {
  Collection,
  CollectionState,
  CompactionRun,
  ImageRecord,
  JobStatus,
  OcrJob,
  ReceiptDetails,
  ReceiptPlace,
  RoutingDecision,
} from '../domain/index.js';
import type { CollectionPatch, CompactionRunRef } from './compaction-run-store.js';
import type { JobCreatedRange, JobPatch } from './ocr-job-store.js';

/**
 * @deprecated Use OcrJobStore, ReceiptStore and CompactionRunStore; this composite goes once
 * every caller has moved.
 *
 * The job table: images, OCR jobs, routing decisions, receipts with lines and words, places and
 * compaction runs. Every create is conditional (create-if-absent) and every state change is a
 * conditional write, as DynamoDB does them.
 *
 * Conventions every adapter follows:
 * - `create*` throws ConditionFailedError if a *different* record exists under the key; writing
 *   an identical record again succeeds (a benign race, not a failure).
 * - `get*` returns null when absent.
 * - transitions check the state machine (IllegalTransitionError) and the expected current state
 *   (ConditionFailedError), atomically.
 */
export interface JobStore {
  createImage(image: ImageRecord): Promise<void>;
  getImage(imageId: string): Promise<ImageRecord | null>;
  /** Marks a presigned upload as landed. Idempotent. */
  markImageUploaded(imageId: string, sizeBytes: number): Promise<ImageRecord>;

  createJob(job: OcrJob): Promise<void>;
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

  /**
   * Writes a receipt with its lines and words, only if the receipt does not exist yet, so a
   * redelivered job never overwrites rows that later steps enriched. Returns what is stored
   * afterwards (the existing rows when they were there already) and whether it wrote.
   */
  createReceipt(details: ReceiptDetails): Promise<{ created: boolean; details: ReceiptDetails }>;
  getReceipt(imageId: string, receiptId: number): Promise<ReceiptDetails | null>;
  listReceipts(imageId: string): Promise<ReceiptDetails[]>;
  /** Deletes the receipt and every child row (lines, words, place, compaction runs). */
  deleteReceipt(imageId: string, receiptId: number): Promise<void>;

  /** Creates or replaces the place of a receipt (merchant corrections replace it). */
  putReceiptPlace(place: ReceiptPlace): Promise<void>;
  getReceiptPlace(imageId: string, receiptId: number): Promise<ReceiptPlace | null>;
  deleteReceiptPlace(imageId: string, receiptId: number): Promise<void>;
  /** Receipts resolved to this place (a GSI in DynamoDB). */
  listPlacesByPlaceId(placeId: string, limit?: number): Promise<ReceiptPlace[]>;

  createCompactionRun(run: CompactionRun): Promise<void>;
  getCompactionRun(imageId: string, receiptId: number, runId: string): Promise<CompactionRun | null>;
  /** Every run of one receipt, oldest first. */
  listCompactionRuns(imageId: string, receiptId: number): Promise<CompactionRun[]>;
  /**
   * Moves one collection of a run from `from` to `to`, touching only that collection's
   * attributes, so lines and words completing concurrently never overwrite each other.
   */
  transitionCollection(
    ref: CompactionRunRef,
    collection: Collection,
    from: CollectionState,
    to: CollectionState,
    patch?: CollectionPatch,
  ): Promise<CompactionRun>;
  /** Runs with a collection not COMPLETED, created before `olderThan` (ISO): for the sweep. */
  listUnfinishedCompactionRuns(olderThan: string, limit?: number): Promise<CompactionRun[]>;
}

