import { isDeepStrictEqual } from 'node:util';
import {
  COLLECTION_TRANSITIONS,
  CompactionRunSchema,
  ConditionFailedError,
  ImageRecordSchema,
  JOB_TRANSITIONS,
  NotFoundError,
  OcrJobSchema,
  ReceiptLineSchema,
  ReceiptPlaceSchema,
  ReceiptSchema,
  ReceiptWordSchema,
  RoutingDecisionSchema,
  ValidationError,
  assertTransition,
  isoNow,
  type ChangeRecord,
  type Clock,
  type Collection,
  type CollectionPatch,
  type CollectionState,
  type CompactionRun,
  type CompactionRunRef,
  type Entity,
  type ImageRecord,
  type JobCreatedRange,
  type JobPatch,
  type JobStatus,
  type JobStore,
  type OcrJob,
  type ReceiptDetails,
  type ReceiptLine,
  type ReceiptPlace,
  type ReceiptWord,
  type RoutingDecision,
} from '@receiptflow/core';
import type { z } from 'zod';
import { SystemClock } from './system-clock.js';
import { imagePk, placeSk, receiptSk, rowKeyOf, runSk, type RowKey } from './job-table-rows.js';

interface Row {
  entity: Entity;
  record: Record<string, unknown>;
}

/** One row written (`row`) or removed (`row: null`) by an operation. */
interface RowWrite extends RowKey {
  row: Row | null;
}

/** Receives every row change, shaped like a DynamoDB stream record (NEW_AND_OLD_IMAGES). */
export type ChangeListener = (change: ChangeRecord) => void;

export interface InMemoryJobStoreConfig {
  /** Stamps `updated_at` on transitions; default the system clock. */
  clock?: Clock;
}

/**
 * The job table in memory, with DynamoDB's semantics: conditional creates, conditional and
 * atomic transitions (each operation's read-check-write runs without an `await`, so concurrent
 * callers serialise like conditional writes do), single-table keys and sort order.
 *
 * It also has a change feed: {@link subscribe} delivers one ChangeRecord per row inserted,
 * modified or removed (a removed receipt yields a REMOVE for every child row, then the receipt),
 * synchronously after the write, like a DynamoDB stream with NEW_AND_OLD_IMAGES. Listeners must
 * handle their own errors; a throwing listener does not undo the write.
 *
 * Everything is deep-copied in and out, so callers cannot mutate stored state.
 */
export class InMemoryJobStore implements JobStore {
  private readonly tables = new Map<string, Map<string, Row>>();
  /** job_id → image_id, the local stand-in for the `OCR_JOB#<job>` pointer item. */
  private readonly jobImage = new Map<string, string>();
  private readonly listeners = new Set<ChangeListener>();
  private sequence = 0;
  protected readonly clock: Clock;

  constructor(config: InMemoryJobStoreConfig = {}) {
    this.clock = config.clock ?? new SystemClock();
  }

  /** Registers a change listener; returns the function that unsubscribes it. */
  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  // ---- images ----

  async createImage(image: ImageRecord): Promise<void> {
    const record = parse(ImageRecordSchema, image, 'image');
    await this.createIfAbsent('IMAGE', record, `image ${record.image_id}`);
  }

  async getImage(imageId: string): Promise<ImageRecord | null> {
    return this.read<ImageRecord>(imagePk(imageId), 'IMAGE');
  }

  async markImageUploaded(imageId: string, sizeBytes: number): Promise<ImageRecord> {
    if (!Number.isInteger(sizeBytes) || sizeBytes < 0) {
      throw new ValidationError(`image ${imageId}: size ${sizeBytes} is not a byte count`);
    }
    const stored = this.row(imagePk(imageId), 'IMAGE');
    if (!stored) throw new NotFoundError('image', imageId);
    const image = stored.record as ImageRecord;
    if (image.upload_state === 'UPLOADED' && image.size_bytes === sizeBytes) return clone(image);
    const next: ImageRecord = { ...image, upload_state: 'UPLOADED', size_bytes: sizeBytes };
    await this.commit([this.put('IMAGE', next)]);
    return clone(next);
  }

