import { FakeClock } from '@receiptflow/adapters-local';
import { demoReceipts } from '@receiptflow/adapters-local/synthetic';
import * as core from '@receiptflow/core';
import type { ImageStore } from '@receiptflow/core';
import { describe, expect, it, vi } from 'vitest';
import { createCompactionHandler } from '../src/handlers/compaction-handler.js';
import { DEADLINE_MARGIN_MS, type InvocationContext, type SqsEvent } from '../src/handlers/sqs-event.js';
import { bodyOf, httpEvent, specLines, sqsEvent } from './support/fixtures.js';
import { localPipeline, type LocalPipeline } from './support/local-pipeline.js';

// A pass-through spy on compact, to read the deadline each invocation hands it.
vi.mock('@receiptflow/core', async (importOriginal) => {
  const real = await importOriginal<typeof import('@receiptflow/core')>();
  return { ...real, compact: vi.fn(real.compact) };
});
const compactSpy = vi.mocked(core.compact);

/** A Lambda context whose remaining time counts down on `clock` from `timeoutMs`. */
function lambdaContext(clock: core.Clock, timeoutMs: number, id = 'req'): InvocationContext {
  const endsAt = clock.now() + timeoutMs;
  return { awsRequestId: `${id}-${clock.now()}`, getRemainingTimeInMillis: () => endsAt - clock.now() };
}

/** Uploads, OCRs and processes receipt `n`, routes the changes; returns its compaction batch. */
async function pendingRun(p: LocalPipeline, n: number) {
  const receipt = demoReceipts()[n]!;
  const bytes = p.ocr.register(`c${n}`, specLines(receipt.spec));
  const { image_id } = bodyOf<{ image_id: string }>(
    await p.upload(httpEvent({ headers: { 'content-type': 'image/png' }, body: bytes })),
  );
  await p.runOcr();
  const [results] = await p.adapters.resultsQueue.receive({ maxMessages: 1 });
  expect(await p.results(sqsEvent([results!.body]))).toEqual({ batchItemFailures: [] });
  await results!.ack();
  await p.pumpStream();
  const messages = await p.adapters.compactionQueue.receive({ maxMessages: 10 });
  for (const m of messages) await m.ack();
  const event: SqsEvent = { Records: messages.map((m) => ({ messageId: m.id, body: m.body })) };
  const [run] = await p.adapters.runs.list(image_id, 1);
  return { image_id, event, run: run!, receipt };
}

async function runState(p: LocalPipeline, imageId: string) {
  const [run] = await p.adapters.runs.list(imageId, 1);
  return { lines: run?.lines.state, words: run?.words.state };
}

