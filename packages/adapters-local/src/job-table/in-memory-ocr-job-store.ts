import {
  ConditionFailedError,
  ImageHashClaimSchema,
  ImageRecordSchema,
  JOB_TRANSITIONS,
  NotFoundError,
  OcrJobSchema,
  RoutingDecisionSchema,
  ValidationError,
  assertTransition,
  isoNow,
  type ImageHashClaim,
  type ImageRecord,
  type JobCreatedRange,
  type JobPatch,
  type JobStatus,
  type OcrJob,
  type JobCount,
  type OcrJobStore,
  type RoutingDecision,
} from '@receiptflow/core';
import {
  IMAGE_SK,
  JOB_SK_PREFIX,
  ROUTING_SK_PREFIX,
  imageHashClaimKey,
  imagePk,
  jobSk,
  routingSk,
} from '@receiptflow/job-table';
import type { RowWrite } from './in-memory-job-table.js';
import { InMemoryJobTableStore } from './in-memory-job-table-store.js';
import { compare, isoMillis, limited, parse, pick } from './records.js';

/**
 * OcrJobStore in memory, with DynamoDB's semantics: conditional creates, conditional atomic
 * transitions, single-table keys and sort order. Over an {@link InMemoryJobTable} (or
 * {@link FsJobTable} to make it durable).
 *
 * @example
 * const table = await FsJobTable.open('.data/jobs');
 * const jobs = new InMemoryOcrJobStore({ table, clock: new SystemClock() });
 * await jobs.createJob(job);
 * await jobs.transitionJob(job.job_id, 'PENDING', 'PROCESSING', { attempts: 1 });
 */
export class InMemoryOcrJobStore extends InMemoryJobTableStore implements OcrJobStore {
  async createImage(image: ImageRecord): Promise<void> {
    const record = parse(ImageRecordSchema, image, 'image');
    await this.table.createIfAbsent('IMAGE', record, `image ${record.image_id}`);
  }

  async getImage(imageId: string): Promise<ImageRecord | null> {
    return this.table.read<ImageRecord>({ PK: imagePk(imageId), SK: IMAGE_SK });
  }

  async markImageUploaded(imageId: string, sizeBytes: number, sha256?: string): Promise<ImageRecord> {
    if (!Number.isInteger(sizeBytes) || sizeBytes < 0) {
      throw new ValidationError(`image ${imageId}: size ${sizeBytes} is not a byte count`);
    }
    const stored = this.table.row({ PK: imagePk(imageId), SK: IMAGE_SK });
    if (!stored) throw new NotFoundError('image', imageId);
    const image = stored.record as ImageRecord;
    const hash = sha256 ?? image.sha256;
    if (image.upload_state === 'UPLOADED' && image.size_bytes === sizeBytes && image.sha256 === hash)
      return structuredClone(image);
    const next = parse(
      ImageRecordSchema,
      { ...image, upload_state: 'UPLOADED', size_bytes: sizeBytes, ...(hash === undefined ? {} : { sha256: hash }) },
      `image ${imageId}`,
    );
    await this.table.commit([this.table.put('IMAGE', next)]);
    return structuredClone(next);
  }

  async deleteImage(imageId: string): Promise<void> {
    const PK = imagePk(imageId);
    const writes: RowWrite[] = this.table
      .sortKeys(PK, (sk) => sk === IMAGE_SK || sk.startsWith(JOB_SK_PREFIX) || sk.startsWith(ROUTING_SK_PREFIX))
      .map((SK) => ({ PK, SK, row: null }));
    if (writes.length > 0) await this.table.commit(writes);
  }

  async claimImageHash(claim: ImageHashClaim): Promise<ImageHashClaim> {
    const record = parse(ImageHashClaimSchema, claim, 'image hash claim');
    // No await between the read and the commit: concurrent claims serialise (see InMemoryJobTable).
    const held = this.table.read<ImageHashClaim>(imageHashClaimKey(record.owner, record.sha256));
    if (held) return held;
    await this.table.commit([this.table.put('IMAGE_HASH_CLAIM', record)]);
    return record;
  }

  async getImageHashClaim(owner: string, sha256: string): Promise<ImageHashClaim | null> {
    return this.table.read<ImageHashClaim>(imageHashClaimKey(owner, sha256));
  }

