import {
  COLLECTIONS,
  CompactionMessageSchema,
  type Collection,
  type CollectionState,
  type CompactionMessage,
  type LockLease,
  type SnapshotPointer,
  type VectorMetadata,
  type VectorRecord,
} from '../domain/index.js';
import {
  ConditionFailedError,
  CorruptDeltaError,
  DeadlineExceededError,
  IncompleteWriteError,
  LeaseLostError,
  LockBusyError,
  NotFoundError,
  ReceiptflowError,
  TransientDependencyError,
  isRetryable,
} from '../errors.js';
import {
  isoNow,
  silentLogger,
  withFields,
  type Clock,
  type CompactionLock,
  type CompactionRunRef,
  type ImageStore,
  type CompactionRunStore,
  type ReceiptStore,
  type Logger,
  type SnapshotStore,
  type VectorIndex,
} from '../ports/index.js';
import { MERCHANT_METADATA_KEYS, parseMessageBody, placeMetadata, readVectorDelta } from '../domain/index.js';
import { withDeadline } from '../ports/index.js';
import {
  DEFAULT_KEEP_VECTOR_SNAPSHOTS,
  DEFAULT_SNAPSHOT_EVERY,
  pruneVectorSnapshots,
  writeVectorSnapshot,
  type VectorSnapshotDeps,
} from './vector-snapshots.js';
import { vectorSnapshotId } from '../domain/index.js';
import { compactionLockName } from './compaction-lock-name.js';

export interface CompactDeps {
  receipts: ReceiptStore;
  runs: CompactionRunStore;
  deltas: ImageStore;
  vectors: VectorIndex;
  lock: CompactionLock;
  snapshots: SnapshotStore;
  clock: Clock;
  logger?: Logger;
  /**
   * Server mode (Chroma) only: write a snapshot file of the collection once `every` records
   * changed since the last one, before the pointer swap that names it, and keep the last `keep`
   * (use-cases/vector-snapshots.ts). The efs and s3 modes snapshot inside their index files.
   */
  vectorSnapshots?: VectorSnapshotDeps;
}

export interface CompactOptions {
  /** Lock owner id (e.g. the Lambda request id). */
  owner: string;
  /** Lease length, default 180_000 ms; the heartbeat renews every third of it. */
  leaseMs?: number;
  /** Disables the heartbeat (tests of docs/lessons.md#lesson-1-lease-lost-mid-merge only). */
  heartbeat?: boolean;
  /** Epoch ms by which the call must return; work left undone is reported as failed. */
  deadline?: number;
  /**
   * No new message is started within this many ms of `deadline` (default 10_000); storage calls
   * are abandoned at `deadline - margin / 2`, leaving the rest to record failures and release.
   */
  deadlineMarginMs?: number;
  /**
   * A run's collection whose merge fails on this attempt or later (attempts are counted by the
   * run store, one per merge started) is marked ABANDONED instead of FAILED: no message or sweep
   * retries it again, and it is logged as an error. Default {@link DEFAULT_MAX_RUN_ATTEMPTS}.
   */
  maxRunAttempts?: number;
}

/** One message in: its queue id and its body (unparsed). */
export interface CompactInput {
  id: string;
  body: unknown;
}

export interface CompactOutcome {
  /** Ids of messages fully done (safe to delete). */
  succeeded: string[];
  /**
   * Ids to retry (batchItemFailures), with why; `code` is the error's (`LOCK_BUSY` when another
   * compactor holds the collection's lock, so the caller can bring the message back soon).
   */
  failed: { id: string; error: string; retryable: boolean; code?: string }[];
  /** Vectors merged per collection. */
  merged: { lines: number; words: number };
  promoted: boolean;
  /** Runs' collections given up on by this call (marked ABANDONED after their last allowed attempt). */
  abandoned: { run_id: string; collection: Collection }[];
}

export const DEFAULT_LEASE_MS = 180_000;
/**
 * Merges allowed per run and collection. SQS delivers a failing message up to 5 times and the
 * sweep re-sends a run once its last change is older than its minimum age (15 minutes on AWS),
 * so 30 attempts keep a run alive through about two hours of a dependency's outage.
 */
