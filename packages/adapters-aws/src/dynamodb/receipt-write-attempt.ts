import { randomUUID } from 'node:crypto';
import {
  ConditionFailedError,
  IncompleteWriteError,
  LeaseLostError,
  LockBusyError,
  type Clock,
  type ReceiptDetails,
} from '@receiptflow/core';
import { imagePk, linesPrefix, receiptSk } from '@receiptflow/job-table';
import type { DynamoDbTable, WriteRequest } from './dynamodb-table.js';
import { lineToItem, receiptToItem, wordToItem, type Item } from './item-codec.js';

/** How receipts are written (docs/adapters.md#concurrent-duplicate-deliveries). */
export interface ReceiptWriteOptions {
  /**
   * How long a WRITING row belongs to its writer without a renewal; a duplicate delivery may
   * take it over only after that. A writer starts a BatchWriteItem call only while at least half
   * of it is left, so one SDK call (its timeouts and attempts included) must finish within half:
   * the handlers' SDK limits put that at about 41 s. Default 90 s.
   */
  leaseMs?: number;
  /** BatchWriteItem calls in flight at once for one receipt. Default 8. */
  concurrency?: number;
}

/** What claiming the receipt row found: ours to write, or already committed by someone. */
export type ReceiptClaim = 'claimed' | 'committed';

const WRITING = { ':writing': 'WRITING' } as const;

/**
 * One attempt at writing a receipt, under a lease on its WRITING row:
 * 1. `claim`: the receipt row is put as WRITING with this attempt's `write_id` and a lease, if
 *    the key is free or its WRITING row's lease has run out. A live lease is another delivery at
 *    work: LockBusyError, so the message comes back later and finds the receipt committed.
 * 2. `write`: rows an earlier, dead attempt left are deleted; then lines and words, each tagged
 *    with `write_id`, go out in parallel BatchWriteItem calls, the lease renewed (conditionally
 *    on `write_id`) before a call when half of it is gone. A lost lease stops the attempt
 *    (LeaseLostError) without touching a row: they belong to the new owner now.
 * 3. Before committing, the rows are read back: exactly the keys written, all tagged with this
 *    `write_id`, or IncompleteWriteError. `commit` flips WRITING to COMMITTED if the row is
 *    still this attempt's.
 * `rollback` (after a failure) deletes only rows tagged with this `write_id`, then the receipt
 *    row, and only while the lease is held; otherwise the next claim cleans up.
 *
 * @example
 * const attempt = new ReceiptWriteAttempt(table, clock, details, { leaseMs: 90_000 });
 * if ((await attempt.claim()) === 'claimed') {
 *   await attempt.write();
 *   await attempt.commit();
 * }
 */
export class ReceiptWriteAttempt {
  readonly writeId = randomUUID();
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly pk: string;
  private readonly rowSk: string;
  private leaseUntil = 0;
  private renewal: Promise<void> | null = null;

  constructor(
    private readonly table: DynamoDbTable,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly details: ReceiptDetails,
    options: ReceiptWriteOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 90_000;
    this.concurrency = options.concurrency ?? 8;
    this.pk = imagePk(details.receipt.image_id);
    this.rowSk = receiptSk(details.receipt.receipt_id);
  }