  async releaseImageHash(owner: string, sha256: string, imageId: string): Promise<void> {
    const key = imageHashClaimKey(owner, sha256);
    if (this.table.read<ImageHashClaim>(key)?.image_id === imageId) await this.table.commit([{ ...key, row: null }]);
  }

  async createJob(job: OcrJob): Promise<void> {
    const record = parse(OcrJobSchema, job, 'job');
    const indexed = this.table.imageOfJob(record.job_id);
    if (indexed !== undefined && indexed !== record.image_id) {
      throw new ConditionFailedError(`job ${record.job_id} exists already for image ${indexed}`);
    }
    await this.table.createIfAbsent('OCR_JOB', record, `job ${record.job_id}`);
  }

  async getJob(jobId: string): Promise<OcrJob | null> {
    const imageId = this.table.imageOfJob(jobId);
    return imageId === undefined ? null : this.table.read<OcrJob>({ PK: imagePk(imageId), SK: jobSk(jobId) });
  }

  async transitionJob(jobId: string, from: JobStatus, to: JobStatus, patch: JobPatch = {}): Promise<OcrJob> {
    assertTransition('job', JOB_TRANSITIONS, from, to);
    const imageId = this.table.imageOfJob(jobId);
    const stored = imageId === undefined ? undefined : this.table.row({ PK: imagePk(imageId), SK: jobSk(jobId) });
    if (!stored) throw new NotFoundError('job', jobId);
    const job = stored.record as OcrJob;
    if (job.status !== from) {
      throw new ConditionFailedError(`job ${jobId}: expected status ${from}, found ${job.status}`);
    }
    const fields = pick(patch, ['attempts', 'results_sent_at', 'failure_reason']);
    const next = parse(OcrJobSchema, { ...job, ...fields, status: to, updated_at: isoNow(this.clock) }, 'job');
    await this.table.commit([this.table.put('OCR_JOB', next)]);
    return structuredClone(next);
  }

  async listJobsByStatus(status: JobStatus, limit?: number, range: JobCreatedRange = {}): Promise<OcrJob[]> {
    const after = range.createdAfter === undefined ? -Infinity : isoMillis(range.createdAfter, 'createdAfter');
    const before = range.createdBefore === undefined ? Infinity : isoMillis(range.createdBefore, 'createdBefore');
    const jobs = this.table
      .scan<OcrJob>('OCR_JOB')
      .filter((j) => j.status === status)
      .filter((j) => Date.parse(j.created_at) >= after && Date.parse(j.created_at) < before)
      .sort((a, b) => compare(a.created_at, b.created_at) || compare(a.job_id, b.job_id));
    return limited(jobs, limit);
  }

  async countJobsByStatus(status: JobStatus, cap: number): Promise<JobCount> {
    assertCap(cap);
    const count = this.table.scan<OcrJob>('OCR_JOB').filter((j) => j.status === status).length;
    return { count: Math.min(count, cap), capped: count > cap };
  }

  async listJobsForImage(imageId: string): Promise<OcrJob[]> {
    return this.table.query<OcrJob>(imagePk(imageId), (sk) => sk.startsWith(JOB_SK_PREFIX));
  }

  async createRoutingDecision(decision: RoutingDecision): Promise<void> {
    const record = parse(RoutingDecisionSchema, decision, 'routing decision');
    await this.table.createIfAbsent('ROUTING', record, `routing decision of job ${record.job_id}`);
  }

  async getRoutingDecision(jobId: string): Promise<RoutingDecision | null> {
    const imageId = this.table.imageOfJob(jobId);
    if (imageId !== undefined) {
      const found = this.table.read<RoutingDecision>({ PK: imagePk(imageId), SK: routingSk(jobId) });
      if (found) return found;
    }
    // A routing decision may exist without a job row (tests, partial writes).
    return this.table.scan<RoutingDecision>('ROUTING').find((d) => d.job_id === jobId) ?? null;
  }
}

function assertCap(cap: number): void {
  if (!Number.isInteger(cap) || cap < 1) throw new ValidationError(`cap must be a positive integer, got ${cap}`);
}
