import type {
  ChangeRecord,
  Clock,
  Collection,
  CollectionPatch,
  CollectionState,
  CompactionRun,
  CompactionRunRef,
  ImageRecord,
  JobCreatedRange,
  JobPatch,
  JobStatus,
  JobStore,
  OcrJob,
  ReceiptDetails,
  ReceiptPlace,
  RoutingDecision,
} from '@receiptflow/core';
import { InMemoryCompactionRunStore } from './job-table/in-memory-compaction-run-store.js';
import { InMemoryJobTable } from './job-table/in-memory-job-table.js';
import { InMemoryOcrJobStore } from './job-table/in-memory-ocr-job-store.js';
import { InMemoryReceiptStore } from './job-table/in-memory-receipt-store.js';

export type { ChangeListener } from './job-table/in-memory-job-table.js';

export interface InMemoryJobStoreConfig {
  clock?: Clock;
}

/**
 * @deprecated The three stores over one table: use InMemoryOcrJobStore, InMemoryReceiptStore and
 * InMemoryCompactionRunStore over an InMemoryJobTable. Kept only while callers move.
 */
export class InMemoryJobStore implements JobStore {
  readonly jobs: InMemoryOcrJobStore;
  readonly receipts: InMemoryReceiptStore;
  readonly runs: InMemoryCompactionRunStore;

  constructor(config: InMemoryJobStoreConfig = {}, readonly table: InMemoryJobTable = new InMemoryJobTable()) {
    this.jobs = new InMemoryOcrJobStore({ table, ...config });
    this.receipts = new InMemoryReceiptStore({ table });
    this.runs = new InMemoryCompactionRunStore({ table, ...config });
  }

  subscribe(listener: (change: ChangeRecord) => void): () => void {
    return this.table.subscribe(listener);
  }

  createImage = (image: ImageRecord) => this.jobs.createImage(image);
  getImage = (imageId: string) => this.jobs.getImage(imageId);
  markImageUploaded = (imageId: string, size: number) => this.jobs.markImageUploaded(imageId, size);
  createJob = (job: OcrJob) => this.jobs.createJob(job);
  getJob = (jobId: string) => this.jobs.getJob(jobId);
  transitionJob = (jobId: string, from: JobStatus, to: JobStatus, patch?: JobPatch) =>
    this.jobs.transitionJob(jobId, from, to, patch);
  listJobsByStatus = (status: JobStatus, limit?: number, range?: JobCreatedRange) =>
    this.jobs.listJobsByStatus(status, limit, range);
  listJobsForImage = (imageId: string) => this.jobs.listJobsForImage(imageId);
  createRoutingDecision = (decision: RoutingDecision) => this.jobs.createRoutingDecision(decision);
  getRoutingDecision = (jobId: string) => this.jobs.getRoutingDecision(jobId);
  createReceipt = (details: ReceiptDetails) => this.receipts.create(details);
  getReceipt = (imageId: string, receiptId: number) => this.receipts.get(imageId, receiptId);
  listReceipts = (imageId: string) => this.receipts.list(imageId);
  deleteReceipt = (imageId: string, receiptId: number) => this.receipts.delete(imageId, receiptId);
  putReceiptPlace = (place: ReceiptPlace) => this.receipts.putPlace(place);
  getReceiptPlace = (imageId: string, receiptId: number) => this.receipts.getPlace(imageId, receiptId);
  deleteReceiptPlace = (imageId: string, receiptId: number) => this.receipts.deletePlace(imageId, receiptId);
  listPlacesByPlaceId = (placeId: string, limit?: number) => this.receipts.listByPlaceId(placeId, limit);
  createCompactionRun = (run: CompactionRun) => this.runs.create(run);
  getCompactionRun = (image_id: string, receipt_id: number, run_id: string) => this.runs.get({ image_id, receipt_id, run_id });
  listCompactionRuns = (imageId: string, receiptId: number) => this.runs.list(imageId, receiptId);
  transitionCollection = (
    ref: CompactionRunRef,
    collection: Collection,
    from: CollectionState,
    to: CollectionState,
    patch?: CollectionPatch,
  ) => this.runs.transitionCollection(ref, collection, from, to, patch);
  listUnfinishedCompactionRuns = (olderThan: string, limit?: number) => this.runs.listUnfinished(olderThan, limit);
}