  /** Takes the receipt row for this attempt, or reports it committed; LockBusyError while another writer holds it. */
  async claim(): Promise<ReceiptClaim> {
    // A row deleted between the failed put and the read is free again: try once more.
    for (let tries = 0; tries < 3; tries++) {
      const now = this.clock.now();
      try {
        await this.table.put(
          {
            ...receiptToItem(this.details.receipt, 'WRITING', this.writeId, this.details.lines),
            lease_until: now + this.leaseMs,
          },
          {
            expression:
              'attribute_not_exists(PK) OR (write_state = :writing AND (attribute_not_exists(lease_until) OR lease_until < :now))',
            values: { ...WRITING, ':now': now },
          },
        );
        this.leaseUntil = now + this.leaseMs;
        return 'claimed';
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
      const row = await this.table.get({ PK: this.pk, SK: this.rowSk });
      if (row && row.write_state !== 'WRITING') return 'committed';
      if (row) {
        const left = Math.max(0, Number(row.lease_until) - this.clock.now());
        throw new LockBusyError(
          `receipt ${this.describe()} is being written by another delivery; its lease ends in ${Math.ceil(left / 1000)} s`,
          { retryAfterMs: left },
        );
      }
    }
    throw new LockBusyError(`receipt ${this.describe()} kept changing hands while being claimed`);
  }

  /** Clears rows a dead attempt left, writes lines and words, and checks they are all there. */
  async write(): Promise<void> {
    const leftovers = await this.childRows();
    await this.writeAll(leftovers.map((r) => deleteRequest(this.pk, r)));
    const puts: Item[] = [
      ...this.details.lines.map((l) => ({ ...lineToItem(l), write_id: this.writeId })),
      ...this.details.words.map((w) => ({ ...wordToItem(w), write_id: this.writeId })),
    ];
    await this.writeAll(puts.map((Item): WriteRequest => ({ PutRequest: { Item } })));
    await this.verify(puts.map((p) => p.SK as string));
  }

  /** WRITING → COMMITTED, if the row is still this attempt's; LeaseLostError otherwise. */
  async commit(): Promise<void> {
    try {
      await this.table.update({
        Key: { PK: this.pk, SK: this.rowSk },
        UpdateExpression: 'SET write_state = :committed REMOVE lease_until',
        ConditionExpression: 'write_id = :mine AND write_state = :writing',
        ExpressionAttributeValues: { ':committed': 'COMMITTED', ':mine': this.writeId, ...WRITING },
      });
    } catch (error) {
      if (error instanceof ConditionFailedError) throw this.leaseLost(error);
      throw error;
    }
  }

  /**
   * Best effort, and only while this attempt still holds the row: its own rows, then the
   * receipt row. Anything left (lease lost, a failing table) stays invisible behind the WRITING
   * row and is cleared by the next claim.
   */
  async rollback(): Promise<void> {
    try {
      await this.renewIfDue();
      const mine = (await this.childRows()).filter((r) => r.write_id === this.writeId);
      await this.writeAll(mine.map((r) => deleteRequest(this.pk, r)));
      await this.table.delete(
        { PK: this.pk, SK: this.rowSk },
        { expression: 'write_id = :mine', values: { ':mine': this.writeId } },
      );
    } catch {
      // See above: the next claim takes over once the lease has run out.
    }
  }

  private async writeAll(requests: WriteRequest[]): Promise<void> {
    await this.table.batchWrite(requests, { concurrency: this.concurrency, beforeCall: () => this.renewIfDue() });
  }

  /**
   * Renews the lease when less than half is left, so the call about to start ends inside it.
   * Chunks in flight together share one renewal.
   */
  private renewIfDue(): Promise<void> {
    if (this.clock.now() < this.leaseUntil - this.leaseMs / 2) return Promise.resolve();
    this.renewal ??= this.renew().finally(() => {
      this.renewal = null;
    });
    return this.renewal;
  }

  private async renew(): Promise<void> {
    const now = this.clock.now();
    try {
      await this.table.update({
        Key: { PK: this.pk, SK: this.rowSk },
        UpdateExpression: 'SET lease_until = :until',
        ConditionExpression: 'write_id = :mine AND write_state = :writing',
        ExpressionAttributeValues: { ':until': now + this.leaseMs, ':mine': this.writeId, ...WRITING },
      });
    } catch (error) {
      if (error instanceof ConditionFailedError) throw this.leaseLost(error);
      throw error;
    }
    this.leaseUntil = now + this.leaseMs;
  }

  private async verify(expected: string[]): Promise<void> {
    const rows = await this.childRows();
    const want = new Set(expected);
    const good = rows.filter((r) => r.write_id === this.writeId && want.has(r.SK as string)).length;
    if (good !== expected.length || rows.length !== expected.length) {
      const foreign = rows.length - good;
      throw new IncompleteWriteError(
        expected.length,
        good,
        `lines and words of receipt ${this.describe()}${foreign > 0 ? ` (and ${foreign} rows another writer left)` : ''}`,
      );
    }
  }

  /** Line and word rows under the receipt: keys and the writer that tagged them. */
  private childRows(): Promise<Item[]> {
    return this.table.queryPrefix(this.pk, linesPrefix(this.details.receipt.receipt_id), ['SK', 'write_id']);
  }

  private leaseLost(cause: unknown): LeaseLostError {
    return new LeaseLostError(`receipt ${this.describe()}: another delivery took over the write`, { cause });
  }

  private describe(): string {
    return `${this.details.receipt.image_id}/${this.details.receipt.receipt_id}`;
  }
}

function deleteRequest(pk: string, row: Item): WriteRequest {
  return { DeleteRequest: { Key: { PK: pk, SK: row.SK as string } } };
}
