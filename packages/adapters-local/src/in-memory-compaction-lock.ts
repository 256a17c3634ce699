import { LeaseLostError, ValidationError, type Clock, type CompactionLock, type LockLease } from '@receiptflow/core';
import { SystemClock } from './system-clock.js';

interface LockRow {
  owner: string;
  fencing_token: number;
  /** Epoch ms; 0 once released. */
  expires_at: number;
}

/**
 * Named leases in memory, judged against the injected clock. The row outlives its release
 * (expiry set to 0) so the next acquisition's fencing token is still larger than every earlier one.
 */
export class InMemoryCompactionLock implements CompactionLock {
  private readonly rows = new Map<string, LockRow>();
  private readonly clock: Clock;

  /**
   * Locks in memory, for one process; `config.clock` (default the system clock) decides lease expiry.
   *
   * @example
   * const lock = new InMemoryCompactionLock({ clock: new FakeClock() });
   * const lease = await lock.acquire('compaction:lines', 'worker-1', 60_000);
   */
  constructor(config: { clock?: Clock } = {}) {
    this.clock = config.clock ?? new SystemClock();
  }

  async acquire(name: string, owner: string, leaseMs: number): Promise<LockLease | null> {
    assertLeaseMs(leaseMs);
    const now = this.clock.now();
    const row = this.rows.get(name);
    if (row && row.expires_at > now) return null;
    const next: LockRow = { owner, fencing_token: (row?.fencing_token ?? 0) + 1, expires_at: now + leaseMs };
    this.rows.set(name, next);
    return { name, ...next };
  }

  async renew(lease: LockLease, leaseMs: number): Promise<LockLease> {
    assertLeaseMs(leaseMs);
    const now = this.clock.now();
    const row = this.rows.get(lease.name);
    if (!row || !isSameLease(row, lease) || row.expires_at <= now) {
      throw new LeaseLostError(
        `lock ${lease.name}: lease ${lease.fencing_token} of ${lease.owner} expired or was taken over`,
      );
    }
    row.expires_at = now + leaseMs;
    return { name: lease.name, ...row };
  }

  async release(lease: LockLease): Promise<void> {
    const row = this.rows.get(lease.name);
    if (row && isSameLease(row, lease)) row.expires_at = 0;
  }

  async isHeld(lease: LockLease): Promise<boolean> {
    const row = this.rows.get(lease.name);
    return !!row && isSameLease(row, lease) && row.expires_at > this.clock.now();
  }
}

function isSameLease(row: LockRow, lease: LockLease): boolean {
  return row.fencing_token === lease.fencing_token && row.owner === lease.owner;
}

function assertLeaseMs(leaseMs: number): void {
  if (!Number.isFinite(leaseMs) || leaseMs <= 0) {
    throw new ValidationError(`lease must be a positive number of milliseconds, got ${leaseMs}`);
  }
}