  // ---- jobs ----

  async createJob(job: OcrJob): Promise<void> {
    const record = parse(OcrJobSchema, job, 'job');
    const indexed = this.jobImage.get(record.job_id);
    if (indexed !== undefined && indexed !== record.image_id) {
      throw new ConditionFailedError(`job ${record.job_id} exists already for image ${indexed}`);
    }
    await this.createIfAbsent('OCR_JOB', record, `job ${record.job_id}`);
  }

  async getJob(jobId: string): Promise<OcrJob | null> {
    const imageId = this.jobImage.get(jobId);
    return imageId === undefined ? null : this.read<OcrJob>(imagePk(imageId), `OCR_JOB#${jobId}`);
  }

  async transitionJob(jobId: string, from: JobStatus, to: JobStatus, patch: JobPatch = {}): Promise<OcrJob> {
    assertTransition('job', JOB_TRANSITIONS, from, to);
    const imageId = this.jobImage.get(jobId);
    const stored = imageId === undefined ? null : this.row(imagePk(imageId), `OCR_JOB#${jobId}`);
    if (!stored) throw new NotFoundError('job', jobId);
    const job = stored.record as OcrJob;
    if (job.status !== from) {
      throw new ConditionFailedError(`job ${jobId}: expected status ${from}, found ${job.status}`);
    }
    const next = parse(
      OcrJobSchema,
      { ...job, ...pick(patch, ['attempts', 'results_sent_at', 'failure_reason']), status: to, updated_at: isoNow(this.clock) },
      'job',
    );
    await this.commit([this.put('OCR_JOB', next)]);
    return clone(next);
  }

  async listJobsByStatus(status: JobStatus, limit?: number, range: JobCreatedRange = {}): Promise<OcrJob[]> {
    const after = range.createdAfter === undefined ? -Infinity : isoMillis(range.createdAfter, 'createdAfter');
    const before = range.createdBefore === undefined ? Infinity : isoMillis(range.createdBefore, 'createdBefore');
    const jobs = this.scan<OcrJob>('OCR_JOB')
      .filter((j) => j.status === status)
      .filter((j) => Date.parse(j.created_at) >= after && Date.parse(j.created_at) < before)
      .sort((a, b) => compare(a.created_at, b.created_at) || compare(a.job_id, b.job_id));
    return limited(jobs, limit);
  }

  async listJobsForImage(imageId: string): Promise<OcrJob[]> {
    return this.query<OcrJob>(imagePk(imageId), (sk) => sk.startsWith('OCR_JOB#'));
  }

  // ---- routing ----

  async createRoutingDecision(decision: RoutingDecision): Promise<void> {
    const record = parse(RoutingDecisionSchema, decision, 'routing decision');
    await this.createIfAbsent('ROUTING', record, `routing decision of job ${record.job_id}`);
  }

  async getRoutingDecision(jobId: string): Promise<RoutingDecision | null> {
    const imageId = this.jobImage.get(jobId);
    if (imageId !== undefined) {
      const found = this.read<RoutingDecision>(imagePk(imageId), `ROUTING#${jobId}`);
      if (found) return found;
    }
    // A routing decision may exist without a job row (tests, partial writes).
    return this.scan<RoutingDecision>('ROUTING').find((d) => d.job_id === jobId) ?? null;
  }

  // ---- receipts ----

  async createReceipt(details: ReceiptDetails): Promise<{ created: boolean; details: ReceiptDetails }> {
    const validated = validateDetails(details);
    const { image_id, receipt_id } = validated.receipt;
    const existing = this.readDetails(image_id, receipt_id);
    if (existing) return { created: false, details: existing };
    await this.commit([
      this.put('RECEIPT', validated.receipt),
      ...validated.lines.map((line) => this.put('RECEIPT_LINE', line)),
      ...validated.words.map((word) => this.put('RECEIPT_WORD', word)),
    ]);
    return { created: true, details: this.readDetails(image_id, receipt_id)! };
  }

