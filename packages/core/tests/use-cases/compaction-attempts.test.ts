import { describe, expect, it, vi } from 'vitest';
import {
  compact,
  DEFAULT_MAX_RUN_ATTEMPTS,
  sweepCompactionRuns,
  TransientDependencyError,
  silentLogger,
} from '@receiptflow/core';
import { ScriptedIndex, pipeline, seedRun } from './harness.js';

// issue 20, item 5: a run whose merge keeps failing is retried a bounded number of times, then
// ends ABANDONED (visible, logged as an error), never re-sent forever and never silently dropped.

const MIN = 60_000;

function failing() {
  let index!: ScriptedIndex;
  const p = pipeline({ vectors: (base) => (index = new ScriptedIndex(base)) });
  let down = true;
  index.beforeUpsert = async () => {
    if (down) throw new TransientDependencyError('chroma', 'upsert into lines: cannot reach the Chroma server');
  };
  return { p, index, recover: () => (down = false) };
}

describe('bounded compaction attempts', () => {
  it('a merge that keeps failing is FAILED until its last allowed attempt, then ABANDONED, logged as an error', async () => {
    const { p } = failing();
    const error = vi.fn();
    const deps = { ...p.compactDeps, logger: { ...silentLogger, error } };
    const seeded = await seedRun(p, 4);
    const ref = { image_id: seeded.image_id, receipt_id: 1, run_id: seeded.run.run_id };

    for (let attempt = 1; attempt <= 2; attempt++) {
      const out = await compact(deps, [seeded.lines], { owner: 'a', maxRunAttempts: 3 });
      expect(out.failed).toEqual([expect.objectContaining({ id: seeded.lines.id, retryable: true })]);
      expect(out.abandoned).toEqual([]);
      expect((await p.runs.get(ref))?.lines).toMatchObject({ state: 'FAILED', attempts: attempt });
    }
    const last = await compact(deps, [seeded.lines], { owner: 'a', maxRunAttempts: 3 });
    expect(last.abandoned).toEqual([{ run_id: seeded.run.run_id, collection: 'lines' }]);
    const run = await p.runs.get(ref);
    expect(run?.lines).toMatchObject({ state: 'ABANDONED', attempts: 3 });
    expect(run?.lines.error).toMatch(/^abandoned after 3 attempts: chroma: upsert into lines: cannot reach/);
    expect(error).toHaveBeenCalledWith(
      'compaction run abandoned',
      expect.objectContaining({ run_id: seeded.run.run_id, collection: 'lines', attempts: 3 }),
    );

    // The sweep no longer re-sends it, however old it gets; the words collection is still swept.
    const later = p.clock.now() + 24 * 60 * MIN;
    const merges = await sweepCompactionRuns(p, { now: later, olderThanMs: 15 * MIN });
    expect(merges.map((m) => m.collection)).toEqual(['words']);

    // A message still queued for it is settled without touching the index.
    const duplicate = await compact(deps, [seeded.lines], { owner: 'a', maxRunAttempts: 3 });
    expect(duplicate).toMatchObject({ succeeded: [seeded.lines.id], failed: [], abandoned: [] });
    expect((await p.runs.get(ref))?.lines.attempts).toBe(3);
  });

  it('a run that recovers before its last attempt completes normally, its attempts recorded', async () => {
    const { p, recover } = failing();
    const seeded = await seedRun(p, 4);
    const ref = { image_id: seeded.image_id, receipt_id: 1, run_id: seeded.run.run_id };
    await compact(p.compactDeps, [seeded.lines], { owner: 'a', maxRunAttempts: 3 });
    await compact(p.compactDeps, [seeded.lines], { owner: 'a', maxRunAttempts: 3 });
    recover();
    const out = await compact(p.compactDeps, [seeded.lines], { owner: 'a', maxRunAttempts: 3 });
    expect(out).toMatchObject({ succeeded: [seeded.lines.id], failed: [], abandoned: [] });
    expect((await p.runs.get(ref))?.lines).toMatchObject({ state: 'COMPLETED', attempts: 3, merged_count: 4 });
  });

  it('the default allows DEFAULT_MAX_RUN_ATTEMPTS merges', async () => {
    const { p } = failing();
    const seeded = await seedRun(p, 2);
    const ref = { image_id: seeded.image_id, receipt_id: 1, run_id: seeded.run.run_id };
    for (let i = 1; i < DEFAULT_MAX_RUN_ATTEMPTS; i++) await compact(p.compactDeps, [seeded.lines], { owner: 'a' });
    expect((await p.runs.get(ref))?.lines.state).toBe('FAILED');
    await compact(p.compactDeps, [seeded.lines], { owner: 'a' });
    expect((await p.runs.get(ref))?.lines).toMatchObject({ state: 'ABANDONED', attempts: DEFAULT_MAX_RUN_ATTEMPTS });
  });

  it('the sweep re-sends a failed collection only once its last change is older than the cut-off', async () => {
    const { p } = failing();
    const seeded = await seedRun(p, 2);
    await p.clock.advance(60 * MIN); // the run was created an hour before its merge failed
    await compact(p.compactDeps, [seeded.lines], { owner: 'a' });
    const failedAt = p.clock.now();
    // Just failed: its own message is still being retried by the queue; the sweep leaves it alone.
    const soon = await sweepCompactionRuns(p, { now: failedAt + 5 * MIN, olderThanMs: 15 * MIN });
    expect(soon.map((m) => m.collection)).toEqual(['words']);
    const later = await sweepCompactionRuns(p, { now: failedAt + 16 * MIN, olderThanMs: 15 * MIN });
    expect(later.map((m) => m.collection).sort()).toEqual(['lines', 'words']);
  });
});
