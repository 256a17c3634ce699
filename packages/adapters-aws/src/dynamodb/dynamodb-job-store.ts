import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  COLLECTION_TRANSITIONS,
  ConditionFailedError,
  JOB_TRANSITIONS,
  NotFoundError,
  ValidationError,
  assertTransition,
  isoNow,
  type Clock,
  type Collection,
  type CollectionPatch,
  type CollectionState,
  type CompactionRun,
  type CompactionRunRef,
  type ImageRecord,
  type JobCreatedRange,
  type JobPatch,
  type JobStatus,
  type JobStore,
  type OcrJob,
  type ReceiptDetails,
  type ReceiptPlace,
  type RoutingDecision,
} from '@receiptflow/core';
import { DynamoDbTable, type BatchRetryOptions, type WriteRequest } from './dynamodb-table.js';
import {
  compactionRunFromItem,
  compactionRunToItem,
  imageFromItem,
  imageToItem,
  isCommittedReceiptItem,
  isFinishedRun,
  jobFromItem,
  jobToItem,
  lineFromItem,
  lineToItem,
  placeFromItem,
  placeToItem,
  progressAttribute,
  receiptFromItem,
  receiptToItem,
  routingFromItem,
  routingToItem,
  sameRecord,
  wordFromItem,
  wordToItem,
  type Item,
} from './item-codec.js';
import {
  IMAGE_SK,
  JOB_SK_PREFIX,
  RECEIPT_SK_PREFIX,
  UNFINISHED_RUNS_GSI1PK,
  compactionRunSk,
  imagePk,
  jobPointerKey,
  jobSk,
  jobStatusGsi1Pk,
  placeGsi2Pk,
  placeSk,
  receiptSk,
  routingSk,
} from './keys.js';

export interface DynamoDbJobStoreConfig {
  tableName: string;
  /** For `updated_at` stamps. Defaults to the system clock. */
  clock?: Clock;
  /** Retries of BatchWriteItem's UnprocessedItems when writing receipts. */
  batchRetry?: BatchRetryOptions;
  /** Default page size of list queries without a limit. Default 100. */
  defaultListLimit?: number;
}

const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * JobStore over one DynamoDB table (keys per the deployment contract). Creates are conditional
 * puts that accept an identical existing row; transitions are conditional UpdateItems on the
 * expected state. A job's image is found by job id through an `OCR_JOB#<job>`/`OCR_JOB` pointer
 * row read strongly consistently (a GSI would lag right after the create).
 */
export class DynamoDbJobStore implements JobStore {
  private readonly table: DynamoDbTable;
  private readonly clock: Clock;
  private readonly defaultListLimit: number;

  constructor(doc: DynamoDBDocumentClient, config: DynamoDbJobStoreConfig) {
    this.clock = config.clock ?? systemClock;
    this.table = new DynamoDbTable(doc, { ...config, clock: this.clock });
    this.defaultListLimit = config.defaultListLimit ?? 100;
  }

  // ---- images ----------------------------------------------------------------------------

  async createImage(image: ImageRecord): Promise<void> {
    await this.createOrMatch(imageToItem(image), image, imageFromItem, `image ${image.image_id}`);
  }

  async getImage(imageId: string): Promise<ImageRecord | null> {
    const item = await this.table.get({ PK: imagePk(imageId), SK: IMAGE_SK });
    return item ? imageFromItem(item) : null;
  }

