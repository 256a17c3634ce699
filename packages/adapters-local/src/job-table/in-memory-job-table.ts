import { isDeepStrictEqual } from 'node:util';
import { ConditionFailedError, type ChangeRecord, type Entity, type OcrJob } from '@receiptflow/core';
import { rowKeyOf, type KeyFields, type TableKey } from '@receiptflow/job-table';
import { ReceiptListIndex } from './receipt-list-index.js';

/** One stored row: its entity and its domain record. */
export interface Row {
  entity: Entity;
  record: Record<string, unknown>;
}

/** One row written (`row`) or removed (`row: null`) by an operation. */
export interface RowWrite extends TableKey {
  row: Row | null;
}

/** Receives every row change, shaped like a DynamoDB stream record (NEW_AND_OLD_IMAGES). */
export type ChangeListener = (change: ChangeRecord) => void;

/**
 * The job table in memory: one ordered set of rows under the single-table keys of
 * `@receiptflow/job-table`, shared by {@link InMemoryOcrJobStore}, {@link InMemoryReceiptStore}
 * and {@link InMemoryCompactionRunStore}, because the table has ONE change feed (the local
 * stand-in for the DynamoDB stream) and ONE journal ({@link FsJobTable}) in commit order.
 *
 * Atomicity: {@link commit} applies its writes synchronously before its first `await`, so a
 * store's read-check-write (with no `await` before `commit`) runs like a conditional write does,
 * and concurrent callers serialise.
 *
 * The change feed: {@link subscribe} delivers one ChangeRecord per row inserted, modified or
 * removed, synchronously after the write, like a DynamoDB stream with NEW_AND_OLD_IMAGES.
 * Listeners must handle their own errors; a throwing listener does not undo the write.
 *
 * Everything is deep-copied in and out, so callers cannot mutate stored state.
 *
 * @example
 * const table = new InMemoryJobTable();
 * const stop = table.subscribe((change) => streamProcessor.push(change));
 * const jobs = new InMemoryOcrJobStore({ table });
 * const receipts = new InMemoryReceiptStore({ table });
 */
export class InMemoryJobTable {
  private readonly partitions = new Map<string, Map<string, Row>>();
  /** job_id → image_id, the local stand-in for the `OCR_JOB#<job>` pointer item. */
  private readonly jobImage = new Map<string, string>();
  private readonly listeners = new Set<ChangeListener>();
  private sequence = 0;
  /**
   * The listing indexes (the local GSI3/GSI4/GSI5): updated with every row applied, by a commit
   * or by a journal replay, so they never disagree with the rows. Read by InMemoryReceiptCatalog.
   */
  readonly receiptIndex = new ReceiptListIndex();

  /**
   * The table as a journal's records describe it, in memory and detached from the file: what
   * `receipts fsck` checks a journal against without opening (or changing) it.
   *
   * @example
   * const { jobs, receipts } = jobTableStores(InMemoryJobTable.fromChanges(scan.records.map((r) => r.value)));
   */
  static fromChanges(records: readonly (readonly ChangeRecord[])[]): InMemoryJobTable {
    const table = new InMemoryJobTable();
    for (const changes of records) for (const change of changes) table.restore(change);
    return table;
  }

  /** Registers a change listener; returns the function that unsubscribes it. */
  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** The image a job belongs to, if the job exists. */
  imageOfJob(jobId: string): string | undefined {
    return this.jobImage.get(jobId);
  }

  /** The stored row itself (not a copy): for checks that precede a {@link commit}. */
  row(key: TableKey): Row | undefined {
    return this.partitions.get(key.PK)?.get(key.SK);
  }

  /** A copy of one row's record, or null. */
  read<T>(key: TableKey): T | null {
    const row = this.row(key);
    return row ? (clone(row.record) as T) : null;
  }