  async getReceipt(imageId: string, receiptId: number): Promise<ReceiptDetails | null> {
    return this.readDetails(imageId, receiptId);
  }

  async listReceipts(imageId: string): Promise<ReceiptDetails[]> {
    return this.query<{ receipt_id: number }>(imagePk(imageId), (sk) => /^RECEIPT#\d{5}$/.test(sk)).map(
      (r) => this.readDetails(imageId, r.receipt_id)!,
    );
  }

  async deleteReceipt(imageId: string, receiptId: number): Promise<void> {
    const pk = imagePk(imageId);
    const base = receiptSk(receiptId);
    const table = this.tables.get(pk);
    if (!table) return;
    const children = [...table.keys()].filter((sk) => sk.startsWith(`${base}#`)).sort();
    const writes: RowWrite[] = children.map((sk) => ({ pk, sk, row: null }));
    if (table.has(base)) writes.push({ pk, sk: base, row: null });
    await this.commit(writes);
  }

  // ---- places ----

  async putReceiptPlace(place: ReceiptPlace): Promise<void> {
    const record = parse(ReceiptPlaceSchema, place, 'receipt place');
    await this.commit([this.put('RECEIPT_PLACE', record)]);
  }

  async getReceiptPlace(imageId: string, receiptId: number): Promise<ReceiptPlace | null> {
    return this.read<ReceiptPlace>(imagePk(imageId), placeSk(receiptId));
  }

  async deleteReceiptPlace(imageId: string, receiptId: number): Promise<void> {
    const pk = imagePk(imageId);
    const sk = placeSk(receiptId);
    if (this.row(pk, sk)) await this.commit([{ pk, sk, row: null }]);
  }

  async listPlacesByPlaceId(placeId: string, limit?: number): Promise<ReceiptPlace[]> {
    const places = this.scan<ReceiptPlace>('RECEIPT_PLACE')
      .filter((p) => p.place_id === placeId)
      .sort((a, b) => compare(a.created_at, b.created_at) || compare(a.image_id, b.image_id) || a.receipt_id - b.receipt_id);
    return limited(places, limit);
  }

  // ---- compaction runs ----

  async createCompactionRun(run: CompactionRun): Promise<void> {
    const record = parse(CompactionRunSchema, run, 'compaction run');
    await this.createIfAbsent('COMPACTION_RUN', record, `compaction run ${record.run_id}`);
  }

  async getCompactionRun(imageId: string, receiptId: number, runId: string): Promise<CompactionRun | null> {
    return this.read<CompactionRun>(imagePk(imageId), runSk(receiptId, runId));
  }

  async listCompactionRuns(imageId: string, receiptId: number): Promise<CompactionRun[]> {
    const prefix = `${receiptSk(receiptId)}#COMPACTION_RUN#`;
    return this.query<CompactionRun>(imagePk(imageId), (sk) => sk.startsWith(prefix)).sort(
      (a, b) => compare(a.created_at, b.created_at) || compare(a.run_id, b.run_id),
    );
  }

  async transitionCollection(
    ref: CompactionRunRef,
    collection: Collection,
    from: CollectionState,
    to: CollectionState,
    patch: CollectionPatch = {},
  ): Promise<CompactionRun> {
    assertTransition(`compaction run ${collection}`, COLLECTION_TRANSITIONS, from, to);
    const stored = this.row(imagePk(ref.image_id), runSk(ref.receipt_id, ref.run_id));
    if (!stored) throw new NotFoundError('compaction run', `${ref.image_id}/${ref.receipt_id}/${ref.run_id}`);
    const run = stored.record as CompactionRun;
    const progress = run[collection];
    if (progress.state !== from) {
      throw new ConditionFailedError(
        `compaction run ${ref.run_id} ${collection}: expected ${from}, found ${progress.state}`,
      );
    }
    const next = parse(
      CompactionRunSchema,
      {
        ...run,
        [collection]: {
          ...progress,
          ...pick(patch, ['merged_count', 'error']),
          state: to,
          updated_at: isoNow(this.clock),
        },
      },
      'compaction run',
    );
    await this.commit([this.put('COMPACTION_RUN', next)]);
    return clone(next);
  }

