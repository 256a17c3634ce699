import {
  ConditionFailedError,
  JOB_TRANSITIONS,
  NotFoundError,
  assertTransition,
  ImageHashClaimSchema,
  ValidationError,
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
  jobPointerKey,
  jobSk,
  jobStatusGsi1Pk,
  routingSk,
} from '@receiptflow/job-table';
import { createOrMatch } from './conditional-create.js';
import { DynamoDbJobTableStore } from './dynamodb-job-table-store.js';
import type { WriteRequest } from './dynamodb-table.js';
import {
  imageFromItem,
  imageHashClaimFromItem,
  imageHashClaimToItem,
  imageToItem,
  jobFromItem,
  jobToItem,
  routingFromItem,
  routingToItem,
} from './item-codec.js';

// Kept here too: DynamoDbReceiptStore imports it from this module.
export type { DynamoDbStoreConfig } from './dynamodb-job-table-store.js';

/**
 * OcrJobStore over the DynamoDB job table (keys from `@receiptflow/job-table`). Creates are
 * conditional puts that accept an identical existing row; transitions are conditional UpdateItems
 * on the expected status. A job's image is found by job id through an `OCR_JOB#<job>`/`OCR_JOB`
 * pointer row read strongly consistently (a GSI would lag right after the create); jobs by status
 * come from GSI1.
 *
 * @example
 * const jobs = new DynamoDbOcrJobStore(doc, { tableName: 'receiptflow-jobs', clock: new SystemClock() });
 * await jobs.createJob(job);
 * const claimed = await jobs.transitionJob(job.job_id, 'PENDING', 'PROCESSING', { attempts: 1 });
 */
export class DynamoDbOcrJobStore extends DynamoDbJobTableStore implements OcrJobStore {
  async createImage(image: ImageRecord): Promise<void> {
    await createOrMatch(this.table, imageToItem(image), image, imageFromItem, `image ${image.image_id}`);
  }

  async getImage(imageId: string): Promise<ImageRecord | null> {
    const item = await this.table.get({ PK: imagePk(imageId), SK: IMAGE_SK });
    return item ? imageFromItem(item) : null;
  }

