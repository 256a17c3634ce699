import { FakeClock } from '@receiptflow/adapters-local';
import { demoReceipts } from '@receiptflow/adapters-local/synthetic';
import { describe, expect, it } from 'vitest';
import { pumpQueue } from '../src/local/queue-pump.js';
import { bodyOf, httpEvent, ocrDocument, specLines, sqsEvent } from './support/fixtures.js';
import { localPipeline, type LocalPipeline } from './support/local-pipeline.js';

async function upload(p: LocalPipeline, bytes: Uint8Array) {
  const res = await p.upload(httpEvent({ headers: { 'content-type': 'image/png' }, body: bytes }));
  expect(res.statusCode).toBe(201);
  return bodyOf<{ image_id: string; job_id: string }>(res);
}

async function resultsBody(p: LocalPipeline): Promise<string> {
  await p.runOcr();
  const [m] = await p.adapters.resultsQueue.receive({ maxMessages: 1 });
  await m!.ack();
  return m!.body;
}

describe('lessons, through the handlers', () => {
  // docs/lessons.md#lesson-4-a-dlq-threshold-that-could-never-be-reached
  it('a message that always fails reaches the DLQ within the local redrive limit', async () => {
    const clock = new FakeClock();
    const p = await localPipeline({ clock });
    const a = p.adapters;
    await a.resultsQueue.send('{"this is": "poison"}');
    let receives = 0;
    for (let i = 0; i < 10 && (await a.resultsDlq.depth()).visible === 0; i++) {
      receives += await pumpQueue(a.resultsQueue, p.results);
      // Past the longest backoff pumpQueue gives a failed message (30 s).
      await clock.advance(31_000);
    }
    expect(receives).toBe(5);
    expect(await a.resultsDlq.depth()).toEqual({ visible: 1, inFlight: 0 });
    expect(await a.resultsQueue.depth()).toEqual({ visible: 0, inFlight: 0 });
  });

  // docs/lessons.md#lesson-10-one-bad-record-failed-a-whole-run
  it('one unusable word among many is reported, the rest are ingested and the run succeeds', async () => {
    const p = await localPipeline();
    const receipt = demoReceipts()[0]!;
    const doc = ocrDocument(specLines(receipt.spec));
    const total = doc.lines.reduce((n, l) => n + l.words.length, 0);
    doc.lines[3]!.words[1]!.text = '   ';
    const { image_id } = await upload(p, p.ocr.registerDocument('lesson10', doc));
    const body = await resultsBody(p);
    expect(await p.results(sqsEvent([body]))).toEqual({ batchItemFailures: [] });
    const [details] = await p.adapters.receipts.list(image_id);
    expect(details?.words).toHaveLength(total - 1);
    expect(p.logger.entries.find((e) => e.message === 'ocr results processed')?.fields).toMatchObject({
      receipts: 1,
      skipped: 1,
    });
    await p.drain();
    const [run] = await p.adapters.runs.list(image_id, 1);
    expect(run?.words).toMatchObject({ state: 'COMPLETED', merged_count: total - 1 });
  });

  // docs/lessons.md#lesson-15-a-remove-before-its-insert-left-orphans
  it('a receipt deleted after processing leaves no vectors even when its REMOVE is compacted before its INSERT', async () => {
    const p = await localPipeline();
    const receipt = demoReceipts()[1]!;
    const { image_id } = await upload(p, p.ocr.register('lesson15', specLines(receipt.spec)));
    expect(await p.results(sqsEvent([await resultsBody(p)]))).toEqual({ batchItemFailures: [] });
    await p.adapters.receipts.delete(image_id, 1);
    await p.pumpStream();
    const messages = await p.adapters.compactionQueue.receive({ maxMessages: 10 });
    const kinds = messages.map((m) => (JSON.parse(m.body) as { kind: string }).kind);
    expect(kinds.filter((k) => k === 'merge')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'delete_receipt')).toHaveLength(2);
    // Standard queues reorder: the deletes arrive (and are compacted) first.
    const ordered = [...messages].sort(
      (x, y) => (x.body.includes('delete_receipt') ? -1 : 0) - (y.body.includes('delete_receipt') ? -1 : 0),
    );
    for (const m of ordered) {
      expect(await p.compaction({ Records: [{ messageId: m.id, body: m.body }] })).toEqual({ batchItemFailures: [] });
    }
    expect(await p.adapters.vectors.findIds('lines', { image_id })).toEqual([]);
    expect(await p.adapters.vectors.findIds('words', { image_id })).toEqual([]);
    expect(await p.adapters.receipts.list(image_id)).toEqual([]);
  });

  // docs/lessons.md#lesson-16-stream-events-that-should-do-nothing-did-a-lot
  it('a compaction cycle creates no further compaction work', async () => {
    const p = await localPipeline();
    await upload(p, p.ocr.register('lesson16', specLines(demoReceipts()[2]!.spec)));
    await p.drain();
    // The drain above already compacted; the run's MODIFYs it produced were routed to nothing.
    expect(p.changes).toEqual([]);
    expect(await p.adapters.compactionQueue.depth()).toEqual({ visible: 0, inFlight: 0 });
    // One compaction batch (the two merges); the run's MODIFYs started no second one.
    const batches = p.logger.entries.filter((e) => e.message === 'compaction batch done');
    expect(batches.map((e) => e.fields.succeeded)).toEqual([2]);
  });
});
