import {
  DynamoDbCompactionRunStore,
  DynamoDbOcrJobStore,
  DynamoDbReceiptStore,
} from '@receiptflow/adapters-aws/dynamodb';
import { SystemClock } from '@receiptflow/adapters-local/clock';
import { SqsQueue } from '@receiptflow/adapters-aws/sqs';
import {
  deterministicRunId,
  NotFoundError,
  type OcrJob,
  type OcrJobStore,
  type Queue,
  type QueueBacklog,
} from '@receiptflow/core';
import {
  makeCompactionRun,
  makeImage,
  makeJob,
  makeReceiptPlace,
  makeRoutingDecision,
} from '@receiptflow/core/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSweepHandler, type SweepSummary } from '../src/handlers/sweep-handler.js';
import { collectingLogger } from './support/fixtures.js';
import { startSweepEmulators, type SweepEmulators } from './support/sweep-emulators.js';

// The sweep Lambda's entry module on dynalite + fauxqs: the scenario of the original system's
// worst incident (runs left PENDING for good) plus lost OCR and results messages.

const MIN = 60_000;
let aws: SweepEmulators | undefined;
let jobs: DynamoDbOcrJobStore;
let receipts: DynamoDbReceiptStore;
let runs: DynamoDbCompactionRunStore;
let queues: { ocr: SqsQueue; results: SqsQueue; compaction: SqsQueue };
let sweep: (event: unknown) => Promise<SweepSummary>;

beforeAll(async () => {
  aws = await startSweepEmulators();
  const { doc, sqs, tableName, queueUrls } = aws;
  const clock = new SystemClock();
  jobs = new DynamoDbOcrJobStore(doc, { tableName, clock });
  receipts = new DynamoDbReceiptStore(doc, { tableName, clock });
  runs = new DynamoDbCompactionRunStore(doc, { tableName, clock });
  queues = {
    ocr: new SqsQueue(sqs, { queueUrl: queueUrls.ocr }),
    results: new SqsQueue(sqs, { queueUrl: queueUrls.results }),
    compaction: new SqsQueue(sqs, { queueUrl: queueUrls.compaction }),
  };
  for (const [name, value] of Object.entries(aws.env)) vi.stubEnv(name, value);
  const entry = await import('../src/lambda/sweep.js');
  sweep = entry.handler;
}, 60_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await aws?.stop();
});

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

async function drain(queue: Queue): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < 10; i++) {
    const batch = await queue.receive({ maxMessages: 10, waitSeconds: 0 });
    if (batch.length === 0 && i > 0) break;
    for (const m of batch) out.push(JSON.parse(m.body) as Record<string, unknown>);
    for (const m of batch) await m.ack();
  }
  return out;
}

/** An uploaded image and its job in `status`, created and last touched `age` ago. */
async function seedJob(status: OcrJob['status'], age: number): Promise<OcrJob> {
  const at = ago(age);
  const image = makeImage({ upload_state: 'UPLOADED', created_at: at });
  const job = makeJob({ image_id: image.image_id, status, created_at: at, updated_at: at, s3_key: image.s3_key });
  await jobs.createImage(image);
  await jobs.createJob(job);
  if (status === 'COMPLETED')
    await jobs.createRoutingDecision(
      makeRoutingDecision({ job_id: job.job_id, image_id: image.image_id, created_at: at }),
    );
  return job;
}

describe('the sweep Lambda on dynalite + fauxqs', () => {
  it(
    're-sends lost OCR and results messages and stuck runs, once each, and leaves finished, young and too-old work alone',
    { timeout: 60_000 },
    async () => {
      const lostOcr = await seedJob('PENDING', 20 * MIN);
      const lostResults = await seedJob('COMPLETED', 20 * MIN);
      const finished = await seedJob('COMPLETED', 20 * MIN);
      const runId = deterministicRunId(finished.image_id, 1, finished.job_id);
      await receipts.putPlace(makeReceiptPlace({ image_id: finished.image_id, receipt_id: 1 }));
      await runs.create(
        makeCompactionRun({
          run_id: runId,
          image_id: finished.image_id,
          created_at: ago(20 * MIN),
          lines: { state: 'COMPLETED', merged_count: 3 },
          words: { state: 'COMPLETED', merged_count: 9 },
        }),
      );
      // docs/lessons.md#lesson-3-runs-stuck-pending: a run whose merges were never routed stays PENDING until something re-sends them.
      const stuckRun = makeCompactionRun({ created_at: ago(30 * MIN) });
      await runs.create(stuckRun);
      await seedJob('PENDING', 2 * MIN); // younger than SWEEP_MIN_AGE_SECONDS: presumed in flight
      const old = await seedJob('COMPLETED', 3 * 60 * MIN); // before the 2-hour look-back

      const summary = await sweep({
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        time: new Date().toISOString(),
      });
      expect(summary).toEqual({ ocr: 1, results: 1, merges: 2, skipped: [] });
      expect(await drain(queues.ocr)).toEqual([
        {
          job_id: lostOcr.job_id,
          image_id: lostOcr.image_id,
          s3_bucket: 'raw-bucket',
          s3_key: lostOcr.s3_key,
          ocr_s3_bucket: 'artifacts-bucket',
        },
      ]);
      expect(await drain(queues.results)).toEqual([
        expect.objectContaining({ job_id: lostResults.job_id, image_id: lostResults.image_id, receipt_count: 1 }),
      ]);
      const merges = await drain(queues.compaction);
      expect(merges.map((m) => [m.kind, m.run_id, m.collection]).sort()).toEqual([
        ['merge', stuckRun.run_id, 'lines'],
        ['merge', stuckRun.run_id, 'words'],
      ]);

      // While ocr-queue holds messages the worker is behind, not missing them: no OCR re-send.
      await queues.ocr.send(JSON.stringify({ job_id: 'queued-job', image_id: 'queued-image' }));
      const busy = await sweep({});
      expect(busy.ocr).toBe(0);
      expect(busy.skipped).toEqual([expect.stringMatching(/ocr-queue.* holds 1 messages/)]);
      expect(busy.results).toBe(1);
      await drain(queues.ocr);
      await drain(queues.results);

      // After an outage, an operator widens the window once: the 3-hour-old job is found too.
      const deep = await sweep({ lookback_seconds: 86_400 });
      expect(deep.results).toBe(2);
      expect((await drain(queues.results)).map((m) => m.job_id).sort()).toEqual(
        [lostResults.job_id, old.job_id].sort(),
      );
      await expect(sweep({ lookback_seconds: -5 })).rejects.toThrow(/sweep event.*lookback_seconds/);
    },
  );
});

describe('createSweepHandler', () => {
  it('logs a failure with its code and rethrows it, so the invocation counts as an error', async () => {
    const logger = collectingLogger();
    const broken = {
      listJobsByStatus: () => Promise.reject(new NotFoundError('table', 'jobs')),
    } as unknown as OcrJobStore;
    const idle = { name: 'q', backlog: async () => 0 } as unknown as Queue & QueueBacklog;
    const handler = createSweepHandler(
      {
        jobs: broken,
        receipts,
        runs,
        ocrQueue: idle,
        ocrBacklog: idle,
        resultsQueue: idle,
        compactionQueue: idle,
        clock: { now: () => Date.now(), sleep: async () => {} },
        logger,
      },
      { minAgeMs: 0, lookbackMs: MIN, limit: 10 },
    );
    await expect(handler({})).rejects.toBeInstanceOf(NotFoundError);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'sweep failed',
        fields: expect.objectContaining({ code: 'NOT_FOUND' }),
      }),
    );
  });
});