  async markImageUploaded(imageId: string, sizeBytes: number): Promise<ImageRecord> {
    try {
      const item = await this.table.update({
        Key: { PK: imagePk(imageId), SK: IMAGE_SK },
        UpdateExpression: 'SET upload_state = :uploaded, size_bytes = :size',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':uploaded': 'UPLOADED', ':size': sizeBytes },
      });
      return imageFromItem(item);
    } catch (error) {
      if (error instanceof ConditionFailedError) throw new NotFoundError('image', imageId);
      throw error;
    }
  }

  // ---- jobs ------------------------------------------------------------------------------

  async createJob(job: OcrJob): Promise<void> {
    // Pointer first: a job row is never findable-by-id-less. A pointer left by a failed job
    // put points at the same image and is harmless.
    await this.ensureJobPointer(job.job_id, job.image_id);
    await this.createOrMatch(jobToItem(job), job, jobFromItem, `OCR job ${job.job_id}`);
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
      throw new ConditionFailedError(
        `job ${jobId} is ${current.status}, expected ${from} for ${from} -> ${to}`,
        { cause: error },
      );
    }
  }

  async listJobsByStatus(status: JobStatus, limit = this.defaultListLimit, range: JobCreatedRange = {}): Promise<OcrJob[]> {
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

  async listJobsForImage(imageId: string): Promise<OcrJob[]> {
    const items = await this.table.queryPrefix(imagePk(imageId), JOB_SK_PREFIX);
    return items.map(jobFromItem).sort(byCreatedThenId);
  }

  // ---- routing ---------------------------------------------------------------------------

  async createRoutingDecision(decision: RoutingDecision): Promise<void> {
    // Routing is found by job id alone, through the same pointer as the job.
    await this.ensureJobPointer(decision.job_id, decision.image_id);
    await this.createOrMatch(
      routingToItem(decision),
      decision,
      routingFromItem,
      `routing decision of job ${decision.job_id}`,
    );
  }

  async getRoutingDecision(jobId: string): Promise<RoutingDecision | null> {
    const imageId = await this.imageIdOfJob(jobId);
    if (imageId === null) return null;
    const item = await this.table.get({ PK: imagePk(imageId), SK: routingSk(jobId) });
    return item ? routingFromItem(item) : null;
  }

  // ---- receipts --------------------------------------------------------------------------

  /**
   * Receipt row first (conditional, marked WRITING), then lines and words in batches, then the
   * row is committed. Readers ignore a WRITING receipt, so a failure part-way never shows a
   * partial receipt; the failed attempt's rows are removed, and a later attempt may take over a
   * WRITING row left by a crash.
   */
  async createReceipt(details: ReceiptDetails): Promise<{ created: boolean; details: ReceiptDetails }> {
    assertChildrenBelong(details);
    const { image_id: imageId, receipt_id: receiptId } = details.receipt;
    const writeId = randomUUID();
    const pk = imagePk(imageId);
    try {
      await this.table.put(receiptToItem(details.receipt, 'WRITING', writeId), {
        expression: 'attribute_not_exists(PK) OR write_state = :writing',
        values: { ':writing': 'WRITING' },
      });
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      const existing = await this.getReceipt(imageId, receiptId);
      if (existing) return { created: false, details: existing };
      throw new ConditionFailedError(`receipt ${imageId}/${receiptId} is being written concurrently`, {
        cause: error,
      });
    }

    try {
      // Rows of an earlier crashed attempt (WRITING takeover) may not match this one's shape.
      await this.deleteLinesAndWords(pk, receiptId);
      await this.table.batchWrite([
        ...details.lines.map((l): WriteRequest => ({ PutRequest: { Item: lineToItem(l) } })),
        ...details.words.map((w): WriteRequest => ({ PutRequest: { Item: wordToItem(w) } })),
      ]);
      await this.table.update({
        Key: { PK: pk, SK: receiptSk(receiptId) },
        UpdateExpression: 'SET write_state = :committed',
        ConditionExpression: 'write_id = :mine',
        ExpressionAttributeValues: { ':committed': 'COMMITTED', ':mine': writeId },
      });
    } catch (error) {
      if (error instanceof ConditionFailedError) {
        // Another attempt took the WRITING row over; its outcome is the receipt's.
        const existing = await this.getReceipt(imageId, receiptId);
        if (existing) return { created: false, details: existing };
      } else {
        await this.rollbackReceipt(pk, receiptId, writeId);
      }
      throw error;
    }
    return { created: true, details };
  }

  async getReceipt(imageId: string, receiptId: number): Promise<ReceiptDetails | null> {
    const items = await this.table.queryPrefix(imagePk(imageId), receiptSk(receiptId));
    return assembleReceipts(items)[0] ?? null;
  }

  async listReceipts(imageId: string): Promise<ReceiptDetails[]> {
    const items = await this.table.queryPrefix(imagePk(imageId), RECEIPT_SK_PREFIX);
    return assembleReceipts(items);
  }

  async deleteReceipt(imageId: string, receiptId: number): Promise<void> {
    await this.deleteReceiptRows(imagePk(imageId), receiptId);
  }

  // ---- places ----------------------------------------------------------------------------

  async putReceiptPlace(place: ReceiptPlace): Promise<void> {
    await this.table.put(placeToItem(place));
  }

  async getReceiptPlace(imageId: string, receiptId: number): Promise<ReceiptPlace | null> {
    const item = await this.table.get({ PK: imagePk(imageId), SK: placeSk(receiptId) });
    return item ? placeFromItem(item) : null;
  }

  async deleteReceiptPlace(imageId: string, receiptId: number): Promise<void> {
    await this.table.delete({ PK: imagePk(imageId), SK: placeSk(receiptId) });
  }

  async listPlacesByPlaceId(placeId: string, limit = this.defaultListLimit): Promise<ReceiptPlace[]> {
    const items = await this.table.query(
      {
        IndexName: 'GSI2',
        KeyConditionExpression: 'GSI2PK = :pk',
        ExpressionAttributeValues: { ':pk': placeGsi2Pk(placeId) },
        Limit: Math.min(limit, 1000),
      },
      limit,
    );
    return items.map(placeFromItem);
  }

  // ---- compaction runs -------------------------------------------------------------------

  async createCompactionRun(run: CompactionRun): Promise<void> {
    await this.createOrMatch(compactionRunToItem(run), run, compactionRunFromItem, `compaction run ${run.run_id}`);
  }

  async getCompactionRun(imageId: string, receiptId: number, runId: string): Promise<CompactionRun | null> {
    const item = await this.table.get({ PK: imagePk(imageId), SK: compactionRunSk(receiptId, runId) });
    return item ? compactionRunFromItem(item) : null;
  }

  async listCompactionRuns(imageId: string, receiptId: number): Promise<CompactionRun[]> {
    const items = await this.table.queryPrefix(imagePk(imageId), `${receiptSk(receiptId)}#COMPACTION_RUN#`);
    return items
      .map(compactionRunFromItem)
      .sort((a, b) => (a.created_at !== b.created_at ? (a.created_at < b.created_at ? -1 : 1) : a.run_id < b.run_id ? -1 : 1));
  }

  async transitionCollection(
    ref: CompactionRunRef,
    collection: Collection,
    from: CollectionState,
    to: CollectionState,
    patch: CollectionPatch = {},
  ): Promise<CompactionRun> {
    assertTransition(`CompactionRun.${collection}`, COLLECTION_TRANSITIONS, from, to);
    const key = { PK: imagePk(ref.image_id), SK: compactionRunSk(ref.receipt_id, ref.run_id) };
    const attr = (field: 'state' | 'updated_at' | 'merged_count' | 'error') => progressAttribute(collection, field);
    // Only this collection's attributes are named: a concurrent update of the other
    // collection can never be overwritten (no read-modify-write).
    const sets = [`${attr('state')} = :to`, `${attr('updated_at')} = :now`];
    const values: Record<string, unknown> = { ':to': to, ':from': from, ':now': isoNow(this.clock) };
    if (patch.merged_count !== undefined) {
      sets.push(`${attr('merged_count')} = :merged`);
      values[':merged'] = patch.merged_count;
    }
    if (patch.error !== undefined) {
      sets.push(`${attr('error')} = :error`);
      values[':error'] = patch.error;
    }
    let item: Item;
    try {
      item = await this.table.update({
        Key: key,
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: `attribute_exists(PK) AND ${attr('state')} = :from`,
        ExpressionAttributeValues: values,
      });
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      const current = await this.getCompactionRun(ref.image_id, ref.receipt_id, ref.run_id);
      if (current === null) throw new NotFoundError('compaction run', ref.run_id);
      throw new ConditionFailedError(
        `compaction run ${ref.run_id} ${collection} is ${current[collection].state}, expected ${from} for ${from} -> ${to}`,
        { cause: error },
      );
    }
    const run = compactionRunFromItem(item);
    if (isFinishedRun(run)) await this.dropFromSweepIndex(key);
    return run;
  }

  async listUnfinishedCompactionRuns(olderThan: string, limit = this.defaultListLimit): Promise<CompactionRun[]> {
    // The index entry is dropped after both collections complete; a failed drop leaves a
    // finished run in the index, so finished runs are also filtered out here.
    const items = await this.table.query(
      {
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :pk AND GSI1SK < :older',
        FilterExpression: 'NOT (lines_state = :done AND words_state = :done)',
        ExpressionAttributeValues: { ':pk': UNFINISHED_RUNS_GSI1PK, ':older': olderThan, ':done': 'COMPLETED' },
      },
      limit,
    );
    return items.map(compactionRunFromItem).filter((run) => run.created_at < olderThan);
  }

  // ---- helpers ---------------------------------------------------------------------------

  /**
   * Conditional create; if the key is taken by an identical record, that is the benign race of
   * a repeated write and succeeds (docs/lessons.md#lesson-11-benign-races-counted-as-failures); a different record is a ConditionFailedError.
   */
  private async createOrMatch<T>(item: Item, record: T, decode: (item: Item) => T, what: string): Promise<void> {
    if (await this.table.putIfAbsent(item)) return;
    const existing = await this.table.get({ PK: item.PK as string, SK: item.SK as string });
    if (existing && sameRecord(decode(existing), record)) return;
    throw new ConditionFailedError(`${what} already exists with different content`);
  }

  private async ensureJobPointer(jobId: string, imageId: string): Promise<void> {
    try {
      await this.table.put(
        { ...jobPointerKey(jobId), entity: 'OCR_JOB_POINTER', job_id: jobId, image_id: imageId },
        {
          expression: 'attribute_not_exists(PK) OR image_id = :image',
          values: { ':image': imageId },
        },
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

  /** Deletes every row of a receipt: children first, the receipt row last. */
  private async deleteReceiptRows(pk: string, receiptId: number): Promise<void> {
    const rowSk = receiptSk(receiptId);
    const rows = await this.table.queryPrefix(pk, rowSk, ['PK', 'SK']);
    const children = rows.filter((r) => r.SK !== rowSk);
    await this.table.batchWrite(
      children.map((r): WriteRequest => ({ DeleteRequest: { Key: { PK: pk, SK: r.SK as string } } })),
    );
    if (rows.length > children.length) await this.table.delete({ PK: pk, SK: rowSk });
  }

  /** Deletes the line and word rows of a receipt being written (nothing else is ours). */
  private async deleteLinesAndWords(pk: string, receiptId: number): Promise<void> {
    const rows = await this.table.queryPrefix(pk, `${receiptSk(receiptId)}#LINE#`, ['PK', 'SK']);
    await this.table.batchWrite(
      rows.map((r): WriteRequest => ({ DeleteRequest: { Key: { PK: pk, SK: r.SK as string } } })),
    );
  }

  /** Best effort: the WRITING marker already hides the receipt if this fails too. */
  private async rollbackReceipt(pk: string, receiptId: number, writeId: string): Promise<void> {
    try {
      await this.deleteLinesAndWords(pk, receiptId);
      await this.table.delete(
        { PK: pk, SK: receiptSk(receiptId) },
        { expression: 'write_id = :mine', values: { ':mine': writeId } },
      );
    } catch {
      // Left as WRITING: invisible to readers, taken over by the next attempt.
    }
  }

  private async dropFromSweepIndex(key: { PK: string; SK: string }): Promise<void> {
    try {
      await this.table.update({
        Key: key,
        UpdateExpression: 'REMOVE GSI1PK, GSI1SK',
        ConditionExpression: 'lines_state = :done AND words_state = :done',
        ExpressionAttributeValues: { ':done': 'COMPLETED' },
      });
    } catch {
      // Only an optimisation: the sweep filters finished runs on read.
    }
  }
}

function byCreatedThenId(a: OcrJob, b: OcrJob): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
  return a.job_id < b.job_id ? -1 : a.job_id > b.job_id ? 1 : 0;
}

function assertChildrenBelong(details: ReceiptDetails): void {
  const { image_id, receipt_id } = details.receipt;
  const strays = [...details.lines, ...details.words].filter(
    (c) => c.image_id !== image_id || c.receipt_id !== receipt_id,
  );
  if (strays.length > 0) {
    throw new ValidationError(`receipt ${image_id}/${receipt_id} has children of another receipt`, [
      `${strays.length} line/word rows with a different image_id or receipt_id`,
    ]);
  }
}

/** Groups rows (in SK order) into committed receipts with their lines and words. */
function assembleReceipts(items: Item[]): ReceiptDetails[] {
  const receipts = new Map<number, ReceiptDetails>();
  for (const item of items) {
    if (item.entity === 'RECEIPT' && isCommittedReceiptItem(item)) {
      const receipt = receiptFromItem(item);
      receipts.set(receipt.receipt_id, { receipt, lines: [], words: [] });
    }
  }
  for (const item of items) {
    const details = receipts.get(Number(item.receipt_id));
    if (!details) continue;
    if (item.entity === 'RECEIPT_LINE') details.lines.push(lineFromItem(item));
    else if (item.entity === 'RECEIPT_WORD') details.words.push(wordFromItem(item));
  }
  return [...receipts.values()].sort((a, b) => a.receipt.receipt_id - b.receipt.receipt_id);
}
