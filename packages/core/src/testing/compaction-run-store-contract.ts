import { describe, expect, it } from 'vitest';
import { ConditionFailedError, IllegalTransitionError, NotFoundError } from '../errors.js';
import type { CompactionRunRef, CompactionRunStore } from '../ports/index.js';
import { type ContractSubject, defineContract, sorted } from './contract-helpers.js';
import { makeCompactionRun, uniqueId } from './fixtures.js';

const refOf = (run: CompactionRunRef): CompactionRunRef => ({
  image_id: run.image_id,
  receipt_id: run.receipt_id,
  run_id: run.run_id,
});

/** What a CompactionRunStore contract factory returns: a fresh, EMPTY store (listings are asserted exactly). */
export type CompactionRunStoreContractSubject = ContractSubject<CompactionRunStore>;

/**
 * The CompactionRunStore contract: conditional creates, per-collection transitions that are
 * atomic and never overwrite the other collection, and the sweep's listing of unfinished runs.
 * The factory must return a fresh, empty store each call.
 */
export const describeCompactionRunStoreContract = defineContract<CompactionRunStore>('CompactionRunStore', (store) => {
  describe('compaction runs', () => {
    it('creates and reads back a run; identical repeat succeeds; different fails', async () => {
      const run = makeCompactionRun();
      await store.create(run);
      expect(await store.get(refOf(run))).toEqual(run);
      await expect(store.create(structuredClone(run))).resolves.toBeUndefined();
      await expect(store.create({ ...run, lines: { ...run.lines, vector_count: 99 } })).rejects.toBeInstanceOf(
        ConditionFailedError,
      );
      expect(await store.get({ ...refOf(run), run_id: uniqueId('run') })).toBeNull();
    });

    it('list returns one receipt’s runs, oldest first', async () => {
      const imageId = uniqueId('img');
      const newer = makeCompactionRun({ image_id: imageId, created_at: '2024-01-03T00:00:00.000Z' });
      const older = makeCompactionRun({ image_id: imageId, created_at: '2024-01-02T00:00:00.000Z' });
      const otherReceipt = makeCompactionRun({ image_id: imageId, receipt_id: 2 });
      for (const r of [newer, older, otherReceipt]) await store.create(r);
      expect(await store.list(imageId, 1)).toEqual([older, newer]);
      expect(await store.list(imageId, 3)).toEqual([]);
    });

    it('transitionCollection moves one collection and applies its patch, leaving the other alone', async () => {
      const run = makeCompactionRun();
      await store.create(run);
      const ref = { image_id: run.image_id, receipt_id: run.receipt_id, run_id: run.run_id };
      const processing = await store.transitionCollection(ref, 'lines', 'PENDING', 'PROCESSING');
      expect(processing.lines.state).toBe('PROCESSING');
      expect(processing.words).toEqual(run.words);
      const done = await store.transitionCollection(ref, 'lines', 'PROCESSING', 'COMPLETED', {
        merged_count: 3,
      });
      expect(done.lines).toMatchObject({ state: 'COMPLETED', merged_count: 3, error: null });
      expect(done.words).toEqual(run.words);
      expect(await store.get(refOf(run))).toEqual(done);
    });

    it('records the error of a FAILED collection', async () => {
      const run = makeCompactionRun({ words: { state: 'PROCESSING' } });
      await store.create(run);
      const ref = { image_id: run.image_id, receipt_id: run.receipt_id, run_id: run.run_id };
      const failed = await store.transitionCollection(ref, 'words', 'PROCESSING', 'FAILED', {
        error: 'delta truncated',
      });
      expect(failed.words).toMatchObject({ state: 'FAILED', error: 'delta truncated' });
    });

    it('illegal transitions throw IllegalTransitionError; wrong current state throws ConditionFailedError', async () => {
      const run = makeCompactionRun({ lines: { state: 'COMPLETED', merged_count: 3 } });
      await store.create(run);
      const ref = { image_id: run.image_id, receipt_id: run.receipt_id, run_id: run.run_id };
      await expect(store.transitionCollection(ref, 'lines', 'COMPLETED', 'PROCESSING')).rejects.toBeInstanceOf(
        IllegalTransitionError,
      );
      await expect(store.transitionCollection(ref, 'lines', 'PROCESSING', 'COMPLETED')).rejects.toBeInstanceOf(
        ConditionFailedError,
      );
      await expect(store.transitionCollection(ref, 'words', 'PROCESSING', 'COMPLETED')).rejects.toBeInstanceOf(
        ConditionFailedError,
      );
      expect(await store.get(refOf(run))).toEqual(run);
    });

    it('a transition of an absent run throws NotFoundError', async () => {
      await expect(
        store.transitionCollection(
          { image_id: uniqueId('img'), receipt_id: 1, run_id: uniqueId('run') },
          'lines',
          'PENDING',
          'PROCESSING',
        ),
      ).rejects.toBeInstanceOf(NotFoundError);
    });

    // docs/lessons.md#lesson-3-runs-stuck-pending
    it('lines and words completing concurrently both end COMPLETED', async () => {
      const run = makeCompactionRun({ lines: { state: 'PROCESSING' }, words: { state: 'PROCESSING' } });
      await store.create(run);
      const ref = { image_id: run.image_id, receipt_id: run.receipt_id, run_id: run.run_id };
      await Promise.all([
        store.transitionCollection(ref, 'lines', 'PROCESSING', 'COMPLETED', { merged_count: 3 }),
        store.transitionCollection(ref, 'words', 'PROCESSING', 'COMPLETED', { merged_count: 7 }),
      ]);
      const stored = await store.get(refOf(run));
      expect(stored?.lines).toMatchObject({ state: 'COMPLETED', merged_count: 3 });
      expect(stored?.words).toMatchObject({ state: 'COMPLETED', merged_count: 7 });
    });

    it('two concurrent claims of the same collection: exactly one wins', async () => {
      const run = makeCompactionRun();
      await store.create(run);
      const ref = { image_id: run.image_id, receipt_id: run.receipt_id, run_id: run.run_id };
      const results = await Promise.allSettled([
        store.transitionCollection(ref, 'lines', 'PENDING', 'PROCESSING'),
        store.transitionCollection(ref, 'lines', 'PENDING', 'PROCESSING'),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(lost?.reason).toBeInstanceOf(ConditionFailedError);
    });

    it('listUnfinished finds runs older than the cut-off with any collection not COMPLETED', async () => {
      const old = '2024-01-01T00:00:00.000Z';
      const cutoff = '2024-01-02T00:00:00.000Z';
      const young = '2024-01-03T00:00:00.000Z';
      const halfDone = makeCompactionRun({ created_at: old, lines: { state: 'COMPLETED' } });
      const failed = makeCompactionRun({
        created_at: old,
        lines: { state: 'COMPLETED' },
        words: { state: 'FAILED' },
      });
      const pending = makeCompactionRun({ created_at: old, receipt_id: 2 });
      const finished = makeCompactionRun({
        created_at: old,
        lines: { state: 'COMPLETED' },
        words: { state: 'COMPLETED' },
      });
      const tooYoung = makeCompactionRun({ created_at: young });
      for (const r of [halfDone, failed, pending, finished, tooYoung]) await store.create(r);

      const listed = await store.listUnfinished(cutoff);
      expect(sorted(listed, (r) => r.run_id)).toEqual(sorted([halfDone, failed, pending], (r) => r.run_id));
      expect(await store.listUnfinished(cutoff, 2)).toHaveLength(2);

      // Completing the last collection removes the run from the sweep.
      const ref = { image_id: halfDone.image_id, receipt_id: halfDone.receipt_id, run_id: halfDone.run_id };
      await store.transitionCollection(ref, 'words', 'PENDING', 'PROCESSING');
      await store.transitionCollection(ref, 'words', 'PROCESSING', 'COMPLETED', { merged_count: 3 });
      const after = await store.listUnfinished(cutoff);
      expect(after.map((r) => r.run_id).sort()).toEqual([failed.run_id, pending.run_id].sort());
    });

    it('counts every merge started: each transition into PROCESSING is one attempt, nothing else counts', async () => {
      const run = makeCompactionRun();
      await store.create(run);
      const ref = refOf(run);
      expect((await store.get(ref))?.lines.attempts).toBe(0);
      await store.transitionCollection(ref, 'lines', 'PENDING', 'PROCESSING');
      await store.transitionCollection(ref, 'lines', 'PROCESSING', 'FAILED', { error: 'chroma down' });
      await store.transitionCollection(ref, 'lines', 'FAILED', 'PROCESSING');
      // A redelivery after a crash mid-merge re-enters PROCESSING: that is an attempt too.
      const again = await store.transitionCollection(ref, 'lines', 'PROCESSING', 'PROCESSING');
      expect(again.lines.attempts).toBe(3);
      expect(again.words.attempts).toBe(0);
      const done = await store.transitionCollection(ref, 'lines', 'PROCESSING', 'COMPLETED', { merged_count: 3 });
      expect(done.lines).toMatchObject({ state: 'COMPLETED', attempts: 3 });
      expect(await store.get(ref)).toEqual(done);
    });

    it('listUnfinished leaves out runs whose collections are all COMPLETED or ABANDONED; a re-drive lists it again', async () => {
      const old = '2024-01-01T00:00:00.000Z';
      const cutoff = '2024-01-02T00:00:00.000Z';
      const abandoned = makeCompactionRun({
        created_at: '2023-12-31T00:00:00.000Z', // the oldest: first in the sweep's order
        lines: { state: 'COMPLETED' },
        words: { state: 'PROCESSING', attempts: 30 },
      });
      const halfAbandoned = makeCompactionRun({
        created_at: old,
        lines: { state: 'ABANDONED', attempts: 30, error: 'gave up' },
        words: { state: 'FAILED' },
      });
      for (const r of [abandoned, halfAbandoned]) await store.create(r);
      await store.transitionCollection(refOf(abandoned), 'words', 'PROCESSING', 'ABANDONED', { error: 'gave up' });
      expect((await store.listUnfinished(cutoff)).map((r) => r.run_id)).toEqual([halfAbandoned.run_id]);
      // Even a limit of 1 is not taken up by the abandoned run, which sorts first.
      expect((await store.listUnfinished(cutoff, 1)).map((r) => r.run_id)).toEqual([halfAbandoned.run_id]);

      // An operator's re-drive: ABANDONED goes back to FAILED, and the sweep finds it again.
      await store.transitionCollection(refOf(abandoned), 'words', 'ABANDONED', 'FAILED');
      expect(sorted(await store.listUnfinished(cutoff), (r) => r.run_id).map((r) => r.run_id)).toEqual(
        [abandoned.run_id, halfAbandoned.run_id].sort(),
      );
      await expect(
        store.transitionCollection(refOf(halfAbandoned), 'lines', 'ABANDONED', 'PROCESSING'),
      ).rejects.toBeInstanceOf(IllegalTransitionError);
    });
  });
});