  /** Records of one partition whose sort key matches, in sort-key order (a Query). */
  query<T>(pk: string, match: (sk: string) => boolean): T[] {
    const partition = this.partitions.get(pk);
    if (!partition) return [];
    return this.sortKeys(pk, match).map((sk) => clone(partition.get(sk)!.record) as T);
  }

  /** Sort keys of one partition that match, in order. */
  sortKeys(pk: string, match: (sk: string) => boolean): string[] {
    const partition = this.partitions.get(pk);
    return partition ? [...partition.keys()].filter(match).sort() : [];
  }

  /** Every record of an entity (the local stand-in for a GSI). */
  scan<T>(entity: Entity): T[] {
    const out: T[] = [];
    for (const partition of this.partitions.values()) {
      for (const row of partition.values()) if (row.entity === entity) out.push(clone(row.record) as T);
    }
    return out;
  }

  /** A write of `record` under its entity's key (copied, so later mutation changes nothing). */
  put(entity: Entity, record: object): RowWrite {
    const copy = clone(record) as Record<string, unknown>;
    return { ...rowKeyOf(entity, copy as unknown as KeyFields), row: { entity, record: copy } };
  }

  /**
   * Writes `record` if its key is free. An identical record there already is the benign race of
   * a repeated write and succeeds; a different one is a ConditionFailedError naming `what`.
   */
  async createIfAbsent(entity: Entity, record: object, what: string): Promise<void> {
    const write = this.put(entity, record);
    const existing = this.row(write);
    if (existing) {
      if (isDeepStrictEqual(existing.record, write.row!.record)) return;
      throw new ConditionFailedError(`${what} exists already with different content`);
    }
    await this.commit([write]);
  }

  /** Applies writes synchronously (the atomic part), then notifies and persists. */
  async commit(writes: readonly RowWrite[]): Promise<void> {
    const changes: ChangeRecord[] = [];
    for (const write of writes) {
      const old = this.apply(write);
      if (!old && !write.row) continue;
      changes.push({
        event_name: !old ? 'INSERT' : write.row ? 'MODIFY' : 'REMOVE',
        entity: (write.row ?? old)!.entity,
        // Not copied here: each listener gets its own copy below, and the journal only reads.
        // (The old record has left the table; the new one is replaced, never mutated, by later writes.)
        old_image: old ? old.record : null,
        new_image: write.row ? write.row.record : null,
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

  /**
   * Called after every committed operation with its change records, in commit order, before
   * the operation resolves. The base class does nothing; FsJobTable appends them to its journal.
   */
  protected async persist(_changes: ChangeRecord[]): Promise<void> {}

  /** Re-applies a persisted change without emitting it (journal replay). */
  protected restore(change: ChangeRecord): void {
    const image = change.new_image ?? change.old_image;
    if (!image) return;
    const key = rowKeyOf(change.entity, image as unknown as KeyFields);
    this.apply({ ...key, row: change.new_image ? { entity: change.entity, record: change.new_image } : null });
    if (change.sequence !== null) this.sequence = Math.max(this.sequence, Number(change.sequence));
  }

  /** Writes or removes one row; returns the previous row. */
  private apply(write: RowWrite): Row | undefined {
    let partition = this.partitions.get(write.PK);
    const old = partition?.get(write.SK);
    if (write.row) {
      if (!partition) this.partitions.set(write.PK, (partition = new Map()));
      partition.set(write.SK, write.row);
      if (write.row.entity === 'OCR_JOB') {
        const job = write.row.record as OcrJob;
        this.jobImage.set(job.job_id, job.image_id);
      }
    } else if (partition) {
      partition.delete(write.SK);
      if (partition.size === 0) this.partitions.delete(write.PK);
      if (old?.entity === 'OCR_JOB') this.jobImage.delete((old.record as OcrJob).job_id);
    }
    const entity = write.row?.entity ?? old?.entity;
    if (entity) this.receiptIndex.apply(entity, write.row?.record ?? null, old?.record ?? null);
    return old;
  }
}

function clone<T>(value: T): T {
  return structuredClone(value);
}
