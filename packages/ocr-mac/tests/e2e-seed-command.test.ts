import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OcrDocumentSchema, OcrJobMessageSchema, submitJob, type SubmitJobResult } from '@receiptflow/core';
import { SystemClock, UuidIdGenerator } from '@receiptflow/adapters-local';
import { demoReceipts, renderReceipt } from '@receiptflow/adapters-local/synthetic';
import { S3ImageStore } from '@receiptflow/adapters-aws/s3';
import { startEmulatorStack, type EmulatorStack } from '@receiptflow/devkit/dev-stack';
import { drainBodies, jobStatus, jobStore, queue, readArtifact, resultsMessages, waitFor } from './support/e2e.js';
import { BIN, logged, spawnWorker, type RunningWorker } from './support/spawn-worker.js';

// Issue 17: the seed's worker command, flag for flag, against the emulators:
//   ./receipt-ocr --ocr-job-queue-url … --ocr-results-queue-url … --dynamo-table-name … --region … --continuous
// No --raw-bucket, no --artifacts-bucket: each message says where its image is (and, from our
// producer, where its OCR JSON belongs). The endpoint is the only addition, as AWS_ENDPOINT_URL.
describe("receipt-ocr on emulators: the seed's command line", () => {
  let stack: EmulatorStack;
  let worker: RunningWorker | undefined;
  let ours: SubmitJobResult;
  let seedShaped: SubmitJobResult;

  beforeAll(async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'x');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'y');
    stack = await startEmulatorStack();
    const base = {
      jobs: jobStore(stack),
      images: new S3ImageStore(stack.clients.s3, { bucket: stack.rawBucket }),
      ocrQueue: queue(stack, stack.ocrQueueUrl),
      clock: new SystemClock(),
      ids: new UuidIdGenerator(),
    };
    const [first, second] = demoReceipts(1);
    // Our upload path: the message names the artifacts bucket (ocr_s3_bucket).
    ours = await submitJob(
      { ...base, ocrBucket: stack.artifactsBucket },
      { filename: 'ours.png', contentType: 'image/png', body: (await renderReceipt(first!.spec)).png },
    );
    // A producer that knows nothing of artifacts: exactly the seed's four fields.
    seedShaped = await submitJob(base, {
      filename: 'seed.png',
      contentType: 'image/png',
      body: (await renderReceipt(second!.spec)).png,
    });
  });

  afterAll(async () => {
    if (worker && worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    vi.unstubAllEnvs();
    await stack?.stop();
  });

  it('the queued messages have the seed shape {image_id, job_id, s3_bucket, s3_key}', async () => {
    const q = queue(stack, stack.ocrQueueUrl);
    const bodies = (await q.receive({ maxMessages: 10, waitSeconds: 1, leaseSeconds: 0 })).map((m) =>
      JSON.parse(m.body),
    );
    expect(bodies).toHaveLength(2);
    for (const body of bodies) {
      expect(OcrJobMessageSchema.parse(body)).toMatchObject({
        s3_bucket: stack.rawBucket,
        s3_key: expect.stringMatching(/^raw\//),
      });
    }
    expect(bodies.find((b) => b.job_id === seedShaped.job_id)).not.toHaveProperty('ocr_s3_bucket');
  });

  it('runs as printed: completes both jobs, keeps polling, and exits 0 on SIGTERM', async () => {
    const seed = stack.seedCommand();
    expect(seed.args.filter((a) => a.startsWith('--'))).toEqual([
      '--ocr-job-queue-url',
      '--ocr-results-queue-url',
      '--dynamo-table-name',
      '--region',
      '--continuous',
    ]);
    worker = spawnWorker(BIN, seed.args, seed.env);
    await logged(worker, 'worker started');
    for (const job of [ours, seedShaped]) {
      await waitFor(
        `job ${job.job_id} COMPLETED`,
        async () => ((await jobStatus(stack, job.job_id)) === 'COMPLETED' ? true : undefined),
        60_000,
      );
    }
    // --continuous: still running on an empty queue until told to stop.
    expect(worker.child.exitCode).toBeNull();
    worker.child.kill('SIGTERM');
    // Exit waits for the idle 20 s long poll to return, so that a message it brings is released.
    const { code } = await worker.exited;
    expect(worker.stderr()).not.toMatch(/required/);
    expect(code).toBe(0);
    expect(worker.logs().find((l) => l.msg === 'worker finished')).toMatchObject({
      stop_reason: 'stopped',
      jobs_done: 2,
      jobs_failed: 0,
    });
  }, 90_000);

  it('wrote each OCR JSON where its message said: ocr_s3_bucket, else next to the image', async () => {
    const results = await resultsMessages(stack);
    const byJob = new Map(results.map((r) => [r.job_id, r]));
    expect(byJob.get(ours.job_id)).toMatchObject({
      s3_bucket: stack.artifactsBucket,
      s3_key: `ocr/${ours.image_id}/${ours.job_id}.json`,
    });
    expect(byJob.get(seedShaped.job_id)).toMatchObject({
      s3_bucket: stack.rawBucket,
      s3_key: `ocr/${seedShaped.image_id}/${seedShaped.job_id}.json`,
    });
    for (const r of results) {
      const doc = OcrDocumentSchema.parse(await readArtifact(stack, r.s3_bucket, r.s3_key));
      expect(doc.lines.map((l) => l.text).join('\n')).toContain('TOTAL');
    }
    expect(await drainBodies(stack, stack.ocrDlqUrl)).toEqual([]);
  });
});
