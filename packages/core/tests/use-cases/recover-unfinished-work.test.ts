import { describe, expect, it } from 'vitest';
import {
  buildReceiptsFromDocument,
  compact,
  processOcrResults,
  recoverUnfinishedWork,
  runOcrJob,
  submitJob,
  type RecoverUnfinishedWorkDeps,
} from '@receiptflow/core';
import { InMemoryQueue } from '@receiptflow/adapters-local';
import { nextPng, demoReceipts, ocrDocument, pipeline, specLines, type Pipeline } from './harness.js';

const MIN = 60_000;
const [first] = demoReceipts(1);
const LINES = specLines(first!.spec);

/** The pipeline plus a compaction queue, and the deps the recovery use case needs. */
function setup() {
  const p = pipeline();
  const compactionQueue = new InMemoryQueue({ name: 'compaction-queue', clock: p.clock });
  const deps: RecoverUnfinishedWorkDeps = {
    jobs: p.jobs,
    receipts: p.receipts,
    runs: p.runs,
    ocrQueue: p.ocrQueue,
    ocrBacklog: p.ocrQueue,
    resultsQueue: p.resultsQueue,
    compactionQueue,
    ocrBucket: p.artifacts.bucket,
  };
  return { p, compactionQueue, deps };
}

async function bodies(queue: InMemoryQueue): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (;;) {
    const batch = await queue.receive({ maxMessages: 10 });
    if (batch.length === 0) return out;
    for (const m of batch) {
      out.push(JSON.parse(m.body) as Record<string, unknown>);
      await m.ack();
    }
  }
}

/** Uploads and OCRs one receipt, then loses the results message (a kill before it was handled). */
async function ocrDoneMessageLost(p: Pipeline) {
  const submitted = await submitJob(p.submitDeps, { filename: 'r.png', contentType: 'image/png', body: nextPng() });
  p.ocr.next = ocrDocument(LINES);
  await runOcrJob(p.ocrDeps, { job_id: submitted.job_id, image_id: submitted.image_id });
  await bodies(p.ocrQueue);
  await bodies(p.resultsQueue);
  return submitted;
}

/** The receipt rows as the results step writes them first. */
async function writeRows(p: Pipeline, imageId: string) {
  const [built] = buildReceiptsFromDocument(
    ocrDocument(LINES),
    { image_id: imageId, created_at: new Date(p.clock.now()).toISOString(), image_type: 'NATIVE' },
    [],
  );
  await p.receipts.create(built!);
}

/** A write of one job-table store, named `store.method`. */
type CrashPoint = 'receipts.create' | 'receipts.putPlace';

/**
 * The three job-table stores, where every write (to any of them) after `point` throws, as if
 * the process died there.
 */
function crashingAfter(p: Pipeline, point: CrashPoint): Pick<Pipeline, 'jobs' | 'receipts' | 'runs'> {
  let crashed = false;
  const wrap = <T extends object>(name: string, store: T): T =>
    new Proxy(store, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          if (crashed && /^(create|put|transition)/.test(String(property))) throw new Error(`killed after ${point}`);
          const result: unknown = await (value as (...a: unknown[]) => unknown).apply(target, args);
          if (`${name}.${String(property)}` === point) crashed = true;
          return result;
        };
      },
    });
  return { jobs: wrap('jobs', p.jobs), receipts: wrap('receipts', p.receipts), runs: wrap('runs', p.runs) };
}

