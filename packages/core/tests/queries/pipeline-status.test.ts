import { describe, expect, it } from 'vitest';
import {
  ForbiddenError,
  NotFoundError,
  ValidationError,
  getPipelineStatus,
  listDeadLetters,
  redriveDeadLetters,
  submitJob,
  type PipelineDeps,
  type PipelineQueueName,
} from '@receiptflow/core';
import { InMemoryDeadLetterQueue, InMemoryQueue } from '@receiptflow/adapters-local';
import { nextPng, pipeline, seedRun, type Pipeline } from '../use-cases/harness.js';

const OPS = 'ops';

/** The pipeline's stores with a work queue and DLQ per stage, `ops` the operator. */
function pipelineDeps(p: Pipeline) {
  const pair = (name: string, work?: InMemoryQueue) => {
    const dlq = new InMemoryQueue({ name: `${name}-dlq`, clock: p.clock });
    const queue = work ?? new InMemoryQueue({ name, clock: p.clock });
    // The harness's work queues have no DLQ; these stand in for theirs (same names).
    const source = new InMemoryQueue({ name: queue.name, clock: p.clock, deadLetter: { queue: dlq } });
    return { queue, source, dlq, deadLetters: new InMemoryDeadLetterQueue(dlq, queue) };
  };
  const queues = {
    ocr: pair('ocr-queue', p.ocrQueue),
    'ocr-results': pair('ocr-results-queue', p.resultsQueue),
    compaction: pair('compaction-queue'),
  } satisfies Record<PipelineQueueName, unknown>;
  const deps: PipelineDeps = { jobs: p.jobs, runs: p.runs, queues, clock: p.clock, operators: [OPS] };
  return { deps, queues };
}

/** Dead-letters `body` from `source` with `reason`, as a consumer does. */
async function deadLetter(source: InMemoryQueue, body: string, reason: string): Promise<void> {
  await source.send(body);
  const [message] = await source.receive();
  await message!.deadLetter(reason);
}

