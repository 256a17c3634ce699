import { describe, expect, it } from 'vitest';
import { describeCompactionLockContract } from '@receiptflow/core/testing';
import { FakeClock } from '../src/fake-clock.js';
import { InMemoryCompactionLock } from '../src/in-memory-compaction-lock.js';

describeCompactionLockContract('InMemoryCompactionLock', async () => {
  const clock = new FakeClock();
  return { subject: new InMemoryCompactionLock({ clock }), advance: (ms) => clock.advance(ms) };
});

// docs/lessons.md#lesson-1-lease-lost-mid-merge
describe('InMemoryCompactionLock with a heartbeat', () => {
  it('a heartbeat renewing every third of a 3-minute lease keeps it through a 10-minute merge', async () => {
    const clock = new FakeClock();
    const lock = new InMemoryCompactionLock({ clock });
    const leaseMs = 180_000;
    const lease = (await lock.acquire('lines', 'compactor-1', leaseMs))!;
    let current = lease;
    let merging = true;
    const heartbeat = (async () => {
      while (merging) {
        await clock.sleep(leaseMs / 3);
        if (merging) current = await lock.renew(current, leaseMs);
      }
    })();
    await clock.advance(600_000);
    expect(await lock.isHeld(current)).toBe(true);
    expect(await lock.acquire('lines', 'compactor-2', leaseMs)).toBeNull();
    merging = false;
    await clock.advance(leaseMs / 3);
    await heartbeat;
  });

  it('without a heartbeat the lease lapses mid-merge and a takeover fences it out', async () => {
    const clock = new FakeClock();
    const lock = new InMemoryCompactionLock({ clock });
    const lease = (await lock.acquire('lines', 'compactor-1', 180_000))!;
    await clock.advance(600_000);
    expect(await lock.isHeld(lease)).toBe(false);
    const taken = (await lock.acquire('lines', 'compactor-2', 180_000))!;
    expect(taken.fencing_token).toBeGreaterThan(lease.fencing_token);
  });

  it('refuses a non-positive lease', async () => {
    const lock = new InMemoryCompactionLock();
    await expect(lock.acquire('x', 'o', 0)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
