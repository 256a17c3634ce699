import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type {
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
import { DynamoDbCompactionRunStore } from './dynamodb-compaction-run-store.js';
import { DynamoDbOcrJobStore, type DynamoDbStoreConfig } from './dynamodb-ocr-job-store.js';
import { DynamoDbReceiptStore } from './dynamodb-receipt-store.js';

export interface DynamoDbJobStoreConfig extends Omit<DynamoDbStoreConfig, 'clock'> {
  clock?: Clock;
}

const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * @deprecated DynamoDbOcrJobStore, DynamoDbReceiptStore and DynamoDbCompactionRunStore; kept only
 * while callers move.
 */
export class DynamoDbJobStore implements JobStore {
  private readonly jobs: DynamoDbOcrJobStore;
  private readonly receipts: DynamoDbReceiptStore;
  private readonly runs: DynamoDbCompactionRunStore;

  constructor(doc: DynamoDBDocumentClient, config: DynamoDbJobStoreConfig) {
    const full = { ...config, clock: config.clock ?? systemClock };
    this.jobs = new DynamoDbOcrJobStore(doc, full);
    this.receipts = new DynamoDbReceiptStore(doc, full);
    this.runs = new DynamoDbCompactionRunStore(doc, full);
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
