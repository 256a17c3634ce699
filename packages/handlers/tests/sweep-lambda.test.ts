import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import {
  DynamoDbCompactionRunStore,
  DynamoDbOcrJobStore,
  DynamoDbReceiptStore,
} from '@receiptflow/adapters-aws/dynamodb';
import { SystemClock } from '@receiptflow/adapters-local/clock';
import { createQueueWithDlq, SqsQueue } from '@receiptflow/adapters-aws/sqs';
import {
  createTable,
  createTestDocumentClient,
  createTestDynamoDbClient,
  createTestSqsClient,
  startDynalite,
  uniqueResourceName,
  type RunningEmulator,
} from '@receiptflow/devkit/emulators';
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
import { startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSweepHandler, type SweepSummary } from '../src/handlers/sweep-handler.js';
import { startAwsProxy, type AwsProxy } from './support/aws-proxy.js';
import { collectingLogger } from './support/fixtures.js';

// The sweep Lambda's entry module on dynalite + fauxqs: the scenario of the original system's
// worst incident (runs left PENDING for good) plus lost OCR and results messages.

const MIN = 60_000;
let dynamo: RunningEmulator;
let fauxqs: RunningEmulator;
let ddb: DynamoDBClient;
let sqs: SQSClient;
let jobs: DynamoDbOcrJobStore;
let receipts: DynamoDbReceiptStore;
let runs: DynamoDbCompactionRunStore;
let queues: { ocr: SqsQueue; results: SqsQueue; compaction: SqsQueue };
let sweep: (event: unknown) => Promise<SweepSummary>;
let proxy: AwsProxy | undefined;

beforeAll(async () => {
  const sqsServer = await startFauxqs({ port: 0, logger: false });
  fauxqs = { endpoint: `http://127.0.0.1:${sqsServer.port}`, stop: () => sqsServer.stop() };
  dynamo = await startDynalite();
  ddb = createTestDynamoDbClient(dynamo.endpoint);
  sqs = createTestSqsClient(fauxqs.endpoint);
  const tableName = uniqueResourceName('jobs');
  await createTable(ddb, tableName);
  const doc = createTestDocumentClient(ddb);
  const clock = new SystemClock();
  jobs = new DynamoDbOcrJobStore(doc, { tableName, clock });
  receipts = new DynamoDbReceiptStore(doc, { tableName, clock });
  runs = new DynamoDbCompactionRunStore(doc, { tableName, clock });
  const queue = async (name: string) =>
    new SqsQueue(sqs, {
      queueUrl: (
        await createQueueWithDlq(sqs, uniqueResourceName(name), {
          maxReceiveCount: 5,
          visibilityTimeoutSeconds: 30,
          retentionSeconds: 345_600,
        })
      ).queueUrl,
    });
  queues = {
    ocr: await queue('ocr-queue'),
    results: await queue('ocr-results-queue'),
    compaction: await queue('compaction-queue'),
  };

  for (const [name, value] of Object.entries({
    TABLE_NAME: tableName,
    OCR_JOB_QUEUE_URL: queues.ocr.queueUrl,
    ARTIFACTS_BUCKET: 'artifacts-bucket',
    OCR_RESULTS_QUEUE_URL: queues.results.queueUrl,
    COMPACTION_QUEUE_URL: queues.compaction.queueUrl,
    AWS_ENDPOINT_URL: fauxqs.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'y',
    LOG_LEVEL: 'error',
    SWEEP_MIN_AGE_SECONDS: '300',
  })) {
    vi.stubEnv(name, value);
  }
  // One AWS_ENDPOINT_URL for DynamoDB and SQS, as on AWS (support/aws-proxy.ts).
  proxy = await startAwsProxy(dynamo.endpoint, fauxqs.endpoint);
  vi.stubEnv('AWS_ENDPOINT_URL', proxy.endpoint);
  const entry = await import('../src/lambda/sweep.js');
  sweep = entry.handler;
}, 60_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await proxy?.close();
  for (const client of [ddb, sqs]) client?.destroy();
  await Promise.all([dynamo?.stop(), fauxqs?.stop()]);
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
