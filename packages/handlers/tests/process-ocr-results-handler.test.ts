import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sqsEvent } from './support/fixtures.js';
import { localPipeline, ocrDone, type LocalPipeline } from './support/local-pipeline.js';

/** What processOcrResults left in the stores for one image. */
async function written(p: LocalPipeline, imageId: string) {
  const a = p.adapters;
  const receipts = await a.receipts.list(imageId);
  const runs = receipts.length > 0 ? await a.runs.list(imageId, 1) : [];
  const deltaKeys = [...(await a.deltas.list('deltas/lines/')), ...(await a.deltas.list('deltas/words/'))];
  const deltas = await Promise.all(
    deltaKeys.map(async (k) => [k, Buffer.from((await a.deltas.get(k)).body).toString('base64')]),
  );
  return {
    receipts: receipts.map((r) => ({ receipt: r.receipt, lines: r.lines.length, words: r.words.length })),
    place: receipts.length > 0 ? await a.receipts.getPlace(imageId, 1) : null,
    runs,
    deltas: Object.fromEntries(deltas),
  };
}

describe('processOcrResults handler', () => {
  it('a batch of good, malformed and deleted-job messages fails exactly the malformed ones', async () => {
    const p = await localPipeline();
    const good = await ocrDone(p, 0);
    const other = await ocrDone(p, 1);
    const parsedOther = JSON.parse(other.body) as Record<string, unknown>;
    // Its job is gone (never existed): the message is settled, nothing is written for it.
    const deletedJob = JSON.stringify({ ...parsedOther, job_id: randomUUID() });
    const missingDocument = JSON.stringify({ ...parsedOther, s3_key: `ocr/${other.image_id}/gone.json` });
    const wrongBucket = JSON.stringify({ ...parsedOther, s3_bucket: 'someone-elses-bucket' });

    const response = await p.results(
      sqsEvent([
        { id: 'good', body: good.body },
        { id: 'not-json', body: '{"job_id": ' },
        { id: 'wrong-shape', body: JSON.stringify({ job_id: good.job_id }) },
        { id: 'deleted-job', body: deletedJob },
        { id: 'missing-document', body: missingDocument },
        { id: 'wrong-bucket', body: wrongBucket },
      ]),
    );
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
      'missing-document',
      'not-json',
      'wrong-bucket',
      'wrong-shape',
    ]);

    const done = await written(p, good.image_id);
    expect(done.receipts).toHaveLength(1);
    expect(done.place?.place_id).toBe(good.receipt.truth.place_id);
    expect(done.runs).toHaveLength(1);
    expect((await written(p, other.image_id)).receipts).toEqual([]);

    const errors = p.logger.entries.filter((e) => e.level === 'error');
    expect(errors.map((e) => e.fields.message_id).sort()).toEqual([
      'missing-document',
      'not-json',
      'wrong-bucket',
      'wrong-shape',
    ]);
    // Poison messages are not retryable: the redrive policy moves them to the DLQ.
    expect(errors.every((e) => e.fields.retryable === false)).toBe(true);
    expect(errors.find((e) => e.fields.message_id === 'missing-document')?.fields.error).toContain('gone.json');
  });

  it('an empty or missing Records list is an empty response', async () => {
    const p = await localPipeline();
    expect(await p.results({ Records: [] })).toEqual({ batchItemFailures: [] });
    expect(await p.results({} as never)).toEqual({ batchItemFailures: [] });
  });

  it('a redelivered message leaves the same rows, deltas and CompactionRun, never duplicates', async () => {
    const p = await localPipeline();
    const { image_id, body } = await ocrDone(p, 2);
    expect(await p.results(sqsEvent([body]))).toEqual({ batchItemFailures: [] });
    const first = await written(p, image_id);
    expect(first.runs).toHaveLength(1);
    expect(Object.keys(first.deltas)).toHaveLength(2);
    const runInserts = () => p.changes.filter((c) => c.entity === 'COMPACTION_RUN' && c.event_name === 'INSERT').length;
    expect(runInserts()).toBe(1);
    const tokensAfterFirst = p.adapters.embedder.tokensUsed;

    // Redelivered on its own, then twice in one batch (SQS at-least-once).
    expect(await p.results(sqsEvent([body]))).toEqual({ batchItemFailures: [] });
    expect(
      await p.results(
        sqsEvent([
          { id: 'a', body },
          { id: 'b', body },
        ]),
      ),
    ).toEqual({ batchItemFailures: [] });
    expect(await written(p, image_id)).toEqual(first);
    expect(runInserts()).toBe(1);
    // Nothing was embedded again.
    expect(p.adapters.embedder.tokensUsed).toBe(tokensAfterFirst);

    // And the pipeline still finishes: one run, compacted once.
    await p.drain();
    const [run] = (await written(p, image_id)).runs;
    expect(run?.lines.state).toBe('COMPLETED');
    expect(run?.words.state).toBe('COMPLETED');
    expect(await p.adapters.vectors.count('lines')).toBe(first.receipts[0]!.lines);
  });

  it('a failure of a dependency fails that message only, and its redelivery succeeds', async () => {
    const p = await localPipeline();
    const a = await ocrDone(p, 0);
    const b = await ocrDone(p, 3);
    const embedder = p.adapters.embedder;
    const realEmbed = embedder.embed.bind(embedder);
    let calls = 0;
    embedder.embed = async (texts) => {
      if (++calls === 1) throw new Error('embedding service unavailable');
      return realEmbed(texts);
    };
    const response = await p.results(
      sqsEvent([
        { id: 'a', body: a.body },
        { id: 'b', body: b.body },
      ]),
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'a' }]);
    expect(p.logger.entries.find((e) => e.level === 'error')?.fields).toMatchObject({
      message_id: 'a',
      retryable: true,
    });
    expect((await written(p, a.image_id)).runs).toEqual([]);
    expect(await p.results(sqsEvent([{ id: 'a', body: a.body }]))).toEqual({ batchItemFailures: [] });
    expect((await written(p, a.image_id)).runs).toHaveLength(1);
  });
});