  async listUnfinishedCompactionRuns(olderThan: string, limit?: number): Promise<CompactionRun[]> {
    const cutoff = Date.parse(olderThan);
    if (Number.isNaN(cutoff)) throw new ValidationError(`olderThan "${olderThan}" is not an ISO date`);
    const runs = this.scan<CompactionRun>('COMPACTION_RUN')
      .filter((r) => Date.parse(r.created_at) < cutoff)
      .filter((r) => r.lines.state !== 'COMPLETED' || r.words.state !== 'COMPLETED')
      .sort((a, b) => compare(a.created_at, b.created_at) || compare(a.run_id, b.run_id));
    return limited(runs, limit);
  }

  // ---- storage ----

  /**
   * Called after every committed operation with its change records, in commit order, before
   * the operation resolves. The base class does nothing; FsJobStore appends them to its journal.
   */
  protected async persist(_changes: ChangeRecord[]): Promise<void> {}

  /** Re-applies a persisted change without emitting it (journal replay). */
  protected restore(change: ChangeRecord): void {
    const image = change.new_image ?? change.old_image;
    if (!image) return;
    const { pk, sk } = rowKeyOf(change.entity, image);
    this.apply({ pk, sk, row: change.new_image ? { entity: change.entity, record: change.new_image } : null });
    if (change.sequence !== null) this.sequence = Math.max(this.sequence, Number(change.sequence));
  }

  private put(entity: Entity, record: object): RowWrite {
    const copy = clone(record) as Record<string, unknown>;
    return { ...rowKeyOf(entity, copy), row: { entity, record: copy } };
  }

  private async createIfAbsent(entity: Entity, record: object, what: string): Promise<void> {
    const write = this.put(entity, record);
    const existing = this.row(write.pk, write.sk);
    if (existing) {
      if (isDeepStrictEqual(existing.record, write.row!.record)) return;
      throw new ConditionFailedError(`${what} exists already with different content`);
    }
    await this.commit([write]);
  }

  /** Applies writes synchronously (the atomic part), then notifies and persists. */
  private async commit(writes: RowWrite[]): Promise<void> {
    const changes: ChangeRecord[] = [];
    for (const write of writes) {
      const old = this.apply(write);
      if (!old && !write.row) continue;
      changes.push({
        event_name: !old ? 'INSERT' : write.row ? 'MODIFY' : 'REMOVE',
        entity: (write.row ?? old)!.entity,
        old_image: old ? clone(old.record) : null,
        new_image: write.row ? clone(write.row.record) : null,
        sequence: String(++this.sequence).padStart(21, '0'),
      });
    }
    for (const change of changes) {
      for (const listener of this.listeners) {
        try {
          listener(clone(change));
        } catch {
          // A listener's failure is its own; the write has happened (see class docs).
        }
      }
    }
    if (changes.length > 0) await this.persist(changes);
  }

  /** Writes or removes one row; returns the previous row. */
  private apply(write: RowWrite): Row | undefined {
    let table = this.tables.get(write.pk);
    const old = table?.get(write.sk);
    if (write.row) {
      if (!table) this.tables.set(write.pk, (table = new Map()));
      table.set(write.sk, write.row);
      if (write.row.entity === 'OCR_JOB') {
        const job = write.row.record as OcrJob;
        this.jobImage.set(job.job_id, job.image_id);
      }
    } else if (table) {
      table.delete(write.sk);
      if (table.size === 0) this.tables.delete(write.pk);
      if (old?.entity === 'OCR_JOB') this.jobImage.delete((old.record as OcrJob).job_id);
    }
    return old;
  }

