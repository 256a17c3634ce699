import { expect, it } from 'vitest';
import { ConditionFailedError, StaleFencingTokenError } from '../errors.js';
import type { SnapshotStore } from '../ports/index.js';
import { type ContractSubject, defineContract } from './contract-helpers.js';
import { makeSnapshotPointer } from './fixtures.js';

/** What a SnapshotStore contract factory returns: a fresh store with no pointers. */
export type SnapshotStoreContractSubject = ContractSubject<SnapshotStore>;

/**
 * The SnapshotStore contract: the pointer swaps only from the expected version and never to
 * an older fencing token, and a refused swap stores nothing (docs/lessons.md#lesson-20-lost-update-on-the-snapshot-pointer).
 */
export const describeSnapshotStoreContract = defineContract<SnapshotStore>('SnapshotStore', (store) => {
  it('has no pointer before the first promotion', async () => {
    expect(await store.current('lines')).toBeNull();
    expect(await store.current('words')).toBeNull();
  });

  it('first promotion expects version 0; later ones the version read', async () => {
    const v1 = makeSnapshotPointer({ version: 1, fencing_token: 5, vector_count: 10, run_ids: ['run-a'] });
    await store.promote(v1, 0);
    expect(await store.current('lines')).toEqual(v1);
    const v2 = makeSnapshotPointer({ version: 2, fencing_token: 6, vector_count: 25, run_ids: ['run-b', 'run-c'] });
    await store.promote(v2, 1);
    expect(await store.current('lines')).toEqual(v2);
  });

  it('the same holder may promote twice with the same fencing token', async () => {
    await store.promote(makeSnapshotPointer({ version: 1, fencing_token: 5 }), 0);
    const v2 = makeSnapshotPointer({ version: 2, fencing_token: 5 });
    await store.promote(v2, 1);
    expect(await store.current('lines')).toEqual(v2);
  });

  it('a wrong expected version throws ConditionFailedError and leaves the pointer unchanged', async () => {
    const v1 = makeSnapshotPointer({ version: 1, fencing_token: 5 });
    await store.promote(v1, 0);
    await expect(store.promote(makeSnapshotPointer({ version: 1, fencing_token: 6 }), 0)).rejects.toBeInstanceOf(
      ConditionFailedError,
    );
    await expect(store.promote(makeSnapshotPointer({ version: 3, fencing_token: 6 }), 2)).rejects.toBeInstanceOf(
      ConditionFailedError,
    );
    expect(await store.current('lines')).toEqual(v1);
  });

  it('expecting a version when there is no pointer yet throws ConditionFailedError', async () => {
    await expect(store.promote(makeSnapshotPointer({ version: 2 }), 1)).rejects.toBeInstanceOf(ConditionFailedError);
    expect(await store.current('lines')).toBeNull();
  });

  it('an older fencing token throws StaleFencingTokenError and leaves the pointer unchanged', async () => {
    const v1 = makeSnapshotPointer({ version: 1, fencing_token: 7 });
    await store.promote(v1, 0);
    await expect(
      store.promote(makeSnapshotPointer({ version: 2, fencing_token: 6, vector_count: 99 }), 1),
    ).rejects.toBeInstanceOf(StaleFencingTokenError);
    expect(await store.current('lines')).toEqual(v1);
  });

  // docs/lessons.md#lesson-20-lost-update-on-the-snapshot-pointer
  it('two concurrent promotions from the same version: exactly one wins', async () => {
    const v1 = makeSnapshotPointer({ version: 1, fencing_token: 1 });
    await store.promote(v1, 0);
    const a = makeSnapshotPointer({ version: 2, fencing_token: 2, run_ids: ['run-a'] });
    const b = makeSnapshotPointer({ version: 2, fencing_token: 3, run_ids: ['run-b'] });
    const results = await Promise.allSettled([store.promote(a, 1), store.promote(b, 1)]);
    const won = results.findIndex((r) => r.status === 'fulfilled');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    const refused = lost?.reason instanceof ConditionFailedError || lost?.reason instanceof StaleFencingTokenError;
    expect(refused).toBe(true);
    expect(await store.current('lines')).toEqual(won === 0 ? a : b);
  });

  it('collections have independent pointers', async () => {
    const lines = makeSnapshotPointer({ collection: 'lines', version: 1, fencing_token: 9 });
    await store.promote(lines, 0);
    expect(await store.current('words')).toBeNull();
    const words = makeSnapshotPointer({ collection: 'words', version: 1, fencing_token: 1 });
    await store.promote(words, 0);
    expect(await store.current('words')).toEqual(words);
    expect(await store.current('lines')).toEqual(lines);
  });

  it('returns copies: mutating a read pointer changes nothing stored', async () => {
    const v1 = makeSnapshotPointer({ run_ids: ['run-a'] });
    await store.promote(v1, 0);
    const read = await store.current('lines');
    read!.run_ids.push('mutated');
    expect(await store.current('lines')).toEqual(v1);
  });
});
