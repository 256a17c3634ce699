import {
  COLLECTIONS,
  compactionLockName,
  type Collection,
  type CompactionLock,
  type LockLease,
} from '@receiptflow/core';

/** What the lock tells a shared-directory writer: see `HnswFencedWriterVectorIndex`. */
export interface FencedWriter {
  fence(token: number): Promise<unknown>;
  unfence(): void;
}

/**
 * A {@link CompactionLock} that hands each new lease's fencing token to the writer of that
 * lock's collection, so the compaction use case stays unaware of where vectors are stored.
 * Acquiring fences the writer (catch up, record the token in the manifest); a fence that fails
 * releases the lease again and throws, so no message is processed without a writer. Releasing
 * unfences first.
 *
 * @example
 * const lock = new FencingCompactionLock(new DynamoDbCompactionLock(doc, opts), { lines, words });
 */
export class FencingCompactionLock implements CompactionLock {
  private readonly byName = new Map<string, FencedWriter>();

  constructor(
    private readonly inner: CompactionLock,
    writers: Readonly<Partial<Record<Collection, FencedWriter>>>,
  ) {
    for (const collection of COLLECTIONS) {
      const writer = writers[collection];
      if (writer) this.byName.set(compactionLockName(collection), writer);
    }
  }

  async acquire(name: string, owner: string, leaseMs: number): Promise<LockLease | null> {
    const lease = await this.inner.acquire(name, owner, leaseMs);
    const writer = this.byName.get(name);
    if (!lease || !writer) return lease;
    try {
      await writer.fence(lease.fencing_token);
    } catch (error) {
      await this.inner.release(lease).catch(() => undefined);
      throw error;
    }
    return lease;
  }

  renew(lease: LockLease, leaseMs: number): Promise<LockLease> {
    return this.inner.renew(lease, leaseMs);
  }

  async release(lease: LockLease): Promise<void> {
    this.byName.get(lease.name)?.unfence();
    await this.inner.release(lease);
  }

  isHeld(lease: LockLease): Promise<boolean> {
    return this.inner.isHeld(lease);
  }
}
