import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { startEmulatorStack, type EmulatorStack } from '@receiptflow/devkit/dev-stack';
import { submitDemoReceipts } from '@receiptflow/devkit/dev-stack';
import { captureSink, jobStatus, jobStore, jsonLines, queue, resultsMessages } from './support/e2e.js';
import { BIN, logged, spawnWorker, type RunningWorker } from './support/spawn-worker.js';

const SLOW_WORKER = fileURLToPath(new URL('./fixtures/slow-worker.mjs', import.meta.url));

describe('receipt-ocr on emulators: signals and crashes', () => {
  let stack: EmulatorStack;
  let worker: RunningWorker | undefined;

  beforeEach(async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'x');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'y');
    stack = await startEmulatorStack();
  });

  afterEach(async () => {
    if (worker && worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    worker = undefined;
    vi.unstubAllEnvs();
    await stack.stop();
  });

  it('SIGTERM during a job: finishes the job in flight, takes no other, exits 0', async () => {
    const submitted = await submitDemoReceipts(stack, 2);
    worker = spawnWorker(BIN, [
      ...stack.workerFlags(),
      '--engine',
      'tesseract',
      '--continuous',
      '--concurrency',
      '1',
      '--wait-seconds',
      '1',
      '--log-format',
      'json',
    ]);
    const started = await logged(worker, 'job started');
    worker.child.kill('SIGTERM');
    const { code } = await worker.exited;

    expect(code).toBe(0);
    const logs = worker.logs();
    const order = logs.map((l) => l.msg);
    // The signal arrived while the job ran, and the job still completed after it.
    expect(order.indexOf('signal received')).toBeGreaterThan(order.indexOf('job started'));
    expect(order.indexOf('job completed')).toBeGreaterThan(order.indexOf('signal received'));
    expect(logs.find((l) => l.msg === 'worker finished')).toMatchObject({ stop_reason: 'stopped', jobs_done: 1 });

    const inFlight = submitted.find((s) => s.job.job_id === started.job_id)!;
    const other = submitted.find((s) => s !== inFlight)!;
    expect(await jobStatus(stack, inFlight.job.job_id)).toBe('COMPLETED');
    expect(await jobStatus(stack, other.job.job_id)).toBe('PENDING');
    expect((await resultsMessages(stack)).map((r) => r.job_id)).toEqual([inFlight.job.job_id]);
    // The job's message was deleted; the other one was never taken.
    expect(await queue(stack, stack.ocrQueueUrl).depth()).toEqual({ visible: 1, inFlight: 0 });
  }, 60_000);

  it('SIGKILL mid-job: after the visibility timeout the next run completes the job exactly once', async () => {
    const { job } = (await submitDemoReceipts(stack, 1))[0]!;
    worker = spawnWorker(
      SLOW_WORKER,
      [
        ...stack.workerFlags(),
        '--engine',
        'tesseract',
        '--visibility-timeout',
        '5',
        '--wait-seconds',
        '1',
        '--log-format',
        'json',
      ],
      { SLOW_OCR_DELAY_MS: '60000' },
    );
    await logged(worker, 'slow ocr: started');
    expect(await jobStatus(stack, job.job_id)).toBe('PROCESSING');
    worker.child.kill('SIGKILL');
    expect((await worker.exited).signal).toBe('SIGKILL');

    // The crashed worker's message reappears once its (heartbeat-extended) visibility lapses:
    // a continuous run with --max-jobs 1 waits for it, completes it and exits.
    const stdout = captureSink();
    const code = await main(
      [
        ...stack.workerFlags(),
        '--engine',
        'tesseract',
        '--continuous',
        '--max-jobs',
        '1',
        '--wait-seconds',
        '2',
        '--log-format',
        'json',
      ],
      { stdout, stderr: captureSink(), signals: new EventEmitter() },
    );
    expect(code).toBe(0);
    expect(jsonLines(stdout.text()).find((l) => l.msg === 'worker finished')).toMatchObject({
      stop_reason: 'max-jobs',
      jobs_done: 1,
      messages_redelivered: 1,
    });
    const stored = await jobStore(stack).getJob(job.job_id);
    expect(stored).toMatchObject({ status: 'COMPLETED', attempts: 2 });
    const results = await resultsMessages(stack);
    expect(results.filter((r) => r.job_id === job.job_id)).toHaveLength(1);
    expect(await queue(stack, stack.ocrQueueUrl).depth()).toEqual({ visible: 0, inFlight: 0 });
  }, 60_000);
});
