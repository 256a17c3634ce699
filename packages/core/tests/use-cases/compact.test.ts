import { describe, expect, it } from 'vitest';
import { compact, sweepCompactionRuns, type CompactInput, type CompactOutcome } from '@receiptflow/core';
import { ScriptedIndex, pipeline, seedRun, type Pipeline } from './harness.js';

const MIN = 60_000;

function scripted() {
  let index!: ScriptedIndex;
  const p = pipeline({ vectors: (base) => (index = new ScriptedIndex(base)) });
  return { p, index };
}

function allIds(outcome: CompactOutcome): string[] {
  return [...outcome.succeeded, ...outcome.failed.map((f) => f.id)].sort();
}

async function runStates(p: Pipeline, image_id: string, run_id: string) {
  const run = await p.runs.get({ image_id: image_id, receipt_id: 1, run_id: run_id });
  return { lines: run?.lines.state, words: run?.words.state, run };
}

describe('compact with local adapters', () => {
  it('merges, reads back, promotes, then marks both collections COMPLETED', async () => {
    const { p } = scripted();
    const seeded = await seedRun(p, 40);
    const out = await compact(p.compactDeps, seeded.messages, { owner: 'a' });
    expect(out).toMatchObject({ promoted: true, failed: [], merged: { lines: 40, words: 40 } });
    expect(out.succeeded.sort()).toEqual(seeded.messages.map((m) => m.id).sort());
    const { run } = await runStates(p, seeded.image_id, seeded.run.run_id);
    expect(run).toMatchObject({
      lines: { state: 'COMPLETED', merged_count: 40 },
      words: { state: 'COMPLETED', merged_count: 40 },
    });
    expect(await p.snapshots.current('lines')).toMatchObject({
      version: 1,
      vector_count: 40,
      run_ids: [seeded.run.run_id],
      fencing_token: 1,
    });
    // Redelivered: succeeds without merging again.
    const again = await compact(p.compactDeps, seeded.messages, { owner: 'a' });
    expect(again).toMatchObject({ failed: [], merged: { lines: 0, words: 0 } });
    expect(again.succeeded).toHaveLength(2);
  });

  // docs/lessons.md#lesson-1-lease-lost-mid-merge
  it('a 10-minute merge under a 3-minute lease is kept alive by the heartbeat and promoted', async () => {
    const { p, index } = scripted();
    const seeded = await seedRun(p, 10);
    index.beforeUpsert = () => p.clock.sleep(10 * MIN);
    const out = await p.clock.runUntil(compact(p.compactDeps, [seeded.lines], { owner: 'a', leaseMs: 3 * MIN }));
    expect(out).toMatchObject({ promoted: true, failed: [], succeeded: [seeded.lines.id] });
    expect((await runStates(p, seeded.image_id, seeded.run.run_id)).lines).toBe('COMPLETED');
  });

  // docs/lessons.md#lesson-1-lease-lost-mid-merge
  it('with the heartbeat disabled the lease lapses, promotion is refused, messages fail retryable', async () => {
    const { p, index } = scripted();
    const seeded = await seedRun(p, 10);
    index.beforeUpsert = () => p.clock.sleep(10 * MIN);
    const out = await p.clock.runUntil(
      compact(p.compactDeps, [seeded.lines], { owner: 'a', leaseMs: 3 * MIN, heartbeat: false }),
    );
    expect(out.promoted).toBe(false);
    expect(out.succeeded).toEqual([]);
    expect(out.failed).toEqual([
      { id: seeded.lines.id, error: expect.stringMatching(/expired|taken over/), retryable: true, code: 'LEASE_LOST' },
    ]);
    expect(await p.snapshots.current('lines')).toBeNull();
    expect((await runStates(p, seeded.image_id, seeded.run.run_id)).lines).toBe('FAILED');
  });

  // docs/lessons.md#lesson-2-a-merge-that-lost-data-was-marked-done
  it('a store that drops records past 300 per call fails the 600-vector run, retryable, not COMPLETED', async () => {
    const { p, index } = scripted();
    const seeded = await seedRun(p, 600);
    index.dropBeyond = 300;
    const out = await compact(p.compactDeps, [seeded.lines], { owner: 'a' });
    expect(out.promoted).toBe(false);
    expect(out.failed).toEqual([
      {
        id: seeded.lines.id,
        error: expect.stringMatching(/wrote 600 records, read back 300/),
        retryable: true,
        code: 'INCOMPLETE_WRITE',
      },
    ]);
    const { run } = await runStates(p, seeded.image_id, seeded.run.run_id);
    expect(run?.lines).toMatchObject({
      state: 'FAILED',
      merged_count: null,
      error: expect.stringMatching(/read back 300/),
    });
    // Fixed store, redelivered message: FAILED → PROCESSING → COMPLETED.
    index.dropBeyond = null;
    const retry = await compact(p.compactDeps, [seeded.lines], { owner: 'a' });
    expect(retry).toMatchObject({ succeeded: [seeded.lines.id], merged: { lines: 600 } });
  });

  // docs/lessons.md#lesson-3-runs-stuck-pending
  it('lines and words completing concurrently both read COMPLETED', async () => {
    const { p } = scripted();
    const seeded = await seedRun(p, 20);
    const [a, b] = await Promise.all([
      compact(p.compactDeps, [seeded.lines], { owner: 'lines-worker' }),
      compact(p.compactDeps, [seeded.words], { owner: 'words-worker' }),
    ]);
    expect(a.succeeded).toEqual([seeded.lines.id]);
    expect(b.succeeded).toEqual([seeded.words.id]);
    expect(await runStates(p, seeded.image_id, seeded.run.run_id)).toMatchObject({
      lines: 'COMPLETED',
      words: 'COMPLETED',
    });
  });

  // docs/lessons.md#lesson-3-runs-stuck-pending
  it('the sweep finds runs left unfinished, and not finished ones', async () => {
    const { p } = scripted();
    const stuck = await seedRun(p, 5);
    const done = await seedRun(p, 5);
    await compact(p.compactDeps, done.messages, { owner: 'a' });
    await compact(p.compactDeps, [stuck.words], { owner: 'a' });
    const found = await sweepCompactionRuns(p, { olderThanMs: 0, now: Date.parse('2030-01-01T00:00:00Z') });
    expect(found).toEqual([
      {
        kind: 'merge',
        collection: 'lines',
        run_id: stuck.run.run_id,
        image_id: stuck.image_id,
        receipt_id: 1,
        delta_key: stuck.run.lines.delta_key,
      },
    ]);
    // Runs younger than the threshold are left alone (likely still in flight).
    expect(await sweepCompactionRuns(p, { olderThanMs: 60 * MIN, now: Date.parse(stuck.run.created_at) })).toEqual([]);
    const finish = await compact(
      p.compactDeps,
      found.map((m, i) => ({ id: `sweep-${i}`, body: JSON.stringify(m) })),
      { owner: 'sweeper' },
    );
    expect(finish.succeeded).toEqual(['sweep-0']);
    expect(await sweepCompactionRuns(p, { olderThanMs: 0, now: Date.parse('2030-01-01T00:00:00Z') })).toEqual([]);
  });

  // docs/lessons.md#lesson-7-success-reported-while-data-was-lost
  it('every input id appears once; a merge that throws marks nothing COMPLETED', async () => {
    const { p, index } = scripted();
    const seeded = await seedRun(p, 5);
    index.beforeUpsert = async () => {
      throw new Error('index exploded');
    };
    const inputs: CompactInput[] = [
      ...seeded.messages,
      { id: 'garbage', body: '{"kind":"merge"' },
      { id: 'wrong-shape', body: { kind: 'nope' } },
    ];
    const out = await compact(p.compactDeps, inputs, { owner: 'a' });
    expect(allIds(out)).toEqual(inputs.map((i) => i.id).sort());
    expect(out.succeeded).toEqual([]);
    expect(out.promoted).toBe(false);
    expect(out.failed.find((f) => f.id === 'garbage')).toMatchObject({ retryable: false });
    expect(await runStates(p, seeded.image_id, seeded.run.run_id)).toMatchObject({ lines: 'FAILED', words: 'FAILED' });
    expect(await p.snapshots.current('lines')).toBeNull();
  });

  // docs/lessons.md#lesson-12-corrupt-deltas-published-while-still-open
  it('a truncated delta fails its run, non-retryable, and nothing is COMPLETED', async () => {
    const { p } = scripted();
    const seeded = await seedRun(p, 30);
    const body = (await p.deltas.get(seeded.run.lines.delta_key)).body;
    await p.deltas.put(seeded.run.lines.delta_key, body.subarray(0, Math.floor(body.length / 2)));
    const out = await compact(p.compactDeps, [seeded.lines], { owner: 'a' });
    expect(out.failed).toEqual([
      {
        id: seeded.lines.id,
        error: expect.stringMatching(/not valid JSON|truncated/),
        retryable: false,
        code: 'CORRUPT_DELTA',
      },
    ]);
    expect(out.promoted).toBe(false);
    expect((await runStates(p, seeded.image_id, seeded.run.run_id)).run?.lines).toMatchObject({
      state: 'FAILED',
      error: expect.stringMatching(/truncated/),
    });
    expect(await p.vectors.count('lines')).toBe(0);
  });

  it('a busy lock fails the messages of that collection as retryable, leaves the others', async () => {
    const { p } = scripted();
    const seeded = await seedRun(p, 5);
    await p.lock.acquire('compaction:lines', 'someone-else', 3 * MIN);
    const out = await compact(p.compactDeps, seeded.messages, { owner: 'a' });
    expect(out.failed).toEqual([
      {
        id: seeded.lines.id,
        error: expect.stringMatching(/compaction:lines is held/),
        retryable: true,
        code: 'LOCK_BUSY',
      },
    ]);
    expect(out.succeeded).toEqual([seeded.words.id]);
  });

  // docs/lessons.md#lesson-18-a-stalled-copy-held-messages-for-900-s
  it('a stalled store makes compact return before its deadline, reporting the batch as failed', async () => {
    const { p, index } = scripted();
    const first = await seedRun(p, 5);
    const second = await seedRun(p, 5);
    index.beforeUpsert = () => new Promise<void>(() => {});
    const deadline = p.clock.now() + 60_000;
    const inputs = [first.lines, second.lines, first.words];
    const out = await p.clock.runUntil(compact(p.compactDeps, inputs, { owner: 'a', deadline }));
    expect(p.clock.now()).toBeLessThanOrEqual(deadline);
    expect(out.succeeded).toEqual([]);
    expect(allIds(out)).toEqual(inputs.map((i) => i.id).sort());
    expect(out.failed.every((f) => f.retryable)).toBe(true);
    expect(out.failed[0]!.error).toMatch(/did not finish|deadline/);
    // The lock was released for the next invocation.
    expect(await p.lock.acquire('compaction:lines', 'next', 3 * MIN)).not.toBeNull();
  });

  // docs/lessons.md#lesson-20-lost-update-on-the-snapshot-pointer
  it('two compactors and a lease that expires mid-merge: one fails, the pointer stays consistent', async () => {
    const { p, index } = scripted();
    const slow = await seedRun(p, 10);
    const fast = await seedRun(p, 10);
    let stalls = 1;
    index.beforeUpsert = async () => {
      if (stalls-- > 0) await p.clock.sleep(5 * MIN);
    };
    const a = compact(p.compactDeps, [slow.lines], { owner: 'a', leaseMs: 3 * MIN, heartbeat: false });
    await p.clock.advance(4 * MIN); // A's lease has lapsed while it is still merging.
    const b = await compact(p.compactDeps, [fast.lines], { owner: 'b', leaseMs: 3 * MIN, heartbeat: false });
    expect(b).toMatchObject({ promoted: true, succeeded: [fast.lines.id] });
    const outA = await p.clock.runUntil(a);
    expect(outA.promoted).toBe(false);
    expect(outA.failed).toEqual([
      { id: slow.lines.id, error: expect.stringMatching(/expired|taken over/), retryable: true, code: 'LEASE_LOST' },
    ]);
    const pointer = await p.snapshots.current('lines');
    expect(pointer).toMatchObject({ version: 1, fencing_token: 2, run_ids: [fast.run.run_id] });
    expect((await runStates(p, slow.image_id, slow.run.run_id)).lines).toBe('FAILED');
    // A's redelivery succeeds under a fresh lease.
    const retry = await compact(p.compactDeps, [slow.lines], { owner: 'a' });
    expect(retry.succeeded).toEqual([slow.lines.id]);
    expect(await p.snapshots.current('lines')).toMatchObject({ version: 2, fencing_token: 3 });
  });
});