export const DEFAULT_MAX_RUN_ATTEMPTS = 30;
export const DEFAULT_DEADLINE_MARGIN_MS = 10_000;

export { compactionLockName } from './compaction-lock-name.js';

interface Item {
  id: string;
  message: CompactionMessage;
}

/** A message whose index work is done and now waits for the promotion to count as done. */
type Pending =
  | { id: string; kind: 'merge'; ref: CompactionRunRef; merged: number; message: CompactionMessage }
  | { id: string; kind: 'index-only'; message: CompactionMessage };

/** What ties a compaction message to one receipt in the logs; `job_id` is known for merges. */
interface ReceiptIds {
  image_id: string;
  job_id: string;
  receipt_id: number;
}

function receiptIds(m: CompactionMessage): Partial<ReceiptIds> {
  return {
    image_id: m.image_id,
    ...(m.kind === 'merge' && m.job_id ? { job_id: m.job_id } : {}),
    receipt_id: m.receipt_id,
  };
}

/**
 * Merges compaction messages into the vector index under the per-collection lock: validates each
 * delta, upserts, reads back and counts, then promotes the snapshot pointer only while the lease
 * is still held (fencing token), and marks each run's collection COMPLETED with its merged count
 * or FAILED with its error. A failed merge is never marked COMPLETED. Every input id appears in
 * exactly one of `succeeded` / `failed`.
 *
 * Per collection: acquire `compaction:<collection>` (busy → every message of it fails with
 * LockBusyError, retryable, and the other collection is still compacted: lines and words never
 * wait on each other), renew the lease every third of its length while working (a failed renewal is
 * remembered as a lost lease), process messages in order, then refuse to promote if the lease
 * was lost or is no longer held. Runs are marked COMPLETED only after the pointer swap.
 *
 * @example
 * // One SQS batch of the compaction queue, inside a Lambda invocation.
 * const outcome = await compact(deps, records.map((r) => ({ id: r.messageId, body: r.body })), {
 *   owner: context.awsRequestId,
 *   deadline: Date.now() + context.getRemainingTimeInMillis(),
 * });
 * const batchItemFailures = outcome.failed.filter((f) => f.retryable).map((f) => ({ itemIdentifier: f.id }));
 */
export async function compact(
  deps: CompactDeps,
  messages: CompactInput[],
  options: CompactOptions,
): Promise<CompactOutcome> {
  const outcome: CompactOutcome = {
    succeeded: [],
    failed: [],
    merged: { lines: 0, words: 0 },
    promoted: false,
    abandoned: [],
  };
  const groups = new Map<Collection, Item[]>();
  for (const input of messages) {
    try {
      const message = parseMessageBody<CompactionMessage>(input.body, CompactionMessageSchema, 'compaction message');
      groups.set(message.collection, [...(groups.get(message.collection) ?? []), { id: input.id, message }]);
    } catch (error) {
      outcome.failed.push(failure(input.id, error));
    }
  }
  for (const collection of COLLECTIONS) {
    const items = groups.get(collection);
    if (items && items.length > 0) await new CollectionCompaction(deps, options, collection, items, outcome).run();
  }
  return outcome;
}

function failure(id: string, error: unknown): CompactOutcome['failed'][number] {
  return {
    id,
    error: error instanceof Error ? error.message : String(error),
    retryable: isRetryable(error),
    ...(error instanceof ReceiptflowError ? { code: error.code } : {}),
  };
}