  async markImageUploaded(imageId: string, sizeBytes: number, sha256?: string): Promise<ImageRecord> {
    if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256)) {
      throw new ValidationError(`image ${imageId}: sha256 must be 64 lowercase hex digits`);
    }
    try {
      const item = await this.table.update({
        Key: { PK: imagePk(imageId), SK: IMAGE_SK },
        UpdateExpression: `SET upload_state = :uploaded, size_bytes = :size${sha256 === undefined ? '' : ', sha256 = :sha'}`,
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: {
          ':uploaded': 'UPLOADED',
          ':size': sizeBytes,
          ...(sha256 === undefined ? {} : { ':sha': sha256 }),
        },
      });
      return imageFromItem(item);
    } catch (error) {
      if (error instanceof ConditionFailedError) throw new NotFoundError('image', imageId);
      throw error;
    }
  }

  /** The image's rows (image, jobs, routing) in batches, then each job's pointer row. */
  async deleteImage(imageId: string): Promise<void> {
    const pk = imagePk(imageId);
    const [image, jobs, routing] = await Promise.all([
      this.table.get({ PK: pk, SK: IMAGE_SK }),
      this.table.queryPrefix(pk, JOB_SK_PREFIX, ['PK', 'SK', 'job_id']),
      this.table.queryPrefix(pk, ROUTING_SK_PREFIX, ['PK', 'SK']),
    ]);
    // Jobs and routing first, the image row last: a delete that stops part-way is found again
    // (and finished) through the image, which still exists.
    const rows = [...jobs, ...routing].map((r): WriteRequest => ({
      DeleteRequest: { Key: { PK: pk, SK: r.SK as string } },
    }));
    await this.table.batchWrite(rows);
    const pointers = jobs.map((r): WriteRequest => ({ DeleteRequest: { Key: jobPointerKey(String(r.job_id)) } }));
    await this.table.batchWrite(pointers);
    if (image) await this.table.delete({ PK: pk, SK: IMAGE_SK });
  }

  /** A put on condition the key is free; when it is not, the holder read strongly consistently. */
  async claimImageHash(claim: ImageHashClaim): Promise<ImageHashClaim> {
    const item = imageHashClaimToItem(parseClaim(claim));
    // A holder released between our failed put and our read: claim again (bounded; a loop of
    // claims and releases that long is another upload replacing stale claims, and it wins).
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.table.putIfAbsent(item)) return claim;
      const held = await this.table.get(imageHashClaimKey(claim.owner, claim.sha256));
      if (held) return imageHashClaimFromItem(held);
    }
    throw new ConditionFailedError(`image hash claim of ${claim.owner}/${claim.sha256} keeps changing; retry`);
  }

  async getImageHashClaim(owner: string, sha256: string): Promise<ImageHashClaim | null> {
    const item = await this.table.get(imageHashClaimKey(owner, sha256));
    return item ? imageHashClaimFromItem(item) : null;
  }

  async releaseImageHash(owner: string, sha256: string, imageId: string): Promise<void> {
    try {
      await this.table.delete(imageHashClaimKey(owner, sha256), {
        expression: 'image_id = :image',
        values: { ':image': imageId },
      });
    } catch (error) {
      // Absent, or held by another image: not ours to remove.
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }

  async createJob(job: OcrJob): Promise<void> {
    // Pointer first: a job row is never unfindable by id. A pointer left by a failed job put
    // points at the same image and is harmless.
    await this.ensureJobPointer(job.job_id, job.image_id);
    await createOrMatch(this.table, jobToItem(job), job, jobFromItem, `OCR job ${job.job_id}`);
  }

  async getJob(jobId: string): Promise<OcrJob | null> {
    const imageId = await this.imageIdOfJob(jobId);
    if (imageId === null) return null;
    const item = await this.table.get({ PK: imagePk(imageId), SK: jobSk(jobId) });
    return item ? jobFromItem(item) : null;
  }

  async transitionJob(jobId: string, from: JobStatus, to: JobStatus, patch: JobPatch = {}): Promise<OcrJob> {
    assertTransition('OcrJob', JOB_TRANSITIONS, from, to);
    const imageId = await this.imageIdOfJob(jobId);
    if (imageId === null) throw new NotFoundError('job', jobId);
    const sets = ['#status = :to', 'updated_at = :now', 'GSI1PK = :gsi1pk'];
    const values: Record<string, unknown> = {
      ':to': to,
      ':from': from,
      ':now': isoNow(this.clock),
      ':gsi1pk': jobStatusGsi1Pk(to),
    };
    for (const field of ['results_sent_at', 'failure_reason', 'attempts'] as const) {
      if (patch[field] !== undefined) {
        sets.push(`${field} = :${field}`);
        values[`:${field}`] = patch[field];
      }
    }
    try {
      const item = await this.table.update({
        Key: { PK: imagePk(imageId), SK: jobSk(jobId) },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: 'attribute_exists(PK) AND #status = :from',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: values,
      });
      return jobFromItem(item);
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      const current = await this.getJob(jobId);
      if (current === null) throw new NotFoundError('job', jobId);
      throw new ConditionFailedError(`job ${jobId} is ${current.status}, expected ${from} for ${from} -> ${to}`, {
        cause: error,
      });
    }
  }

  async listJobsByStatus(
    status: JobStatus,
    limit = this.defaultListLimit,
    range: JobCreatedRange = {},
  ): Promise<OcrJob[]> {
    // GSI1SK is `<created_at>#<job_id>`: a job created at `createdAfter` sorts after that bare
    // timestamp (inclusive), one created at `createdBefore` sorts after it too (exclusive).
    const { createdAfter: after, createdBefore: before } = range;
    const sortKey =
      after !== undefined && before !== undefined
        ? { condition: ' AND GSI1SK BETWEEN :after AND :before', values: { ':after': after, ':before': before } }
        : after !== undefined
          ? { condition: ' AND GSI1SK >= :after', values: { ':after': after } }
          : before !== undefined
            ? { condition: ' AND GSI1SK < :before', values: { ':before': before } }
            : { condition: '', values: {} };
    const items = await this.table.query(
      {
        IndexName: 'GSI1',
        KeyConditionExpression: `GSI1PK = :pk${sortKey.condition}`,
        ExpressionAttributeValues: { ':pk': jobStatusGsi1Pk(status), ...sortKey.values },
        Limit: Math.min(limit, 1000),
      },
      limit,
    );
    return items.map(jobFromItem);
  }

  async countJobsByStatus(status: JobStatus, cap: number): Promise<JobCount> {
    if (!Number.isInteger(cap) || cap < 1) throw new ValidationError(`cap must be a positive integer, got ${cap}`);
    return this.table.count(
      {
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :pk',
        ExpressionAttributeValues: { ':pk': jobStatusGsi1Pk(status) },
      },
      cap,
    );
  }

  async listJobsForImage(imageId: string): Promise<OcrJob[]> {
    const items = await this.table.queryPrefix(imagePk(imageId), JOB_SK_PREFIX);
    return items.map(jobFromItem).sort(byCreatedThenId);
  }

  async createRoutingDecision(decision: RoutingDecision): Promise<void> {
    // Routing is found by job id alone, through the same pointer as the job.
    await this.ensureJobPointer(decision.job_id, decision.image_id);
    const what = `routing decision of job ${decision.job_id}`;
    await createOrMatch(this.table, routingToItem(decision), decision, routingFromItem, what);
  }

  async getRoutingDecision(jobId: string): Promise<RoutingDecision | null> {
    const imageId = await this.imageIdOfJob(jobId);
    if (imageId === null) return null;
    const item = await this.table.get({ PK: imagePk(imageId), SK: routingSk(jobId) });
    return item ? routingFromItem(item) : null;
  }

  private async ensureJobPointer(jobId: string, imageId: string): Promise<void> {
    try {
      await this.table.put(
        { ...jobPointerKey(jobId), entity: 'OCR_JOB_POINTER', job_id: jobId, image_id: imageId },
        { expression: 'attribute_not_exists(PK) OR image_id = :image', values: { ':image': imageId } },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      throw new ConditionFailedError(`job ${jobId} already belongs to another image than ${imageId}`, {
        cause: error,
      });
    }
  }

  private async imageIdOfJob(jobId: string): Promise<string | null> {
    const pointer = await this.table.get(jobPointerKey(jobId));
    return typeof pointer?.image_id === 'string' ? pointer.image_id : null;
  }
}

function parseClaim(claim: ImageHashClaim): ImageHashClaim {
  const parsed = ImageHashClaimSchema.safeParse(claim);
  if (!parsed.success) {
    throw new ValidationError(
      'image hash claim is invalid',
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  return parsed.data;
}

function byCreatedThenId(a: OcrJob, b: OcrJob): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
  return a.job_id < b.job_id ? -1 : a.job_id > b.job_id ? 1 : 0;
}
