import { describe, expect, it } from 'vitest';
import {
  NO_TEXT_FOUND,
  OcrJobMessageSchema,
  getUploadStatus,
  PoisonMessageError,
  runOcrJob,
  submitJob,
  type ImageStoreProvider,
  type RunOcrJobDeps,
  type RunOcrJobOutcome,
} from '@receiptflow/core';
import { InMemoryImageStore } from '@receiptflow/adapters-local';
import { makeRoutingDecision } from '@receiptflow/core/testing';
import { nextPng, ocrDocument, pipeline } from './harness.js';

const LINES = ['HARBOR LANE GROCERY', '1452 HARBOR LANE', 'OAKLAND, CA 94607', 'TEL (510) 555-0142', 'TOTAL 4.49'];

describe('runOcrJob with local adapters', () => {
  it('claims, stores OCR JSON, routes, sends results, completes', async () => {
    const p = pipeline();
    const s = await submitJob(p.submitDeps, { filename: 'r.png', contentType: 'image/png', body: nextPng() });
    p.ocr.next = ocrDocument(LINES);
    const out = await runOcrJob(p.ocrDeps, JSON.stringify({ job_id: s.job_id, image_id: s.image_id }));
    expect(out.status).toBe('completed');
    const key = `ocr/${s.image_id}/${s.job_id}.json`;
    expect(JSON.parse(new TextDecoder().decode((await p.artifacts.get(key)).body)).lines).toHaveLength(LINES.length);
    expect(await p.jobs.getRoutingDecision(s.job_id)).toMatchObject({
      image_type: 'NATIVE',
      receipt_count: 1,
      ocr_s3_key: key,
    });
    const job = await p.jobs.getJob(s.job_id);
    expect(job).toMatchObject({ status: 'COMPLETED', attempts: 1 });
    expect(job?.results_sent_at).not.toBeNull();
    const [msg] = await p.resultsQueue.receive();
    expect(JSON.parse(msg!.body)).toEqual({
      job_id: s.job_id,
      image_id: s.image_id,
      s3_bucket: 'artifacts-bucket',
      s3_key: key,
      receipt_count: 1,
    });
  });

  it('an image without text ends FAILED ("no text found"), sends nothing, and shows the stage it reached', async () => {
    const p = pipeline();
    const s = await submitJob(p.submitDeps, { filename: 'r.png', contentType: 'image/png', body: nextPng() });
    // No lines at all (a blank page), or only lines the results step could never keep.
    p.ocr.next = ocrDocument(['   ', '\u0000\ufffd']);
    const out = await runOcrJob(p.ocrDeps, { job_id: s.job_id, image_id: s.image_id });
    expect(out).toMatchObject({ status: 'no_text', job_id: s.job_id, routing: { receipt_count: 0 } });
    expect(await p.jobs.getJob(s.job_id)).toMatchObject({ status: 'FAILED', failure_reason: NO_TEXT_FOUND });
    expect(NO_TEXT_FOUND).toBe('no text found');
    expect((await p.resultsQueue.depth()).visible).toBe(0);
    expect(await getUploadStatus(p, s.image_id)).toMatchObject({
      stage: 'failed',
      failed_stage: 'ocr_done',
      job_status: 'FAILED',
      failure_reason: 'no text found',
      receipts: [],
    });
    // A redelivered message settles as a duplicate: no second OCR, no poison, no DLQ.
    expect(await runOcrJob(p.ocrDeps, { job_id: s.job_id, image_id: s.image_id })).toEqual({
      status: 'duplicate',
      job_id: s.job_id,
    });
    expect(p.ocr.calls).toBe(1);
  });

  // docs/lessons.md#lesson-6-a-redelivery-overwrote-enriched-rows
  it('a redelivery after the results were sent does nothing and sends nothing', async () => {
    const p = pipeline();
    const s = await submitJob(p.submitDeps, { filename: 'r.png', contentType: 'image/png', body: nextPng() });
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
    const s = await submitJob(p.submitDeps, { filename: 'r.png', contentType: 'image/png', body: nextPng() });
    await p.jobs.transitionJob(s.job_id, 'PENDING', 'PROCESSING', {
      attempts: 1,
      results_sent_at: '2024-01-01T00:00:00.000Z',
    });
    await p.jobs.createRoutingDecision(makeRoutingDecision({ job_id: s.job_id, image_id: s.image_id }));
    const again = await runOcrJob(p.ocrDeps, { job_id: s.job_id, image_id: s.image_id });
    expect(again).toMatchObject({ status: 'completed', ocr_ms: 0 });
    expect(p.ocr.calls).toBe(0);
    expect((await p.resultsQueue.depth()).visible).toBe(0);
    expect(await p.jobs.getJob(s.job_id)).toMatchObject({
      status: 'COMPLETED',
      results_sent_at: '2024-01-01T00:00:00.000Z',
    });
  });

  it('a re-claim of a PROCESSING job (worker crashed) counts the attempt and completes once', async () => {
    const p = pipeline();
    const s = await submitJob(p.submitDeps, { filename: 'r.png', contentType: 'image/png', body: nextPng() });
    await p.jobs.transitionJob(s.job_id, 'PENDING', 'PROCESSING', { attempts: 1 });
    p.ocr.next = ocrDocument(LINES);
    await runOcrJob(p.ocrDeps, { job_id: s.job_id, image_id: s.image_id });
    expect(await p.jobs.getJob(s.job_id)).toMatchObject({ status: 'COMPLETED', attempts: 2 });
  });

  // docs/lessons.md#lesson-5-one-poison-message-stopped-the-ocr-drain
  it('a batch with a deleted job, a missing image and 3 good ones: 3 complete, 2 poison', async () => {
    const p = pipeline();
    const submitted = [];
    for (let i = 0; i < 5; i++)
      submitted.push(
        await submitJob(p.submitDeps, { filename: `r${i}.png`, contentType: 'image/png', body: nextPng() }),
      );
    const [gone, imageless, ...good] = submitted;
    // A deleted job record: the stores have no job delete, so the message names a job that never existed.
    const deletedJob = { job_id: 'job-deleted-000', image_id: gone!.image_id };
    await p.raw.delete(imageless!.s3_key);
    p.ocr.next = ocrDocument(LINES);

    const outcomes: (RunOcrJobOutcome | Error)[] = [];
    for (const m of [
      deletedJob,
      { job_id: imageless!.job_id, image_id: imageless!.image_id },
      ...good.map((g) => ({ job_id: g.job_id, image_id: g.image_id })),
    ]) {
      outcomes.push(await runOcrJob(p.ocrDeps, m).catch((e: Error) => e));
    }
    expect(outcomes[0]).toBeInstanceOf(PoisonMessageError);
    expect(outcomes[1]).toBeInstanceOf(PoisonMessageError);
    expect((outcomes[1] as PoisonMessageError).retryable).toBe(false);
    expect(await p.jobs.getJob(imageless!.job_id)).toMatchObject({
      status: 'FAILED',
      failure_reason: expect.stringMatching(/missing/),
    });
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
    const s = await submitJob(p.submitDeps, { filename: 'r.png', contentType: 'image/png', body: nextPng() });
    p.ocr.recognize = async () => {
      throw new Error('engine crashed');
    };
    await expect(runOcrJob(p.ocrDeps, { job_id: s.job_id, image_id: s.image_id })).rejects.toThrow('engine crashed');
    expect((await p.jobs.getJob(s.job_id))?.status).toBe('PROCESSING');
    expect((await p.resultsQueue.depth()).visible).toBe(0);
  });

  describe("the seed's message shape {image_id, job_id, s3_bucket, s3_key}", () => {
    /** A provider over a fixed set of buckets, recording which ones were opened. */
    function provider(stores: InMemoryImageStore[]): ImageStoreProvider & { opened: string[] } {
      const opened: string[] = [];
      return {
        opened,
        forBucket(bucket) {
          opened.push(bucket);
          const store = stores.find((x) => x.bucket === bucket);
          if (!store) throw new Error(`no bucket ${bucket}`);
          return store;
        },
      };
    }

    it('submitJob sends the image location, and ocr_s3_bucket when it knows the artifacts bucket', async () => {
      const p = pipeline();
      const s = await submitJob(
        { ...p.submitDeps, ocrBucket: 'artifacts-bucket' },
        { filename: 'r.png', contentType: 'image/png', body: nextPng() },
      );
      const [m] = await p.ocrQueue.receive();
      expect(JSON.parse(m!.body)).toEqual({
        job_id: s.job_id,
        image_id: s.image_id,
        s3_bucket: 'raw-bucket',
        s3_key: s.s3_key,
        ocr_s3_bucket: 'artifacts-bucket',
      });
      const plain = await submitJob(p.submitDeps, { filename: 'r.png', contentType: 'image/png', body: nextPng() });
      const [m2] = await p.ocrQueue.receive();
      expect(JSON.parse(m2!.body)).toEqual({
        job_id: plain.job_id,
        image_id: plain.image_id,
        s3_bucket: 'raw-bucket',
        s3_key: plain.s3_key,
      });
    });

    it('without a fixed raw bucket: reads the bucket the message names and writes OCR JSON to its ocr_s3_bucket', async () => {
      const p = pipeline();
      const s = await submitJob(
        { ...p.submitDeps, ocrBucket: 'artifacts-bucket' },
        { filename: 'r.png', contentType: 'image/png', body: nextPng() },
      );
      const [m] = await p.ocrQueue.receive();
      const stores = provider([p.raw, p.artifacts]);
      p.ocr.next = ocrDocument(LINES);
      const deps: RunOcrJobDeps = { ...p.ocrDeps, images: stores, artifacts: stores };
      await runOcrJob(deps, m!.body);
      expect(stores.opened).toEqual(['raw-bucket', 'artifacts-bucket']);
      const key = `ocr/${s.image_id}/${s.job_id}.json`;
      expect(await p.artifacts.head(key)).not.toBeNull();
      const [results] = await p.resultsQueue.receive();
      expect(JSON.parse(results!.body)).toMatchObject({ s3_bucket: 'artifacts-bucket', s3_key: key });
      expect(await p.jobs.getRoutingDecision(s.job_id)).toMatchObject({
        ocr_s3_bucket: 'artifacts-bucket',
        ocr_s3_key: key,
      });
    });

    it('a seed message without ocr_s3_bucket writes the OCR JSON next to the image (one-bucket layout)', async () => {
      const p = pipeline();
      const s = await submitJob(p.submitDeps, { filename: 'r.png', contentType: 'image/png', body: nextPng() });
      const stores = provider([p.raw, p.artifacts]);
      p.ocr.next = ocrDocument(LINES);
      await runOcrJob(
        { ...p.ocrDeps, images: stores, artifacts: stores },
        { image_id: s.image_id, job_id: s.job_id, s3_bucket: 'raw-bucket', s3_key: s.s3_key },
      );
      expect(await p.raw.head(`ocr/${s.image_id}/${s.job_id}.json`)).not.toBeNull();
      expect(await p.artifacts.list('ocr/')).toEqual([]);
    });

    it('a message queued before the location existed ({job_id, image_id}) takes it from the job record', async () => {
      const p = pipeline();
      const elsewhere = new InMemoryImageStore({ bucket: 'uploads-2023', clock: p.clock });
      const s = await submitJob(
        { ...p.submitDeps, images: elsewhere },
        { filename: 'r.png', contentType: 'image/png', body: nextPng() },
      );
      const stores = provider([elsewhere, p.artifacts]);
      p.ocr.next = ocrDocument(LINES);
      await runOcrJob({ ...p.ocrDeps, images: stores }, { job_id: s.job_id, image_id: s.image_id });
      expect(stores.opened).toEqual(['uploads-2023']);
      expect(await p.jobs.getJob(s.job_id)).toMatchObject({ status: 'COMPLETED' });
    });

    it('a message whose location disagrees with the job record is poison, and the job is left to a correct message', async () => {
      const p = pipeline();
      const s = await submitJob(p.submitDeps, { filename: 'r.png', contentType: 'image/png', body: nextPng() });
      const forged = {
        job_id: s.job_id,
        image_id: s.image_id,
        s3_bucket: 'raw-bucket',
        s3_key: 'raw/someone-else/x.png',
      };
      await expect(runOcrJob(p.ocrDeps, forged)).rejects.toThrow(
        /message names s3:\/\/raw-bucket\/raw\/someone-else\/x.png, the job record/,
      );
      expect(await p.jobs.getJob(s.job_id)).toMatchObject({ status: 'PENDING', attempts: 0 });
      expect(p.ocr.calls).toBe(0);
    });

    it('half a location (s3_bucket without s3_key) is malformed', () => {
      const parsed = OcrJobMessageSchema.safeParse({ job_id: 'job-1', image_id: 'img-1', s3_bucket: 'raw-bucket' });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.message).toMatch(/s3_bucket and s3_key come together/);
    });

    it('with a fixed raw bucket, an image in another bucket is still poison and fails the job', async () => {
      const p = pipeline();
      const elsewhere = new InMemoryImageStore({ bucket: 'uploads-2023', clock: p.clock });
      const s = await submitJob(
        { ...p.submitDeps, images: elsewhere },
        { filename: 'r.png', contentType: 'image/png', body: nextPng() },
      );
      const [m] = await p.ocrQueue.receive();
      await expect(runOcrJob(p.ocrDeps, m!.body)).rejects.toThrow(
        /image is in bucket uploads-2023, worker reads raw-bucket/,
      );
      expect(await p.jobs.getJob(s.job_id)).toMatchObject({ status: 'FAILED' });
    });
  });
});
