import type { LockLease } from '../domain/index.js';

/**
 * A named lock with a lease. Every acquisition gets a fencing token larger than any before it,
 * so a holder whose lease lapsed cannot promote over a newer holder.
 *
 * @example
 * const lease = await lock.acquire('compaction:lines', workerId, 60_000);
 * if (lease === null) return; // another compactor holds it: try later
 * try {
 *   const renewed = await lock.renew(lease, 60_000); // heartbeat during a long merge
 *   if (await lock.isHeld(renewed)) await snapshots.promote({ ...next, fencing_token: renewed.fencing_token }, version);
 * } finally {
 *   await lock.release(lease);
 * }
 */
export interface CompactionLock {
  /** Returns null when another owner holds an unexpired lease. */
  acquire(name: string, owner: string, leaseMs: number): Promise<LockLease | null>;
  /** Extends the lease; throws LeaseLostError if it expired or was taken over. */
  renew(lease: LockLease, leaseMs: number): Promise<LockLease>;
  /** Releases if still held; idempotent. */
  release(lease: LockLease): Promise<void>;
  /** True while this lease is the current, unexpired one. */
  isHeld(lease: LockLease): Promise<boolean>;
}
