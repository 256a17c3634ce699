import { describe, expect, it } from 'vitest';
import { processOcrResults, recoverUnfinishedWork } from '@receiptflow/core';
import { demoReceipts, pipeline, recoveryDeps, specLines, twoUp } from './harness.js';

const DEMO = demoReceipts(1);

describe('processOcrResults on a page of two receipts', () => {
  it('routes receipt_count 2, builds receipts 1 and 2 with their own merchants, and a redelivery duplicates nothing', async () => {
    const p = pipeline();
    const first = await p.ingest(twoUp(specLines(DEMO[0]!.spec), specLines(DEMO[1]!.spec)));
    expect(first.ocrOutcome).toMatchObject({ status: 'completed', routing: { receipt_count: 2 } });
    expect(first.processed.receipts.map((r) => [r.receipt_id, r.place.place_id])).toEqual([
      [1, DEMO[0]!.truth.place_id],
      [2, DEMO[1]!.truth.place_id],
    ]);
    const stored = await p.receipts.list(first.image_id);
    expect(stored.map((d) => d.lines[0]!.text)).toEqual([DEMO[0]!.spec.merchant_name, DEMO[1]!.spec.merchant_name]);
    const runs = first.processed.receipts.map((r) => r.run_id);
    expect(new Set(runs).size).toBe(2);

    const again = await processOcrResults(p.processDeps, first.resultsBody);
    expect(again.receipts.map((r) => r.run_id)).toEqual(runs);
    expect(again.receipts.every((r) => r.embedding_tokens === 0)).toBe(true);
    expect(await p.receipts.list(first.image_id)).toHaveLength(2);
  });

  it('a page that stopped between its receipts is re-sent by recovery until every receipt exists', async () => {
    const p = pipeline();
    const first = await p.ingest(twoUp(specLines(DEMO[0]!.spec), specLines(DEMO[1]!.spec)));
    // As if the process died after receipt 1: receipt 2 was never written.
    await p.receipts.delete(first.image_id, 2);
    const report = await recoverUnfinishedWork(recoveryDeps(p), { now: p.clock.now() + 1, olderThanMs: 0 });
    expect(report.results).toEqual([first.job_id]);
    const [resent] = await p.resultsQueue.receive({ maxMessages: 1 });
    const outcome = await processOcrResults(p.processDeps, resent!.body);
    expect(outcome.receipts.map((r) => [r.receipt_id, r.place.place_id])).toEqual([
      [1, DEMO[0]!.truth.place_id],
      [2, DEMO[1]!.truth.place_id],
    ]);
    expect(await p.receipts.list(first.image_id)).toHaveLength(2);
  });
});