  private row(pk: string, sk: string): Row | undefined {
    return this.tables.get(pk)?.get(sk);
  }

  private read<T>(pk: string, sk: string): T | null {
    const row = this.row(pk, sk);
    return row ? (clone(row.record) as T) : null;
  }

  /** Records of one partition whose sort key matches, in sort-key order (a Query). */
  private query<T>(pk: string, match: (sk: string) => boolean): T[] {
    const table = this.tables.get(pk);
    if (!table) return [];
    return [...table.keys()]
      .filter(match)
      .sort()
      .map((sk) => clone(table.get(sk)!.record) as T);
  }

  /** Every record of an entity (the local stand-in for a GSI). */
  private scan<T>(entity: Entity): T[] {
    const out: T[] = [];
    for (const table of this.tables.values()) {
      for (const row of table.values()) if (row.entity === entity) out.push(clone(row.record) as T);
    }
    return out;
  }

  private readDetails(imageId: string, receiptId: number): ReceiptDetails | null {
    const pk = imagePk(imageId);
    const base = receiptSk(receiptId);
    const receipt = this.read<ReceiptDetails['receipt']>(pk, base);
    if (!receipt) return null;
    // Sort keys are zero-padded, so key order is (line_id, word_id) order.
    return {
      receipt,
      lines: this.query<ReceiptLine>(pk, (sk) => /^RECEIPT#\d{5}#LINE#\d{5}$/.test(sk) && sk.startsWith(`${base}#`)),
      words: this.query<ReceiptWord>(pk, (sk) => /^RECEIPT#\d{5}#LINE#\d{5}#WORD#\d{5}$/.test(sk) && sk.startsWith(`${base}#`)),
    };
  }
}

function validateDetails(details: ReceiptDetails): ReceiptDetails {
  const receipt = parse(ReceiptSchema, details.receipt, 'receipt');
  const lines = details.lines.map((line, i) => parse(ReceiptLineSchema, line, `receipt line ${i}`));
  const words = details.words.map((word, i) => parse(ReceiptWordSchema, word, `receipt word ${i}`));
  const issues: string[] = [];
  const lineIds = new Set<number>();
  for (const line of lines) {
    if (line.image_id !== receipt.image_id || line.receipt_id !== receipt.receipt_id) {
      issues.push(`line ${line.line_id} belongs to ${line.image_id}/${line.receipt_id}`);
    }
    if (lineIds.has(line.line_id)) issues.push(`line ${line.line_id} appears twice`);
    lineIds.add(line.line_id);
  }
  const wordIds = new Set<string>();
  for (const word of words) {
    const id = `${word.line_id}/${word.word_id}`;
    if (word.image_id !== receipt.image_id || word.receipt_id !== receipt.receipt_id) {
      issues.push(`word ${id} belongs to ${word.image_id}/${word.receipt_id}`);
    }
    if (!lineIds.has(word.line_id)) issues.push(`word ${id} has no line ${word.line_id}`);
    if (wordIds.has(id)) issues.push(`word ${id} appears twice`);
    wordIds.add(id);
  }
  if (issues.length > 0) {
    throw new ValidationError(`receipt ${receipt.image_id}/${receipt.receipt_id} is inconsistent`, issues);
  }
  return { receipt, lines, words };
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ValidationError(
      `${what} is invalid`,
      result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  return result.data;
}

function pick<T extends object, K extends keyof T>(patch: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (patch[key] !== undefined) out[key] = patch[key];
  return out;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function isoMillis(value: string, what: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new ValidationError(`${what} "${value}" is not an ISO date`);
  return ms;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function limited<T>(items: T[], limit: number | undefined): T[] {
  return limit === undefined ? items : items.slice(0, Math.max(0, limit));
}