class CollectionCompaction {
  private readonly logger: Logger;
  private readonly leaseMs: number;
  /** Past this, no message is started. */
  private readonly workDeadline: number | undefined;
  /** Past this, storage calls of the work are abandoned. */
  private readonly callDeadline: number | undefined;
  private lease: LockLease | null = null;
  private leaseLost: string | null = null;
  private readonly heartbeatStop = new AbortController();
  private heartbeatLoop: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: CompactDeps,
    private readonly options: CompactOptions,
    private readonly collection: Collection,
    private readonly items: Item[],
    private readonly outcome: CompactOutcome,
  ) {
    this.logger = deps.logger ?? silentLogger;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    const margin = options.deadlineMarginMs ?? DEFAULT_DEADLINE_MARGIN_MS;
    this.workDeadline = options.deadline === undefined ? undefined : options.deadline - margin;
    this.callDeadline = options.deadline === undefined ? undefined : options.deadline - Math.floor(margin / 2);
  }

  async run(): Promise<void> {
    if (this.pastWorkDeadline())
      return this.failAll(
        this.items,
        new DeadlineExceededError('compaction deadline reached before the lock was taken'),
      );
    const name = compactionLockName(this.collection);
    let lease: LockLease | null;
    try {
      lease = await this.call(`acquire ${name}`, this.deps.lock.acquire(name, this.options.owner, this.leaseMs));
    } catch (error) {
      return this.failAll(this.items, error);
    }
    if (!lease) return this.failAll(this.items, new LockBusyError(`lock ${name} is held by another compactor`));
    this.lease = lease;
    if (this.options.heartbeat !== false) this.startHeartbeat();
    try {
      const pending: Pending[] = [];
      for (const item of this.items) {
        if (this.pastWorkDeadline()) {
          this.fail(
            item,
            new DeadlineExceededError(`compaction deadline reached before ${describe(item.message)} started`),
          );
          continue;
        }
        if (this.leaseLost !== null) {
          this.fail(
            item,
            new LeaseLostError(`lease on ${name} lost before ${describe(item.message)}: ${this.leaseLost}`),
          );
          continue;
        }
        try {
          const done = await this.process(item);
          if (done) pending.push(done);
          else this.outcome.succeeded.push(item.id);
        } catch (error) {
          if (item.message.kind === 'merge') await this.markFailed(item.message, error);
          this.fail(item, error);
        }
      }
      // The heartbeat keeps running through the promotion: it is part of the work the lease covers.
      if (pending.length > 0) await this.promote(pending);
    } finally {
      await this.stopHeartbeat();
      await this.release();
    }
  }

  /** Returns what still needs the promotion, or null when the message was done already. */
  private async process(item: Item): Promise<Pending | null> {
    const m = item.message;
    const where = { image_id: m.image_id, receipt_id: m.receipt_id };
    switch (m.kind) {
      case 'merge':
        return this.merge(item.id, m);
      case 'update_metadata': {
        // The job table is the truth: apply the place as it is now, so that reordered place
        // changes cannot leave an older merchant on the vectors.
        const place = await this.call('getReceiptPlace', this.deps.receipts.getPlace(m.image_id, m.receipt_id));
        const patch: VectorMetadata = { ...m.metadata, ...placeMetadata(place) };
        const ids = await this.call('findIds', this.deps.vectors.findIds(this.collection, where));
        if (ids.length > 0)
          await this.call('updateMetadata', this.deps.vectors.updateMetadata(this.collection, ids, patch));
        return { id: item.id, kind: 'index-only', message: m };
      }
      case 'delete_receipt':
        await this.call('deleteWhere', this.deps.vectors.deleteWhere(this.collection, where));
        return { id: item.id, kind: 'index-only', message: m };
    }
  }

  private async merge(id: string, m: Extract<CompactionMessage, { kind: 'merge' }>): Promise<Pending | null> {
    const ref = refOf(m);
    const where = { image_id: m.image_id, receipt_id: m.receipt_id };
    const run = await this.call(
      'getCompactionRun',
      this.deps.runs.get({ image_id: m.image_id, receipt_id: m.receipt_id, run_id: m.run_id }),
    );
    if (!run) {
      const receipt = await this.call('getReceipt', this.deps.receipts.get(m.image_id, m.receipt_id));
      if (receipt) throw new NotFoundError('compaction run', `${m.image_id}/${m.receipt_id}/${m.run_id}`);
      // The receipt was deleted (with its runs), perhaps before this merge arrived (docs/lessons.md#lesson-15-a-remove-before-its-insert-left-orphans):
      // make sure none of its vectors survive, and count the message as done.
      await this.call('deleteWhere', this.deps.vectors.deleteWhere(this.collection, where));
      return { id, kind: 'index-only', message: m };
    }
    const state = run[this.collection].state;
    if (state === 'COMPLETED') return null;
    if (state === 'ABANDONED') {
      // Given up on already (a duplicate, or a message still queued): only an operator re-drives it.
      this.receiptLogger(m).warn('merge of an abandoned compaction run skipped', {
        run_id: m.run_id,
        attempts: run[this.collection].attempts,
      });
      return null;
    }
    await this.transition(ref, state, 'PROCESSING');

    const object = await this.call('get delta', this.deps.deltas.getStream(run[this.collection].delta_key)).catch(
      (error: unknown) => {
        if (error instanceof NotFoundError)
          throw new CorruptDeltaError(`delta ${run[this.collection].delta_key} is missing`, { cause: error });
        throw error;
      },
    );
    // Streamed (format 2, or format 1 read whole): the encoded delta is never held, only the
    // records the index takes, and those are used only once the whole delta has checked out.
    const deltaRecords: VectorRecord[] = [];
    await this.call(
      'read delta',
      readVectorDelta(object.body, {
        expected: { run_id: m.run_id, image_id: m.image_id, receipt_id: m.receipt_id, collection: this.collection },
        onRecord: (record) => deltaRecords.push(record),
      }),
    );

    if (!(await this.call('getReceipt', this.deps.receipts.get(m.image_id, m.receipt_id)))) {
      await this.call('deleteWhere', this.deps.vectors.deleteWhere(this.collection, where));
      return { id, kind: 'index-only', message: m };
    }
    // The place may have changed since the delta was written; the job table is the truth.
    const place = await this.call('getReceiptPlace', this.deps.receipts.getPlace(m.image_id, m.receipt_id));
    const records = deltaRecords.map((r) => withPlace(r, placeMetadata(place)));
    const ids = records.map((r) => r.id);
    if (records.length > 0) await this.call('upsert', this.deps.vectors.upsert(this.collection, records));
    // Read back and count: a store that silently drops records must not pass (docs/lessons.md#lesson-2-a-merge-that-lost-data-was-marked-done).
    const stored = records.length > 0 ? await this.call('read back', this.deps.vectors.get(this.collection, ids)) : [];
    if (stored.length !== records.length) {
      throw new IncompleteWriteError(records.length, stored.length, `merge of run ${m.run_id} into ${this.collection}`);
    }
    // Deleted while merging: remove what was just written rather than resurrect the receipt.
    if (!(await this.call('getReceipt', this.deps.receipts.get(m.image_id, m.receipt_id)))) {
      await this.call('delete', this.deps.vectors.delete(this.collection, ids));
      await this.call('deleteWhere', this.deps.vectors.deleteWhere(this.collection, where));
      return { id, kind: 'index-only', message: m };
    }
    return { id, kind: 'merge', ref, merged: stored.length, message: m };
  }

  private async transition(
    ref: CompactionRunRef,
    from: CollectionState,
    to: CollectionState,
    patch?: { merged_count?: number | null; error?: string | null },
  ): Promise<void> {
    try {
      await this.call(`run ${from}->${to}`, this.deps.runs.transitionCollection(ref, this.collection, from, to, patch));
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      throw new TransientDependencyError(
        'job-store',
        `run ${ref.run_id} ${this.collection} changed state concurrently (${error.message})`,
        { cause: error },
      );
    }
  }

  private async promote(pending: Pending[]): Promise<void> {
    const lease = this.lease;
    if (!lease) return;
    const name = compactionLockName(this.collection);
    try {
      if (this.leaseLost !== null)
        throw new LeaseLostError(`lease on ${name} lost during the merge: ${this.leaseLost}`);
      const held = await this.call('isHeld', this.deps.lock.isHeld(lease));
      if (!held)
        throw new LeaseLostError(
          `lease on ${name} (fencing token ${lease.fencing_token}) expired or was taken over before promotion`,
        );
      const current = await this.call('current snapshot', this.deps.snapshots.current(this.collection));
      const vector_count = await this.call('count', this.deps.vectors.count(this.collection));
      const run_ids = pending.flatMap((p) => (p.kind === 'merge' ? [p.ref.run_id] : []));
      const version = (current?.version ?? 0) + 1;
      await this.call(
        'promote',
        this.deps.snapshots.promote(
          {
            collection: this.collection,
            version,
            fencing_token: lease.fencing_token,
            vector_count,
            run_ids,
            promoted_at: isoNow(this.deps.clock),
            ...(await this.snapshotFields(current, version, pending)),
          },
          current?.version ?? 0,
        ),
      );
    } catch (error) {
      this.logger.warn('compaction not promoted', { collection: this.collection, error: String(error) });
      for (const p of pending) {
        if (p.kind === 'merge') await this.markFailed(p.message, error);
        this.outcome.failed.push(failure(p.id, error));
      }
      return;
    }
    this.outcome.promoted = true;
    await this.pruneSnapshots();
    for (const p of pending) {
      if (p.kind === 'index-only') {
        this.outcome.succeeded.push(p.id);
        continue;
      }
      try {
        await this.transition(p.ref, 'PROCESSING', 'COMPLETED', { merged_count: p.merged, error: null });
        this.outcome.succeeded.push(p.id);
        this.outcome.merged[this.collection] += p.merged;
        this.receiptLogger(p.message).info('receipt compacted', { run_id: p.ref.run_id, merged_count: p.merged });
      } catch (error) {
        // The vectors are in and promoted; a retry re-merges idempotently and completes the run.
        this.outcome.failed.push(failure(p.id, error));
      }
    }
  }

  /**
   * Server mode: the pointer's snapshot fields, writing a snapshot file first when `every`
   * records changed since the last one. The file is whole and read back before the pointer names
   * it. A snapshot that fails (or would run into the deadline: it must stop by the work deadline,
   * leaving time to promote) is logged and the merge is promoted without it: the vectors are in
   * the index already, the previous snapshot stays the pointer's, and the changes keep counting
   * so the next promotion tries again.
   */
  private async snapshotFields(
    current: SnapshotPointer | null,
    version: number,
    pending: Pending[],
  ): Promise<Pick<SnapshotPointer, 'snapshot_key' | 'changes_since_snapshot'>> {
    const policy = this.deps.vectorSnapshots;
    if (!policy) return {};
    const changes =
      (current?.changes_since_snapshot ?? 0) + pending.reduce((n, p) => n + (p.kind === 'merge' ? p.merged : 1), 0);
    const kept = {
      ...(current?.snapshot_key ? { snapshot_key: current.snapshot_key } : {}),
      changes_since_snapshot: changes,
    };
    if (changes < (policy.every ?? DEFAULT_SNAPSHOT_EVERY)) return kept;
    const stop = new AbortController();
    const started = this.deps.clock.now();
    try {
      const info = await withDeadline(
        this.deps.clock,
        this.workDeadline,
        `${this.collection} write snapshot`,
        writeVectorSnapshot(policy, this.collection, vectorSnapshotId(version), { signal: stop.signal }),
      );
      this.logger.info('vector snapshot written', {
        collection: this.collection,
        snapshot_key: info.key,
        count: info.count,
        bytes: info.bytes,
        ms: this.deps.clock.now() - started,
      });
      return { snapshot_key: info.key, changes_since_snapshot: 0 };
    } catch (error) {
      stop.abort(error);
      this.logger.warn('vector snapshot not written; promoting without it', {
        collection: this.collection,
        error: String(error),
      });
      return kept;
    }
  }

  /** Best effort after a promotion: snapshot files beyond the kept N, never the pointer's. */
  private async pruneSnapshots(): Promise<void> {
    const policy = this.deps.vectorSnapshots;
    if (!policy) return;
    try {
      const current = await this.call('current snapshot', this.deps.snapshots.current(this.collection));
      await this.call(
        'prune snapshots',
        pruneVectorSnapshots(policy.store, this.collection, policy.keep ?? DEFAULT_KEEP_VECTOR_SNAPSHOTS, [
          current?.snapshot_key,
        ]),
      );
    } catch (error) {
      this.logger.warn('old vector snapshots not pruned', { collection: this.collection, error: String(error) });
    }
  }

  /**
   * Best effort: records why, so the run is retried (FAILED → PROCESSING) or found by the sweep;
   * after its last allowed attempt the run is marked ABANDONED instead, and logged as an error.
   */
  private async markFailed(m: CompactionMessage, error: unknown): Promise<void> {
    const ref = refOf(m);
    const message = error instanceof Error ? error.message : String(error);
    try {
      const run = await withDeadline(
        this.deps.clock,
        this.options.deadline,
        'getCompactionRun',
        this.deps.runs.get(ref),
      );
      const progress = run?.[this.collection];
      const state = progress?.state;
      if (!progress || (state !== 'PROCESSING' && state !== 'PENDING')) return;
      const maxAttempts = this.options.maxRunAttempts ?? DEFAULT_MAX_RUN_ATTEMPTS;
      const giveUp = progress.attempts >= maxAttempts;
      await withDeadline(
        this.deps.clock,
        this.options.deadline,
        giveUp ? 'mark run ABANDONED' : 'mark run FAILED',
        this.deps.runs.transitionCollection(ref, this.collection, state, giveUp ? 'ABANDONED' : 'FAILED', {
          error: giveUp ? `abandoned after ${progress.attempts} attempts: ${message}` : message,
        }),
      );
      if (giveUp) {
        this.outcome.abandoned.push({ run_id: ref.run_id, collection: this.collection });
        this.receiptLogger(m).error('compaction run abandoned', {
          run_id: ref.run_id,
          attempts: progress.attempts,
          error: message,
        });
      }
    } catch (markError) {
      this.receiptLogger(m).warn('could not mark compaction run FAILED', {
        run_id: ref.run_id,
        error: String(markError),
      });
    }
  }

  private startHeartbeat(): void {
    const signal = this.heartbeatStop.signal;
    this.heartbeatLoop = (async () => {
      while (!signal.aborted && this.leaseLost === null && this.lease) {
        try {
          await this.deps.clock.sleep(Math.max(1, Math.floor(this.leaseMs / 3)), signal);
        } catch {
          return;
        }
        if (signal.aborted) return;
        try {
          this.lease = await this.deps.lock.renew(this.lease, this.leaseMs);
        } catch (error) {
          this.leaseLost = error instanceof Error ? error.message : String(error);
          this.logger.warn('compaction lease lost', { collection: this.collection, error: this.leaseLost });
          return;
        }
      }
    })();
  }

  private async stopHeartbeat(): Promise<void> {
    this.heartbeatStop.abort();
    // A renewal stuck in a stalled store must not hold the whole call past its deadline.
    await withDeadline(this.deps.clock, this.options.deadline, 'heartbeat stop', this.heartbeatLoop).catch(
      () => undefined,
    );
  }

  private async release(): Promise<void> {
    if (!this.lease) return;
    try {
      await withDeadline(this.deps.clock, this.options.deadline, 'release lock', this.deps.lock.release(this.lease));
    } catch (error) {
      this.logger.warn('could not release compaction lock', { collection: this.collection, error: String(error) });
    }
  }

  private call<T>(what: string, work: Promise<T>): Promise<T> {
    return withDeadline(this.deps.clock, this.callDeadline, `${this.collection} ${what}`, work);
  }

  private pastWorkDeadline(): boolean {
    return this.workDeadline !== undefined && this.deps.clock.now() > this.workDeadline;
  }

  private fail(item: Item, error: unknown): void {
    this.outcome.failed.push(failure(item.id, error));
  }

  /** Lines about one message's receipt carry its ids (and the collection). */
  private receiptLogger(m: CompactionMessage): Logger {
    return withFields(this.logger, { ...receiptIds(m), collection: this.collection });
  }

  private failAll(items: Item[], error: unknown): void {
    for (const item of items) this.fail(item, error);
  }
}

function refOf(m: { image_id: string; receipt_id: number; run_id?: string }): CompactionRunRef {
  return { image_id: m.image_id, receipt_id: m.receipt_id, run_id: m.run_id ?? '' };
}

function describe(m: CompactionMessage): string {
  return m.kind === 'merge' ? `merge of run ${m.run_id}` : `${m.kind} of ${m.image_id}/${m.receipt_id}`;
}

/** The record with its merchant keys replaced by the place's (null values removed). */
function withPlace(record: VectorRecord, patch: VectorMetadata): VectorRecord {
  const metadata: VectorMetadata = {};
  for (const [key, value] of Object.entries(record.metadata)) {
    if (!(MERCHANT_METADATA_KEYS as readonly string[]).includes(key)) metadata[key] = value;
  }
  for (const [key, value] of Object.entries(patch)) if (value !== null) metadata[key] = value;
  return { ...record, metadata };
}