describe('pipeline queries', () => {
  it('refuse a caller that is not an operator, whatever it asks', async () => {
    const { deps } = pipelineDeps(pipeline());
    await expect(getPipelineStatus(deps, 'alice')).rejects.toBeInstanceOf(ForbiddenError);
    await expect(listDeadLetters(deps, 'alice', 'ocr')).rejects.toBeInstanceOf(ForbiddenError);
    await expect(redriveDeadLetters(deps, 'alice', 'ocr', {})).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('count jobs by status, show each queue with its DLQ depth, and list the runs not compacted yet', async () => {
    const p = pipeline();
    const { deps, queues } = pipelineDeps(p);
    const done = await p.ingest(['HARBOR LANE GROCERY', 'TOTAL 5.59']);
    await submitJob(p.submitDeps, { filename: 'b.png', contentType: 'image/png', body: nextPng() });
    const failed = await submitJob(p.submitDeps, { filename: 'c.png', contentType: 'image/png', body: nextPng() });
    await p.jobs.transitionJob(failed.job_id, 'PENDING', 'FAILED', { failure_reason: 'not a receipt' });
    await deadLetter(queues.compaction.source, 'not json', 'compaction message is not JSON');

    const status = await getPipelineStatus(deps, OPS);
    expect(status.jobs).toEqual({ by_status: { PENDING: 1, PROCESSING: 0, COMPLETED: 1, FAILED: 1 }, capped: [] });
    // Every upload's message waits on ocr-queue: the harness OCRs the ingested one directly.
    expect(status.queues).toEqual([
      { name: 'ocr', depth: 3, in_flight: 0, dlq_depth: 0 },
      { name: 'ocr-results', depth: 0, in_flight: 0, dlq_depth: 0 },
      { name: 'compaction', depth: 0, in_flight: 0, dlq_depth: 1 },
    ]);
    expect(status.compaction_runs).toHaveLength(1);
    expect(status.compaction_runs[0]).toMatchObject({
      image_id: done.image_id,
      receipt_id: 1,
      lines: { state: 'PENDING', error: null },
      words: { state: 'PENDING', error: null },
    });

    await p.compactAll();
    expect((await getPipelineStatus(deps, OPS)).compaction_runs).toEqual([]);
  });

  it("list each DLQ message with its error: the consumer's reason, else what the body and records say", async () => {
    const p = pipeline();
    const { deps, queues } = pipelineDeps(p);
    const failed = await submitJob(p.submitDeps, { filename: 'c.png', contentType: 'image/png', body: nextPng() });
    await p.jobs.transitionJob(failed.job_id, 'PENDING', 'FAILED', { failure_reason: 'image unreadable' });
    await deadLetter(queues.ocr.source, 'garbage', 'ocr message is not JSON: garbage');
    // Moved by the queue after too many deliveries: no note.
    queues.ocr.dlq.acceptDeadLetter('moved-1', JSON.stringify({ job_id: failed.job_id, image_id: failed.image_id }), 5);
    queues.ocr.dlq.acceptDeadLetter('moved-2', JSON.stringify({ job_id: 'job-gone', image_id: 'img-gone' }), 5);
    queues.ocr.dlq.acceptDeadLetter('moved-3', '{"job_id": 7}', 5);

    const { messages } = await listDeadLetters(deps, OPS, 'ocr');
    const byId = new Map(messages.map((m) => [m.message_id, m]));
    expect(messages).toHaveLength(4);
    expect(messages[0]).toMatchObject({
      error: 'ocr message is not JSON: garbage',
      receive_count: 1,
      body_preview: 'garbage',
    });
    expect(Date.parse(messages[0]!.sent_at!)).toBe(p.clock.now());
    expect(byId.get('moved-1')).toMatchObject({
      error: `job ${failed.job_id} is FAILED: image unreadable`,
      receive_count: 5,
    });
    expect(byId.get('moved-2')?.error).toBe('job job-gone does not exist (its image may have been deleted)');
    expect(byId.get('moved-3')?.error).toMatch(/^ocr-queue message is malformed: job_id/);
    // Listing took nothing.
    expect((await listDeadLetters(deps, OPS, 'ocr')).messages).toHaveLength(4);
    await expect(listDeadLetters(deps, OPS, 'nope')).rejects.toBeInstanceOf(NotFoundError);
  });

  it("explain a compaction dead letter by its run's recorded error", async () => {
    const p = pipeline();
    const { deps, queues } = pipelineDeps(p);
    const seeded = await seedRun(p, 2);
    const ref = { image_id: seeded.image_id, receipt_id: seeded.receipt_id, run_id: seeded.run.run_id };
    await p.runs.transitionCollection(ref, 'lines', 'PENDING', 'PROCESSING');
    await p.runs.transitionCollection(ref, 'lines', 'PROCESSING', 'FAILED', { error: 'delta is corrupt' });
    queues.compaction.dlq.acceptDeadLetter('merge-1', seeded.lines.body, 5);
    queues.compaction.dlq.acceptDeadLetter('merge-2', seeded.words.body, 5);
    const { messages } = await listDeadLetters(deps, OPS, 'compaction');
    expect(messages.find((m) => m.message_id === 'merge-1')?.error).toBe('merge of lines is FAILED: delta is corrupt');
    expect(messages.find((m) => m.message_id === 'merge-2')?.error).toMatch(
      /^no reason recorded.*merge of words is PENDING/,
    );
  });

  it('redrive one message once (a repeat moves nothing), then all of them, back to the work queue', async () => {
    const p = pipeline();
    const { deps, queues } = pipelineDeps(p);
    for (const n of [1, 2, 3]) await deadLetter(queues['ocr-results'].source, `body-${n}`, `bad ${n}`);
    const [first] = (await listDeadLetters(deps, OPS, 'ocr-results')).messages;
    expect(await redriveDeadLetters(deps, OPS, 'ocr-results', { message_id: first!.message_id })).toEqual({
      redriven: 1,
    });
    expect(await redriveDeadLetters(deps, OPS, 'ocr-results', { message_id: first!.message_id })).toEqual({
      redriven: 0,
    });
    expect((await p.resultsQueue.receive({ maxMessages: 10 })).map((m) => m.body)).toEqual(['body-1']);
    expect(await redriveDeadLetters(deps, OPS, 'ocr-results', {})).toEqual({ redriven: 2 });
    expect((await p.resultsQueue.receive({ maxMessages: 10 })).map((m) => m.body).sort()).toEqual(['body-2', 'body-3']);
    expect((await listDeadLetters(deps, OPS, 'ocr-results')).messages).toEqual([]);
  });

  it('refuse a redrive request with an unknown field or an empty id, naming it', async () => {
    const { deps } = pipelineDeps(pipeline());
    await expect(redriveDeadLetters(deps, OPS, 'ocr', { id: 'x' } as never)).rejects.toThrow(/id: not a field/);
    await expect(redriveDeadLetters(deps, OPS, 'ocr', { message_id: '' })).rejects.toBeInstanceOf(ValidationError);
    await expect(redriveDeadLetters(deps, OPS, 'dlq', {})).rejects.toBeInstanceOf(NotFoundError);
  });
});
