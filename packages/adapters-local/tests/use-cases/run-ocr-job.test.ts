import { describe, expect, it } from 'vitest';
import { PoisonMessageError, runOcrJob, submitJob, type RunOcrJobOutcome } from '@receiptflow/core';
import { makeRoutingDecision } from '@receiptflow/core/testing';
import { PNG_BYTES, ocrDocument, pipeline } from './harness.js';

const LINES = ['HARBOR LANE GROCERY', '1452 HARBOR LANE', 'OAKLAND, CA 94607', 'TEL (510) 555-0142', 'TOTAL 4.49'];

describe('runOcrJob with local adapters', () => {
  it('claims, stores OCR JSON, routes, sends results, completes', async () => {
    const p = pipeline();
    const s = await submitJob(p.submitDeps, { filename: 'r.png', contentType: 'image/png', body: PNG_BYTES });
    p.ocr.next = ocrDocument(LINES);
    const out = await runOcrJob(p.ocrDeps, JSON.stringify({ job_id: s.job_id, image_id: s.image_id }));
    expect(out.status).toBe('completed');
    const key = `ocr/${s.image_id}/${s.job_id}.json`;
    expect(JSON.parse(new TextDecoder().decode((await p.artifacts.get(key)).body)).lines).toHaveLength(LINES.length);
    expect(await p.jobs.getRoutingDecision(s.job_id)).toMatchObject({ image_type: 'NATIVE', receipt_count: 1, ocr_s3_key: key });
    const job = await p.jobs.getJob(s.job_id);
    expect(job).toMatchObject({ status: 'COMPLETED', attempts: 1 });
    expect(job?.results_sent_at).not.toBeNull();
    const [msg] = await p.resultsQueue.receive();
    expect(JSON.parse(msg!.body)).toEqual({ job_id: s.job_id, image_id: s.image_id, s3_bucket: 'artifacts-bucket', s3_key: key, receipt_count: 1 });
  });

  it('an image without text routes with receipt_count 0', async () => {
    const p = pipeline();
    const s = await submitJob(p.submitDeps, { filename: 'r.png', contentType: 'image/png', body: PNG_BYTES });
    p.ocr.next = ocrDocument([]);
    const out = await runOcrJob(p.ocrDeps, { job_id: s.job_id, image_id: s.image_id });
    expect(out.status === 'completed' && out.routing.receipt_count).toBe(0);
  });

  it('a redelivery after the results were sent does nothing and sends nothing (lesson 6)', async () => {
    const p = pipeline();
    const s = await submitJob(p.submitDeps, { filename: 'r.png', contentType: 'image/png', body: PNG_BYTES });
    p.ocr.next = ocrDocument(LINES);
    await runOcrJob(p.ocrDeps, { job_id: s.job_id, image_id: s.image_id });
    const routing = await p.jobs.getRoutingDecision(s.job_id);
    const again = await runOcrJob(p.ocrDeps, { job_id: s.job_id, image_id: s.image_id });
    expect(again).toEqual({ status: 'duplicate', job_id: s.job_id });
    expect(p.ocr.calls).toBe(1);
    expect((await p.resultsQueue.depth()).visible).toBe(1);
    expect(await p.jobs.getRoutingDecision(s.job_id)).toEqual(routing);
  });

  it('a PROCESSING job whose results were already sent completes without OCR or a second message', async () => {
    const p = pipeline();
    const s = await submitJob(p.submitDeps, { filename: 'r.png', contentType: 'image/png', body: PNG_BYTES });
    await p.jobs.transitionJob(s.job_id, 'PENDING', 'PROCESSING', { attempts: 1, results_sent_at: '2024-01-01T00:00:00.000Z' });
    await p.jobs.createRoutingDecision(makeRoutingDecision({ job_id: s.job_id, image_id: s.image_id }));
    const again = await runOcrJob(p.ocrDeps, { job_id: s.job_id, image_id: s.image_id });
    expect(again).toMatchObject({ status: 'completed', ocr_ms: 0 });
    expect(p.ocr.calls).toBe(0);
    expect((await p.resultsQueue.depth()).visible).toBe(0);
    expect(await p.jobs.getJob(s.job_id)).toMatchObject({ status: 'COMPLETED', results_sent_at: '2024-01-01T00:00:00.000Z' });
  });

  it('a re-claim of a PROCESSING job (worker crashed) counts the attempt and completes once', async () => {
    const p = pipeline();
    const s = await submitJob(p.submitDeps, { filename: 'r.png', contentType: 'image/png', body: PNG_BYTES });
    await p.jobs.transitionJob(s.job_id, 'PENDING', 'PROCESSING', { attempts: 1 });
    p.ocr.next = ocrDocument(LINES);
    await runOcrJob(p.ocrDeps, { job_id: s.job_id, image_id: s.image_id });
    expect(await p.jobs.getJob(s.job_id)).toMatchObject({ status: 'COMPLETED', attempts: 2 });
  });

  it('a batch with a deleted job, a missing image and 3 good ones: 3 complete, 2 poison (lesson 5)', async () => {
    const p = pipeline();
    const submitted = [];
    for (let i = 0; i < 5; i++) submitted.push(await submitJob(p.submitDeps, { filename: `r${i}.png`, contentType: 'image/png', body: PNG_BYTES }));
    const [gone, imageless, ...good] = submitted;
    // A deleted job record: the stores have no job delete, so the message names a job that never existed.
    const deletedJob = { job_id: 'job-deleted-000', image_id: gone!.image_id };
    await p.raw.delete(imageless!.s3_key);
    p.ocr.next = ocrDocument(LINES);

    const outcomes: (RunOcrJobOutcome | Error)[] = [];
    for (const m of [deletedJob, { job_id: imageless!.job_id, image_id: imageless!.image_id }, ...good.map((g) => ({ job_id: g.job_id, image_id: g.image_id }))]) {
      outcomes.push(await runOcrJob(p.ocrDeps, m).catch((e: Error) => e));
    }
    expect(outcomes[0]).toBeInstanceOf(PoisonMessageError);
    expect(outcomes[1]).toBeInstanceOf(PoisonMessageError);
    expect((outcomes[1] as PoisonMessageError).retryable).toBe(false);
    expect(await p.jobs.getJob(imageless!.job_id)).toMatchObject({ status: 'FAILED', failure_reason: expect.stringMatching(/missing/) });
    for (const g of good) expect((await p.jobs.getJob(g.job_id))?.status).toBe('COMPLETED');
    expect((await p.resultsQueue.depth()).visible).toBe(3);
  });

  it('a malformed message is poison', async () => {
    const p = pipeline();
    await expect(runOcrJob(p.ocrDeps, 'not json')).rejects.toThrow(PoisonMessageError);
    await expect(runOcrJob(p.ocrDeps, { job_id: '../x' })).rejects.toThrow(/malformed/);
  });

  it('an OCR engine failure other than a bad image is retryable and leaves the job PROCESSING', async () => {
    const p = pipeline();
    const s = await submitJob(p.submitDeps, { filename: 'r.png', contentType: 'image/png', body: PNG_BYTES });
    p.ocr.recognize = async () => {
      throw new Error('engine crashed');
    };
    await expect(runOcrJob(p.ocrDeps, { job_id: s.job_id, image_id: s.image_id })).rejects.toThrow('engine crashed');
    expect((await p.jobs.getJob(s.job_id))?.status).toBe('PROCESSING');
    expect((await p.resultsQueue.depth()).visible).toBe(0);
  });
});