describe('recoverUnfinishedWork', () => {
  it('a receipt whose rows were written but nothing after them gets its place, deltas and one run', async () => {
    const { p, deps, compactionQueue } = setup();
    const { image_id, job_id } = await ocrDoneMessageLost(p);
    await writeRows(p, image_id);

    const report = await recoverUnfinishedWork(deps, { now: p.clock.now() + 1, olderThanMs: 0 });
    expect(report).toMatchObject({ ocr: [], results: [job_id], merges: 0 });
    const [message] = await bodies(p.resultsQueue);
    expect(message).toMatchObject({ job_id, image_id, receipt_count: 1 });

    const outcome = await processOcrResults(p.processDeps, message);
    expect(outcome.receipts[0]!.place.place_id).toBe(first!.truth.place_id);
    expect(await p.runs.list(image_id, 1)).toHaveLength(1);
    expect(p.catalogPlaces.calls).toBeGreaterThan(0);
    // Finished now: a second sweep re-sends nothing for it.
    await compact(p.compactDeps, p.drainRouted(), { owner: 't' });
    expect(await recoverUnfinishedWork(deps, { now: p.clock.now() + 1, olderThanMs: 0 })).toMatchObject({
      ocr: [],
      results: [],
      merges: 0,
    });
    expect(await bodies(compactionQueue)).toEqual([]);
  });

  it('re-sends each image to its first unfinished step, and leaves finished and waiting ones alone', async () => {
    const { p, deps, compactionQueue } = setup();
    const pending = await submitJob(p.submitDeps, { filename: 'a.png', contentType: 'image/png', body: nextPng() });
    const awaiting = await submitJob(p.submitDeps, { filename: 'b.png', contentType: 'image/png' });
    await bodies(p.ocrQueue);
    const noReceipt = await ocrDoneMessageLost(p);
    const runNotMerged = await p.ingest(LINES);
    const finished = await p.ingest(LINES);
    await compact(
      p.compactDeps,
      p.drainRouted().filter((m) => m.body.includes(finished.image_id)),
      { owner: 't' },
    );
    await bodies(p.ocrQueue); // ingest left its own OCR messages there

    const report = await recoverUnfinishedWork(deps, { now: p.clock.now() + MIN, olderThanMs: 0 });
    expect(report.ocr).toEqual([pending.job_id]);
    expect(report.results).toEqual([noReceipt.job_id]);
    expect(report.merges).toBe(2);
    // The seed-shaped message submitJob would have sent: image location and OCR bucket.
    expect(await bodies(p.ocrQueue)).toEqual([
      {
        job_id: pending.job_id,
        image_id: pending.image_id,
        s3_bucket: p.raw.bucket,
        s3_key: pending.s3_key,
        ocr_s3_bucket: p.artifacts.bucket,
      },
    ]);
    expect(awaiting.upload).not.toBeNull();
    const merges = await bodies(compactionQueue);
    expect(merges.map((m) => [m.image_id, m.collection])).toEqual([
      [runNotMerged.image_id, 'lines'],
      [runNotMerged.image_id, 'words'],
    ]);
  });

  // issue 20, item 6: a Places outage leaves the merchant PENDING, and the sweep is its retry.
  it('re-sends the results of a receipt whose merchant is PENDING, not one that is UNRESOLVED or decided', async () => {
    const { p, deps } = setup();
    const waiting = await p.ingest(LINES);
    const givenUp = await p.ingest(LINES);
    const decided = await p.ingest(LINES);
    const retry = (state: 'PENDING' | 'UNRESOLVED') => ({
      state,
      attempts: 1,
      last_error: 'places: HTTP 503',
      last_attempt_at: new Date(p.clock.now()).toISOString(),
    });
    for (const [r, state] of [
      [waiting, 'PENDING'],
      [givenUp, 'UNRESOLVED'],
    ] as const) {
      const place = (await p.receipts.getPlace(r.image_id, 1))!;
      await p.receipts.putPlace({ ...place, place_id: null, source: 'none', merchant_retry: retry(state) });
    }
    const report = await recoverUnfinishedWork(deps, { now: p.clock.now() + MIN, olderThanMs: 0 });
    expect(report.results).toEqual([waiting.job_id]);
    expect(decided.processed.receipts[0]!.place.merchant_retry).toBeUndefined();
  });

  it('leaves work younger than olderThanMs and jobs created before the look-back window alone', async () => {
    const { p, deps } = setup();
    const old = await ocrDoneMessageLost(p);
    await p.clock.advance(60 * MIN);
    const young = await ocrDoneMessageLost(p);
    const now = p.clock.now() + 5 * MIN;

    expect((await recoverUnfinishedWork(deps, { now, olderThanMs: 15 * MIN })).results).toEqual([old.job_id]);
    expect((await recoverUnfinishedWork(deps, { now, olderThanMs: MIN })).results).toEqual([old.job_id, young.job_id]);
    expect((await recoverUnfinishedWork(deps, { now, olderThanMs: MIN, lookbackMs: 30 * MIN })).results).toEqual([
      young.job_id,
    ]);
  });

  it('ocrOnlyWhenQueueIdle: a busy ocr-queue means the worker has work, so OCR is not re-sent, and that is reported', async () => {
    const { p, deps } = setup();
    const stuck = await submitJob(p.submitDeps, { filename: 'a.png', contentType: 'image/png', body: nextPng() });
    await bodies(p.ocrQueue);
    await submitJob(p.submitDeps, { filename: 'b.png', contentType: 'image/png', body: nextPng() }); // still queued
    const busy = await recoverUnfinishedWork(deps, {
      now: p.clock.now() + MIN,
      olderThanMs: 0,
      ocrOnlyWhenQueueIdle: true,
    });
    expect(busy.ocr).toEqual([]);
    expect(busy.skipped).toEqual([expect.stringContaining('ocr-queue holds 1 messages')]);
    await bodies(p.ocrQueue);
    const idle = await recoverUnfinishedWork(deps, {
      now: p.clock.now() + MIN,
      olderThanMs: 0,
      ocrOnlyWhenQueueIdle: true,
    });
    expect(idle.ocr).toContain(stuck.job_id);
  });

  it('ocrOnlyWhenQueueIdle without an ocrBacklog to ask is a ConfigError, not a guess', async () => {
    const { deps } = setup();
    const { ocrBacklog: _unused, ...withoutBacklog } = deps;
    await expect(
      recoverUnfinishedWork(withoutBacklog, { now: 0, olderThanMs: 0, ocrOnlyWhenQueueIdle: true }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('a job that found no text has no results step to finish', async () => {
    const { p, deps } = setup();
    await submitJob(p.submitDeps, { filename: 'blank.png', contentType: 'image/png', body: nextPng() });
    p.ocr.next = ocrDocument([]);
    await runOcrJob(p.ocrDeps, (await p.ocrQueue.receive())[0]!.body);
    await bodies(p.resultsQueue);
    expect((await recoverUnfinishedWork(deps, { now: p.clock.now() + MIN, olderThanMs: 0 })).results).toEqual([]);
  });
});

describe('processOcrResults resumes after a crash at any write, without duplicating anything', () => {
  const crashPoints: CrashPoint[] = ['receipts.create', 'receipts.putPlace'];

  it.each(crashPoints)(
    'crash after %s, then the re-sent message finishes the receipt as an uninterrupted run would',
    async (method) => {
      const { p, deps } = setup();
      const { image_id, job_id } = await ocrDoneMessageLost(p);
      const routing = (await p.jobs.getRoutingDecision(job_id))!;
      const message = {
        job_id,
        image_id,
        s3_bucket: routing.ocr_s3_bucket,
        s3_key: routing.ocr_s3_key,
        receipt_count: 1,
      };
      await expect(processOcrResults({ ...p.processDeps, ...crashingAfter(p, method) }, message)).rejects.toThrow(
        `killed after ${method}`,
      );
      const callsBeforeResume = p.catalogPlaces.calls;
      expect(await p.runs.list(image_id, 1)).toEqual([]);

      const report = await recoverUnfinishedWork(deps, { now: p.clock.now() + 1, olderThanMs: 0 });
      expect(report.results).toEqual([job_id]);
      const resumed = await processOcrResults(p.processDeps, (await bodies(p.resultsQueue))[0]);
      // A place stored before the crash is kept: Places is not asked again.
      if (method === 'receipts.putPlace') expect(p.catalogPlaces.calls).toBe(callsBeforeResume);
      expect(resumed.receipts[0]!.place.place_id).toBe(first!.truth.place_id);

      const runs = await p.runs.list(image_id, 1);
      expect(runs).toHaveLength(1);
      const details = (await p.receipts.get(image_id, 1))!;
      expect(runs[0]).toMatchObject({
        lines: { vector_count: details.lines.length },
        words: { vector_count: details.words.length },
      });
      const out = await compact(p.compactDeps, p.drainRouted(), { owner: 't' });
      expect(out.failed).toEqual([]);
      expect(await p.vectors.count('lines')).toBe(details.lines.length);
      expect(await p.vectors.count('words')).toBe(details.words.length);
      // Resuming a finished receipt once more changes nothing.
      await processOcrResults(p.processDeps, message);
      expect(await p.runs.list(image_id, 1)).toHaveLength(1);
    },
  );
});