describe('compaction handler', () => {
  it('merges a run into the vector index, promotes the snapshot and marks the run COMPLETED', async () => {
    const p = await localPipeline();
    const { image_id, event, run } = await pendingRun(p, 0);
    expect(event.Records).toHaveLength(2);
    const response = await p.compaction(event, lambdaContext(p.adapters.clock, 900_000));
    expect(response).toEqual({ batchItemFailures: [] });
    const [stored] = await p.adapters.runs.list(image_id, 1);
    expect(stored?.lines).toMatchObject({ state: 'COMPLETED', merged_count: run.lines.vector_count });
    expect(stored?.words).toMatchObject({ state: 'COMPLETED', merged_count: run.words.vector_count });
    expect(await p.adapters.vectors.count('lines')).toBe(run.lines.vector_count);
    expect(await p.adapters.vectors.count('words')).toBe(run.words.vector_count);
    expect((await p.adapters.snapshots.current('lines'))?.run_ids).toEqual([run.run_id]);
    expect(p.logger.entries.find((e) => e.message === 'compaction batch done')?.fields).toMatchObject({
      succeeded: 2,
      failed: 0,
      promoted: true,
    });
  });

  it('maps failed messages to batchItemFailures and never marks their runs COMPLETED', async () => {
    const p = await localPipeline();
    const good = await pendingRun(p, 0);
    const broken = await pendingRun(p, 1);
    // The delta of one collection is gone: that merge fails, the other merges still succeed.
    await p.adapters.deltas.delete(broken.run.lines.delta_key);
    const records = [
      ...good.event.Records,
      ...broken.event.Records,
      { messageId: 'not-json', body: 'merge everything please' },
      { messageId: 'wrong-kind', body: JSON.stringify({ kind: 'explode', collection: 'lines' }) },
    ];
    const response = await p.compaction({ Records: records }, lambdaContext(p.adapters.clock, 900_000));
    const brokenLines = broken.event.Records.find(
      (r) => (JSON.parse(r.body) as { collection: string }).collection === 'lines',
    )!.messageId;
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      [brokenLines, 'not-json', 'wrong-kind'].sort(),
    );
    expect(await runState(p, good.image_id)).toEqual({ lines: 'COMPLETED', words: 'COMPLETED' });
    expect(await runState(p, broken.image_id)).toEqual({ lines: 'FAILED', words: 'COMPLETED' });
    const [failedRun] = await p.adapters.runs.list(broken.image_id, 1);
    expect(failedRun?.lines.error).toContain(broken.run.lines.delta_key);
    expect(p.logger.entries.filter((e) => e.message === 'compaction message failed')).toHaveLength(3);
  });

  it('returns an empty response for an empty batch without calling compact', async () => {
    const p = await localPipeline();
    compactSpy.mockClear();
    expect(await p.compaction({ Records: [] })).toEqual({ batchItemFailures: [] });
    expect(compactSpy).not.toHaveBeenCalled();
  });

  // docs/lessons.md#lesson-17-timeouts-that-did-not-fit
  it('gives the second of two invocations an hour apart in one warm instance its full time budget', async () => {
    const clock = new FakeClock();
    const p = await localPipeline({ clock });
    const first = await pendingRun(p, 0);
    const second = await pendingRun(p, 1);
    compactSpy.mockClear();

    const t0 = clock.now();
    expect(await p.compaction(first.event, lambdaContext(clock, 900_000))).toEqual({ batchItemFailures: [] });
    await clock.advance(60 * 60 * 1000);
    const t1 = clock.now();
    // Same handler instance (warm container), a new invocation with its own context.
    expect(await p.compaction(second.event, lambdaContext(clock, 900_000))).toEqual({ batchItemFailures: [] });

    expect(compactSpy).toHaveBeenCalledTimes(2);
    expect(compactSpy.mock.calls[0]![2].deadline).toBe(t0 + 900_000 - DEADLINE_MARGIN_MS);
    expect(compactSpy.mock.calls[1]![2].deadline).toBe(t1 + 900_000 - DEADLINE_MARGIN_MS);
    expect(compactSpy.mock.calls[0]![2].owner).not.toBe(compactSpy.mock.calls[1]![2].owner);
    expect(await runState(p, second.image_id)).toEqual({ lines: 'COMPLETED', words: 'COMPLETED' });
  });

  it('without a Lambda context uses the fallback budget from the current time, every call', async () => {
    const clock = new FakeClock();
    const p = await localPipeline({ clock });
    const { event } = await pendingRun(p, 0);
    compactSpy.mockClear();
    await clock.advance(5_000);
    await p.compaction(event);
    // localPipeline builds the handler with fallbackBudgetMs 60_000.
    expect(compactSpy.mock.calls[0]![2].deadline).toBe(clock.now() + 60_000 - DEADLINE_MARGIN_MS);
  });

  // docs/lessons.md#lesson-18-a-stalled-copy-held-messages-for-900-s
  // Deltas are streamed: the store may stall before the body, or in the middle of it.
  it.each(['before the body', 'in the middle of the body'] as const)(
    'returns before its deadline with the batch as failures when the deltas store stalls %s',
    async (where) => {
      const clock = new FakeClock();
      const p = await localPipeline({ clock });
      const { image_id, event } = await pendingRun(p, 0);
      const a = p.adapters;
      const never = () => new Promise<never>(() => {});
      const stalled: ImageStore = Object.assign(Object.create(a.deltas) as ImageStore, {
        get: never,
        getStream:
          where === 'before the body'
            ? never
            : async (key: string) => {
                const object = await a.deltas.getStream(key);
                return {
                  ...object,
                  body: (async function* () {
                    for await (const chunk of object.body) {
                      yield chunk.subarray(0, 16);
                      await never();
                    }
                  })(),
                };
              },
      });
      const handler = createCompactionHandler({
        receipts: a.receipts,
        runs: a.runs,
        deltas: stalled,
        vectors: a.vectors,
        lock: a.lock,
        snapshots: a.snapshots,
        clock,
        logger: p.logger,
      });

      const started = clock.now();
      const timeoutMs = 120_000;
      const response = await clock.runUntil(handler(event, lambdaContext(clock, timeoutMs)));
      expect(clock.now()).toBeLessThan(started + timeoutMs);
      expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
        event.Records.map((r) => r.messageId).sort(),
      );
      const failures = p.logger.entries
        .filter((e) => e.message === 'compaction message failed')
        .map((e) => String(e.fields.error));
      expect(failures.every((m) => /deadline|did not finish/.test(m))).toBe(true);
      // Nothing is COMPLETED, and the lock was released for the retry.
      const state = await runState(p, image_id);
      expect(state.lines).not.toBe('COMPLETED');
      expect(state.words).not.toBe('COMPLETED');
      expect(await a.lock.acquire(core.compactionLockName('lines'), 'next-compactor', 60_000)).not.toBeNull();
      expect(await a.vectors.count('lines')).toBe(0);
    },
  );

  // docs/lessons.md#lesson-18-a-stalled-copy-held-messages-for-900-s
  it('returns before its deadline when the lock store stalls too', async () => {
    const clock = new FakeClock();
    const p = await localPipeline({ clock });
    const { event } = await pendingRun(p, 0);
    const a = p.adapters;
    const lock = Object.assign(Object.create(a.lock) as core.CompactionLock, {
      acquire: () => new Promise<never>(() => {}),
    });
    const handler = createCompactionHandler({
      receipts: a.receipts,
      runs: a.runs,
      deltas: a.deltas,
      vectors: a.vectors,
      lock,
      snapshots: a.snapshots,
      clock,
      logger: p.logger,
    });
    const started = clock.now();
    const response = await clock.runUntil(handler(event, lambdaContext(clock, 60_000)));
    expect(clock.now()).toBeLessThan(started + 60_000);
    expect(response.batchItemFailures).toHaveLength(2);
  });
});
