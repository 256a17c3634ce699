import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OcrDocumentSchema } from '@receiptflow/core';
import { main } from '../src/cli/main.js';
import { startEmulatorStack, type EmulatorStack } from '@receiptflow/devkit/dev-stack';
import { submitDemoReceipts, type SubmittedReceipt } from '@receiptflow/devkit/dev-stack';
import {
  captureSink,
  deleteRawImage,
  drainBodies,
  jobStore,
  jsonLines,
  queue,
  readArtifact,
  resultsMessages,
} from './support/e2e.js';

// End to end on the emulators (dynalite + fauxqs behind one --endpoint-url): jobs submitted with
// core's submitJob, the CLI's main() run in-process with tesseract, every output checked.
describe('receipt-ocr on emulators: drain', () => {
  let stack: EmulatorStack;
  let good: SubmittedReceipt[];
  let missingImage: SubmittedReceipt;

  beforeAll(async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'x');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'y');
    stack = await startEmulatorStack({ maxReceiveCount: 2 });
    const submitted = await submitDemoReceipts(stack, 4);
    good = submitted.slice(0, 3);
    missingImage = submitted[3]!;
    // The poison of docs/lessons.md#lesson-5-one-poison-message-stopped-the-ocr-drain: a job whose image is gone, and a body that is not even JSON.
    await deleteRawImage(stack, missingImage.job.s3_key);
    await queue(stack, stack.ocrQueueUrl).send('{"job_id": "truncated');
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await stack?.stop();
  });

  const run = async (...extra: string[]) => {
    const stdout = captureSink();
    const stderr = captureSink();
    const code = await main(
      [...stack.workerFlags(), '--engine', 'tesseract', '--log-format', 'json', '--wait-seconds', '1', ...extra],
      {
        stdout,
        stderr,
        signals: new EventEmitter(),
      },
    );
    return { code, logs: jsonLines(stdout.text()), stderr: stderr.text() };
  };

  it('with --max-jobs 1 takes one message and exits 0', async () => {
    const { code, logs, stderr } = await run('--max-jobs', '1');
    expect(stderr).toBe('');
    expect(code, stderr).toBe(0);
    const finished = logs.find((l) => l.msg === 'worker finished');
    expect(finished).toMatchObject({ stop_reason: 'max-jobs' });
    expect(logs.filter((l) => l.msg === 'job started')).toHaveLength(1);
  });

  it('drains the rest: good jobs complete, poison goes to the DLQ, and it exits 0', async () => {
    const { code, logs, stderr } = await run('--concurrency', '2');
    expect(code, stderr).toBe(0);
    const finished = logs.find((l) => l.msg === 'worker finished');
    expect(finished).toMatchObject({ stop_reason: 'drained', jobs_failed: expect.any(Number) });
    const poisonLogs = logs.filter((l) => l.msg === 'poison message skipped');
    expect(poisonLogs.length).toBeGreaterThanOrEqual(2);
    expect(poisonLogs.every((l) => typeof l.message_id === 'string')).toBe(true);

    expect(await queue(stack, stack.ocrQueueUrl).depth()).toEqual({ visible: 0, inFlight: 0 });
    const dead = await drainBodies(stack, stack.ocrDlqUrl);
    expect(dead).toHaveLength(2);
    expect(dead).toContain('{"job_id": "truncated');
    expect(dead.map((b) => (b.startsWith('{"job_id": "t') ? null : JSON.parse(b).job_id))).toContain(
      missingImage.job.job_id,
    );
  });

  it('completed every good job, with its OCR JSON, routing decision and one results message', async () => {
    const jobs = jobStore(stack);
    const results = await resultsMessages(stack);
    expect(results.map((r) => r.job_id).sort()).toEqual(good.map((g) => g.job.job_id).sort());

    for (const { receipt, job } of good) {
      const stored = await jobs.getJob(job.job_id);
      expect(stored).toMatchObject({ status: 'COMPLETED', attempts: 1 });
      expect(stored?.results_sent_at).not.toBeNull();

      const routing = await jobs.getRoutingDecision(job.job_id);
      expect(routing).toMatchObject({
        image_id: job.image_id,
        image_type: 'NATIVE',
        receipt_count: 1,
        engine: 'tesseract.js',
        ocr_s3_bucket: stack.artifactsBucket,
        ocr_s3_key: `ocr/${job.image_id}/${job.job_id}.json`,
      });

      const message = results.find((r) => r.job_id === job.job_id)!;
      expect(message).toMatchObject({
        image_id: job.image_id,
        s3_bucket: stack.artifactsBucket,
        s3_key: routing!.ocr_s3_key,
      });
      const doc = OcrDocumentSchema.parse(await readArtifact(stack, message.s3_bucket, message.s3_key));
      const text = doc.lines.map((l) => l.text).join('\n');
      expect(text).toContain('TOTAL');
      expect(text).toContain(receipt.truth.total.toFixed(2));
    }
    expect(await jobs.getJob(missingImage.job.job_id)).toMatchObject({ status: 'FAILED' });
  });
});
