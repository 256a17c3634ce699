import { FakeClock } from '@receiptflow/adapters-local';
import { demoReceipts, syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import type { NamedImageStore } from '@receiptflow/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStreamProcessor } from '../src/handlers/stream-processor-handler.js';
import { createUploadApi } from '../src/handlers/upload-api.js';
import { ApiKeyAuth } from '../src/http/api-key-auth.js';
import { LocalRuntime } from '../src/local/local-runtime.js';
import { pumpQueue } from '../src/local/queue-pump.js';
import { EmfMetrics } from '../src/metrics/emf-metrics.js';
import { capturingMetrics, emfProblems, totals } from './support/emf.js';
import {
  bodyOf,
  collectingLogger,
  httpEvent,
  pngHeader,
  specLines,
  TaggedOcr,
  type LogEntry,
} from './support/fixtures.js';
import { localPipeline } from './support/local-pipeline.js';

let runtime: LocalRuntime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

/**
 * Four receipts through the whole local pipeline (upload handler, the OCR worker, results,
 * stream, compaction), one at a time so that memory sees the earlier ones: merchant A, merchant
 * B, merchant A again (answered by vector memory), and a shop no catalog knows.
 */
async function knownRun() {
  const logger = collectingLogger();
  const ocr = new TaggedOcr();
  const { metricsFor, docs } = capturingMetrics();
  runtime = await LocalRuntime.open({ logger, ocr, catalog: syntheticCatalog(), metricsFor });
  const demo = demoReceipts();
  const images = [
    ocr.register('a1', specLines(demo[0]!.spec)),
    ocr.register('b1', specLines(demo[1]!.spec)),
    ocr.register('a2', specLines(demo[4]!.spec)),
    ocr.register('nowhere', ['ZQX NOWHERE TRADING', '12 NOWHERE LANE', 'TEA 2.00', 'TOTAL 2.00']),
  ];
  const uploads: { image_id: string; job_id: string }[] = [];
  for (const bytes of images) {
    const res = await runtime.upload(httpEvent({ headers: { 'content-type': 'image/png' }, body: bytes }));
    expect(res.statusCode).toBe(201);
    uploads.push(bodyOf<{ image_id: string; job_id: string }>(res));
    await runtime.drain();
  }
  return { logger, docs, uploads, runtime };
}

/** Every line that mentions an id (in its message or any field, at any depth). */
function linesMentioning(entries: LogEntry[], ...ids: string[]): LogEntry[] {
  return entries.filter((e) => ids.some((id) => `${e.message} ${JSON.stringify(e.fields)}`.includes(id)));
}

describe('ops logging: every line about a receipt carries its image_id and job_id', () => {
  it('from upload through the OCR worker, results and both collections compacted', async () => {
    const { logger, uploads } = await knownRun();
    for (const { image_id, job_id } of uploads) {
      const lines = linesMentioning(logger.entries, image_id, job_id);
      for (const line of lines) {
        expect(line.fields, `"${line.message}" for ${image_id}`).toMatchObject({ image_id, job_id });
      }
      const messages = lines.map((l) => l.message);
      // One line at least from each step, so a step that logs nothing about it is caught too.
      expect(messages).toEqual(
        expect.arrayContaining([
          'receipt uploaded',
          'job started',
          'ocr job completed',
          'job completed',
          'merchant resolved',
          'ocr results processed',
        ]),
      );
      const compacted = lines.filter((l) => l.message === 'receipt compacted').map((l) => l.fields.collection);
      expect(compacted.sort()).toEqual(['lines', 'words']);
    }
  });

  it('names the image and job of a results message that fails', async () => {
    const p = await localPipeline();
    await p.adapters.resultsQueue.send(
      JSON.stringify({
        job_id: 'job-gone',
        image_id: 'img-gone',
        s3_bucket: 'elsewhere',
        s3_key: 'k',
        receipt_count: 1,
      }),
    );
    await pumpQueue(p.adapters.resultsQueue, p.results);
    expect(p.logger.entries.find((e) => e.message === 'ocr results failed')?.fields).toMatchObject({
      image_id: 'img-gone',
      job_id: 'job-gone',
      to_dlq: false,
    });
  });
});

describe('metrics in CloudWatch EMF', () => {
  it('writes valid EMF whose counts match a known run', async () => {
    const { docs, runtime: r } = await knownRun();
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) expect(emfProblems(doc)).toEqual([]);
    expect(
      docs.every(
        (d) =>
          (d._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0]!.Namespace ===
          'receiptflow-test',
      ),
    ).toBe(true);

    const results = totals(docs, 'process-ocr-results');
    expect(results).toEqual({
      ReceiptsProcessed: 4,
      // Only the second visit to merchant A is answered from memory.
      MemoryAnswers: 1,
      // Every lookup reached the catalog (no query repeats, so the cache answered none).
      PlacesCalls: r.adapters.catalog.calls.total,
      Failures: 0,
      DlqSends: 0,
    });
    expect(results.PlacesCalls).toBeGreaterThanOrEqual(3);
    expect(totals(docs, 'upload')).toEqual({ Failures: 0 });
    expect(totals(docs, 'compaction')).toEqual({ Failures: 0, DlqSends: 0, RunsAbandoned: 0 });
    expect(totals(docs, 'stream-processor')).toEqual({ Failures: 0 });
    // One document per upload request.
    expect(docs.filter((d) => d.Function === 'test-upload')).toHaveLength(4);
  });

  it('counts each failed receive of a poison message and one DLQ send, as the DLQ itself shows', async () => {
    const clock = new FakeClock();
    const { metricsFor, docs } = capturingMetrics(() => clock.now());
    const p = await localPipeline({ clock, metricsFor });
    const a = p.adapters;
    await a.resultsQueue.send(
      JSON.stringify({ job_id: 'j', image_id: 'i', s3_bucket: 'nope', s3_key: 'k', receipt_count: 1 }),
    );
    for (let i = 0; i < 10 && (await a.resultsDlq.depth()).visible === 0; i++) {
      await pumpQueue(a.resultsQueue, p.results);
      await clock.advance(31_000);
    }
    expect(await a.resultsDlq.depth()).toEqual({ visible: 1, inFlight: 0 });
    expect(totals(docs, 'process-ocr-results')).toMatchObject({
      ReceiptsProcessed: 0,
      Failures: a.maxReceiveCount,
      DlqSends: 1,
    });
    const failed = p.logger.entries.filter((e) => e.message === 'ocr results failed');
    expect(failed.map((e) => e.fields.to_dlq)).toEqual([false, false, false, false, true]);
  });

  it('counts a 5xx answer of the upload API as a failure, and a client error not', async () => {
    const { metricsFor, docs } = capturingMetrics();
    const broken: NamedImageStore = {
      bucket: 'raw',
      put: async () => {
        throw new Error('disk on fire');
      },
    } as unknown as NamedImageStore;
    const p = await localPipeline();
    const upload = createUploadApi({
      submit: {
        jobs: p.adapters.jobs,
        images: broken,
        ocrQueue: p.adapters.ocrQueue,
        clock: p.adapters.clock,
        ids: p.adapters.ids,
      },
      status: p.adapters,
      auth: new ApiKeyAuth([]),
      logger: collectingLogger(),
      metrics: metricsFor('upload'),
    });
    expect(
      (await upload(httpEvent({ headers: { 'content-type': 'image/png' }, body: pngHeader(10, 10) }))).statusCode,
    ).toBe(503);
    expect(
      (await upload(httpEvent({ headers: { 'content-type': 'image/png' }, body: new Uint8Array([1, 2, 3]) })))
        .statusCode,
    ).toBeLessThan(500);
    expect(docs.map((d) => d.Failures)).toEqual([1, 0]);
  });

  it('counts an undecodable stream record as a failure of the stream processor', async () => {
    const { metricsFor, docs } = capturingMetrics();
    const p = await localPipeline();
    const stream = createStreamProcessor({
      compactionQueue: p.adapters.compactionQueue,
      logger: collectingLogger(),
      metrics: metricsFor('stream-processor'),
    });
    await stream([
      { id: '1', change: null, undecodable: true },
      { id: '2', change: null },
    ]);
    expect(totals(docs, 'stream-processor')).toEqual({ Failures: 1 });
  });

  it('EmfMetrics: one document per flush with zeros kept, nothing when nothing was counted, and a fresh start after each flush', () => {
    const lines: string[] = [];
    const m = new EmfMetrics({ namespace: 'ns', functionName: 'fn-1', write: (l) => lines.push(l), now: () => 42 });
    m.flush();
    expect(lines).toEqual([]);
    m.count('Failures', 0);
    m.count('PlacesCalls', 2);
    m.count('PlacesCalls');
    m.flush();
    m.count('Failures');
    m.flush();
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(first).toEqual({
      _aws: {
        Timestamp: 42,
        CloudWatchMetrics: [
          {
            Namespace: 'ns',
            Dimensions: [['Function']],
            Metrics: [
              { Name: 'Failures', Unit: 'Count' },
              { Name: 'PlacesCalls', Unit: 'Count' },
            ],
          },
        ],
      },
      Function: 'fn-1',
      Failures: 0,
      PlacesCalls: 3,
    });
    expect(second).toMatchObject({ Failures: 1 });
    expect(second.PlacesCalls).toBeUndefined();
    expect(emfProblems(first)).toEqual([]);
    // The validator itself rejects what CloudWatch would drop.
    expect(emfProblems({ ...first, Function: 7 })).toEqual([
      'CloudWatchMetrics[0]: dimension Function is not a string member at the root',
    ]);
    expect(emfProblems({ ...first, PlacesCalls: 'three' })).toEqual([
      'CloudWatchMetrics[0]: metric PlacesCalls is not a number at the root',
    ]);
  });

  it('in Lambda, writes EMF straight to stdout (not through console.log), named by AWS_LAMBDA_FUNCTION_NAME and METRICS_NAMESPACE', async () => {
    vi.stubEnv('TABLE_NAME', 'jobs');
    vi.stubEnv('COMPACTION_QUEUE_URL', 'https://sqs.us-east-1.amazonaws.com/1/compaction-queue');
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'receiptflow-prod-stream-processor');
    vi.stubEnv('METRICS_NAMESPACE', 'receiptflow-ns');
    const written: string[] = [];
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const consoleLog = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const { handler } = await import('../src/lambda/stream-processor.js');
      expect(await handler({ Records: [] })).toEqual({ batchItemFailures: [] });
    } finally {
      stdout.mockRestore();
      consoleLog.mockRestore();
      vi.unstubAllEnvs();
      vi.resetModules();
    }
    const docs = written.filter((w) => w.includes('"_aws"'));
    expect(docs).toHaveLength(1);
    expect(docs[0]!.endsWith('\n')).toBe(true);
    const doc = JSON.parse(docs[0]!);
    expect(emfProblems(doc)).toEqual([]);
    expect(doc).toMatchObject({
      Function: 'receiptflow-prod-stream-processor',
      Failures: 0,
      _aws: { CloudWatchMetrics: [{ Namespace: 'receiptflow-ns' }] },
    });
    expect(consoleLog.mock.calls.some((c) => String(c[0]).includes('"_aws"'))).toBe(false);
  });
});
