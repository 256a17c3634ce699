import { describe, expect, it } from 'vitest';
import { LeaseLostError } from '../errors.js';
import type { CompactionLock } from '../ports/index.js';
import { type ContractSubject, withFreshSubject } from './contract-helpers.js';
import { uniqueId } from './fixtures.js';

/**
 * What a CompactionLock contract factory returns: a fresh lock store.
 * `advance(ms)` moves the clock the adapter reads (a FakeClock's advance, for local and for
 * DynamoDB adapters built with the Clock port); when omitted the suite sleeps for real, with
 * 1 s leases, which makes it slow.
 */
export interface CompactionLockContractSubject extends ContractSubject<CompactionLock> {
  advance?: (ms: number) => Promise<void>;
}

// For suites without `advance`: a real adapter (SQS, DynamoDB) keeps its own time, so the only way
// to let a visibility timeout or a lease lapse there is to wait for it.
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Long enough never to lapse inside a test that does not advance time. */
const LONG = 600_000;
/** Short lease for expiry scenarios; the suite advances by {@link PAST_SHORT}. */
const SHORT = 1_000;
const PAST_SHORT = 1_500;

/**
 * The CompactionLock contract: exclusive leases, renewal, expiry and takeover, strictly
 * increasing fencing tokens, idempotent release.
 */
export function describeCompactionLockContract(
  name: string,
  factory: () => Promise<CompactionLockContractSubject>,
): void {
  describe(`CompactionLock contract: ${name}`, () => {
    let lock: CompactionLock;
    let advance: (ms: number) => Promise<void>;
    let lockName: string;

    withFreshSubject(factory, (created) => {
      lock = created.subject;
      advance = created.advance ?? realSleep;
      lockName = uniqueId('lines');
    });

    it('acquires a free lock and reports it held', async () => {
      const lease = await lock.acquire(lockName, 'worker-a', LONG);
      expect(lease).toMatchObject({ name: lockName, owner: 'worker-a' });
      expect(Number.isInteger(lease!.fencing_token)).toBe(true);
      expect(lease!.expires_at).toBeGreaterThan(0);
      expect(await lock.isHeld(lease!)).toBe(true);
    });

    it('a second owner gets null while the lease is held', async () => {
      const lease = await lock.acquire(lockName, 'worker-a', LONG);
      expect(lease).not.toBeNull();
      expect(await lock.acquire(lockName, 'worker-b', LONG)).toBeNull();
      expect(await lock.isHeld(lease!)).toBe(true);
    });

    it('locks with different names are independent', async () => {
      const a = await lock.acquire(`${lockName}-a`, 'worker-a', LONG);
      const b = await lock.acquire(`${lockName}-b`, 'worker-b', LONG);
      expect(a).not.toBeNull();
      expect(b).not.toBeNull();
    });

    it('two concurrent acquisitions: exactly one gets the lease', async () => {
      const results = await Promise.all([
        lock.acquire(lockName, 'worker-a', LONG),
        lock.acquire(lockName, 'worker-b', LONG),
        lock.acquire(lockName, 'worker-c', LONG),
      ]);
      expect(results.filter((r) => r !== null)).toHaveLength(1);
    });

    it('renew extends the lease and keeps the fencing token', async () => {
      const lease = (await lock.acquire(lockName, 'worker-a', SHORT))!;
      await advance(SHORT / 2);
      const renewed = await lock.renew(lease, SHORT);
      expect(renewed.fencing_token).toBe(lease.fencing_token);
      expect(renewed.owner).toBe('worker-a');
      expect(renewed.expires_at).toBeGreaterThan(lease.expires_at);
      // Past the original expiry, but inside the renewed lease: still held, still exclusive.
      await advance(SHORT / 2 + 200);
      expect(await lock.isHeld(renewed)).toBe(true);
      expect(await lock.acquire(lockName, 'worker-b', SHORT)).toBeNull();
    });

    it('renew after the lease expired throws LeaseLostError', async () => {
      const lease = (await lock.acquire(lockName, 'worker-a', SHORT))!;
      await advance(PAST_SHORT);
      expect(await lock.isHeld(lease)).toBe(false);
      await expect(lock.renew(lease, SHORT)).rejects.toBeInstanceOf(LeaseLostError);
    });

    it('after expiry another owner takes over with a larger token; the old lease is lost', async () => {
      const old = (await lock.acquire(lockName, 'worker-a', SHORT))!;
      await advance(PAST_SHORT);
      const taken = await lock.acquire(lockName, 'worker-b', LONG);
      expect(taken).not.toBeNull();
      expect(taken!.fencing_token).toBeGreaterThan(old.fencing_token);
      expect(await lock.isHeld(old)).toBe(false);
      await expect(lock.renew(old, LONG)).rejects.toBeInstanceOf(LeaseLostError);
      // Releasing the lost lease must not release the new holder's.
      await lock.release(old);
      expect(await lock.isHeld(taken!)).toBe(true);
      expect(await lock.acquire(lockName, 'worker-c', LONG)).toBeNull();
    });

    it('fencing tokens strictly increase across acquisitions', async () => {
      const tokens: number[] = [];
      for (const owner of ['a', 'b', 'a', 'c']) {
        const lease = await lock.acquire(lockName, owner, LONG);
        expect(lease).not.toBeNull();
        tokens.push(lease!.fencing_token);
        await lock.release(lease!);
      }
      for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeGreaterThan(tokens[i - 1]!);
    });

    it('release frees the lock at once and is idempotent', async () => {
      const lease = (await lock.acquire(lockName, 'worker-a', LONG))!;
      await lock.release(lease);
      expect(await lock.isHeld(lease)).toBe(false);
      await expect(lock.release(lease)).resolves.toBeUndefined();
      const next = await lock.acquire(lockName, 'worker-b', LONG);
      expect(next).not.toBeNull();
      await expect(lock.renew(lease, LONG)).rejects.toBeInstanceOf(LeaseLostError);
    });

    it('release of a lock that was never acquired succeeds', async () => {
      await expect(
        lock.release({ name: lockName, owner: 'nobody', fencing_token: 1, expires_at: 1 }),
      ).resolves.toBeUndefined();
    });
  });
}
