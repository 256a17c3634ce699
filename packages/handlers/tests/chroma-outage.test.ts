import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChromaVectorIndex } from '@receiptflow/adapters-aws/chroma';
import {
  InMemoryCompactionLock,
  InMemoryImageStore,
  InMemoryJobTable,
  InMemoryQueue,
  InMemorySnapshotStore,
  SystemClock,
  jobTableStores,
} from '@receiptflow/adapters-local';
import {
  buildVectorDelta,
  deltaKey,
  encodeVectorDelta,
  type Collection,
  type CompactionMessage,
  type MetricName,
  type Metrics,
  type VectorRecord,
} from '@receiptflow/core';
import { makeCompactionRun, makeReceiptDetails } from '@receiptflow/core/testing';
import { startChromaServer, type ChromaServer } from '@receiptflow/devkit/chroma';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromaClient } from '../src/container/aws/chroma-client.js';
import { createCompactionHandler } from '../src/handlers/compaction-handler.js';
import { createSweepHandler } from '../src/handlers/sweep-handler.js';
import { collectingLogger } from './support/fixtures.js';

// issue 20, item 5: the real Chroma server dies in the middle of a compaction and comes back.
// The run must end FAILED (never COMPLETED with part of its vectors), and after the scheduled
// sweep re-sends it, the index must hold exactly the delta: nothing lost, nothing twice.

const DIMS = 16;
const COUNT = 650; // 7 upsert requests of at most 100
const BATCH = 100;
const MIN = 60_000;

let chroma: ChromaServer;
let gate: ChromaGate;

beforeAll(async () => {
  chroma = await startChromaServer({ startupTimeoutMs: 60_000 });
  gate = await startGate(chroma);
}, 90_000);

afterAll(async () => {
  await gate?.close();
  await chroma?.stop();
});

interface ChromaGate {
  url: string;
  /**
   * Crashes the Chroma server when the `nth` upsert request arrives (that request never lands),
   * and with `restart` starts it again at once, in the background.
   */
  crashOnUpsert(nth: number, options?: { restart?: boolean }): void;
  /** Settles once the crash (and the restart, if asked for) is over. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of the Chroma server that can crash it at a chosen request, so
 * the crash falls between two batches of one merge. While the server is down, every request
 * through the proxy is answered by a dropped connection, as a dead host's would be.
 */
async function startGate(target: ChromaServer): Promise<ChromaGate> {
  let upserts = 0;
  let crashAt = Number.POSITIVE_INFINITY;
  let restart = false;
  let crashed: Promise<void> | undefined;
  let restarted: Promise<void> = Promise.resolve();
  const server = createServer((req, res) => void forward(req, res));
  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if ((req.url ?? '').split('?')[0]!.endsWith('/upsert') && ++upserts === crashAt) {
      crashed = target.crash();
      if (restart) restarted = crashed.then(() => target.restart());
    }
    if (crashed) await crashed;
    try {
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(req.headers)) {
        if (typeof value === 'string' && key !== 'host' && key !== 'content-length') headers[key] = value;
      }
      const body = Buffer.concat(chunks);
      const upstream = await fetch(`${target.url}${req.url ?? ''}`, {
        method: req.method,
        headers,
        body: body.length > 0 ? body : undefined,
      });
      const text = await upstream.text();
      res.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'application/json',
      });
      res.end(text);
    } catch {
      req.socket.destroy();
    }
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    crashOnUpsert: (nth, options = {}) => {
      upserts = 0;
      crashAt = nth;
      restart = options.restart ?? false;
      crashed = undefined;
      restarted = Promise.resolve();
    },
    settled: async () => {
      await crashed;
      await restarted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function deltaRecords(collection: Collection, imageId: string): VectorRecord[] {
  return Array.from({ length: COUNT }, (_, i) => ({
    id: `${collection}-${imageId}-${i}`,
    vector: Array.from({ length: DIMS }, (_, d) => Math.sin(i * 13 + d * 7) + 1.25),
    document: `${collection} text ${i}`,
    metadata: { image_id: imageId, receipt_id: 1, line_id: i + 1, text: `${collection} text ${i}` },
  }));
}

/** Metrics that add up every count, across flushes. */
function summingMetrics(): Metrics & { totals: Partial<Record<MetricName, number>> } {
  const totals: Partial<Record<MetricName, number>> = {};
  return {
    totals,
    count: (name, value = 1) => void (totals[name] = (totals[name] ?? 0) + value),
    flush: () => undefined,
  };
}

async function setup(
  retries: { maxAttempts: number; retryBaseDelayMs: number; retryMaxDelayMs: number },
  handler: { maxRunAttempts?: number } = {},
) {
  const clock = new SystemClock();
  const table = new InMemoryJobTable();
  const { jobs, receipts, runs } = jobTableStores(table, { clock });
  const deltas = new InMemoryImageStore({ bucket: 'vectors-bucket', clock });
  const logger = collectingLogger();
  // The AWS wiring's own client.
  const vectors = new ChromaVectorIndex(chromaClient(gate.url), {
    collectionPrefix: `outage${Date.now()}_`,
    maxBatchSize: BATCH,
    dimensions: DIMS,
    requestTimeoutMs: 30_000,
    ...retries,
  });
  const deps = {
    receipts,
    runs,
    deltas,
    vectors,
    lock: new InMemoryCompactionLock({ clock }),
    snapshots: new InMemorySnapshotStore(),
    clock,
    logger,
  };
  const metrics = summingMetrics();
  const compaction = createCompactionHandler(
    { ...deps, metrics },
    { leaseMs: 180_000, retryDelaySeconds: () => 0, ...handler },
  );

  const details = makeReceiptDetails();
  const { image_id, receipt_id } = details.receipt;
  await receipts.create(details);
  const expected = { lines: deltaRecords('lines', image_id), words: deltaRecords('words', image_id) };
  const run = makeCompactionRun({
    image_id,
    receipt_id,
    // Created 20 minutes ago: old enough for the sweep (which leaves the last 5 minutes alone).
    created_at: new Date(Date.now() - 20 * MIN).toISOString(),
    lines: { delta_key: deltaKey('lines', 'r'), vector_count: COUNT },
    words: { delta_key: deltaKey('words', 'r'), vector_count: COUNT },
  });
  for (const collection of ['lines', 'words'] as const) {
    const key = deltaKey(collection, run.run_id);
    run[collection].delta_key = key;
    await deltas.put(
      key,
      encodeVectorDelta(
        buildVectorDelta({ run_id: run.run_id, image_id, receipt_id, collection }, DIMS, expected[collection]),
      ),
    );
  }
  await runs.create(run);
  const merges = (['lines', 'words'] as const).map((collection): CompactionMessage => ({
    kind: 'merge',
    collection,
    run_id: run.run_id,
    image_id,
    receipt_id,
    delta_key: run[collection].delta_key,
  }));

  const compactionQueue = new InMemoryQueue({ name: 'compaction-queue', clock });
  const idle = new InMemoryQueue({ name: 'other-queue', clock });
  const sweep = createSweepHandler(
    {
      jobs,
      receipts,
      runs,
      ocrQueue: idle,
      ocrBacklog: idle,
      resultsQueue: idle,
      compactionQueue,
      // The sweep runs 20 minutes on: past its minimum age, so a run that failed just now is due.
      clock: { now: () => clock.now() + 20 * MIN, sleep: (ms, signal) => clock.sleep(ms, signal) },
      logger,
    },
    { minAgeMs: 5 * MIN, lookbackMs: 120 * MIN, limit: 100 },
  );
  const ref = { image_id, receipt_id, run_id: run.run_id };
  return { deps, compaction, sweep, compactionQueue, runs, vectors, expected, merges, ref, logger, metrics };
}

/** What the index holds for the delta's ids, compared field by field (vectors as float32). */
async function expectExactly(vectors: ChromaVectorIndex, collection: Collection, expected: VectorRecord[]) {
  expect(await vectors.count(collection)).toBe(expected.length);
  const stored = await vectors.get(
    collection,
    expected.map((r) => r.id),
  );
  expect(stored.map((r) => r.id)).toEqual(expected.map((r) => r.id));
  stored.forEach((record, i) => {
    const want = expected[i]!;
    expect(record.document).toBe(want.document);
    // The merge stamps the receipt's place on every vector; this receipt has none yet.
    expect(record.metadata).toEqual({ ...want.metadata, has_place: false });
    expect(record.vector).toHaveLength(DIMS);
    record.vector.forEach((v, d) => expect(v).toBeCloseTo(want.vector[d]!, 5));
  });
}

describe('Chroma dies in the middle of a compaction', () => {
  it(
    'leaves the run FAILED with no promotion; after Chroma is back, the sweep re-sends it and the index holds exactly the delta',
    { timeout: 240_000 },
    async () => {
      // Few attempts, short waits: the outage outlasts them, as a real one of minutes would.
      const s = await setup({ maxAttempts: 3, retryBaseDelayMs: 20, retryMaxDelayMs: 100 });
      // Lines upserts 1 and 2 land, the server dies as the 3rd arrives: 200 of 650 are in.
      gate.crashOnUpsert(3);
      const first = new InMemoryQueue({ name: 'first-delivery', clock: s.deps.clock });
      await first.sendBatch(s.merges.map((m) => JSON.stringify(m)));
      await s.compaction.consume(await first.receive({ maxMessages: 10 }));

      const failed = await s.runs.get(s.ref);
      expect(failed?.lines.state).toBe('FAILED');
      expect(failed?.words.state).toBe('FAILED');
      expect(failed?.lines.error).toMatch(/chroma: .*(cannot reach|no answer)/);
      expect(await s.deps.snapshots.current('lines')).toBeNull();
      expect(s.logger.entries.filter((e) => e.message === 'compaction message failed')).toHaveLength(2);

      await gate.settled();
      await chroma.restart();
      // What "promote only moves a pointer" means: the batches that landed are live in Chroma
      // although their run is FAILED (docs/adapters.md#chroma-failures-and-recovery).
      expect(await s.vectors.count('lines')).toBe(2 * BATCH);

      // The first delivery's messages are gone (say, to the DLQ): only the sweep can finish the run.
      const summary = await s.sweep({});
      expect(summary.merges).toBe(2);
      const resent = await s.compactionQueue.receive({ maxMessages: 10 });
      expect(resent.map((m) => (JSON.parse(m.body) as CompactionMessage).collection).sort()).toEqual([
        'lines',
        'words',
      ]);
      await s.compaction.consume(resent);

      const done = await s.runs.get(s.ref);
      expect(done?.lines).toMatchObject({ state: 'COMPLETED', merged_count: COUNT });
      expect(done?.words).toMatchObject({ state: 'COMPLETED', merged_count: COUNT });
      await expectExactly(s.vectors, 'lines', s.expected.lines);
      await expectExactly(s.vectors, 'words', s.expected.words);
      expect((await s.deps.snapshots.current('lines'))?.vector_count).toBe(COUNT);

      // Nothing left for the next sweep.
      expect((await s.sweep({})).merges).toBe(0);
    },
  );

  it(
    'a restart shorter than the retry budget is invisible: the merge retries through it and completes in one delivery',
    { timeout: 240_000 },
    async () => {
      // At least 19 waits of 1.5-3 s (about 30 s or more) against a restart of about 3 s: generous under load.
      const s = await setup({ maxAttempts: 20, retryBaseDelayMs: 500, retryMaxDelayMs: 3_000 });
      gate.crashOnUpsert(3, { restart: true });
      const first = new InMemoryQueue({ name: 'first-delivery', clock: s.deps.clock });
      await first.sendBatch(s.merges.map((m) => JSON.stringify(m)));
      await s.compaction.consume(await first.receive({ maxMessages: 10 }));
      await gate.settled();

      const done = await s.runs.get(s.ref);
      expect(done?.lines).toMatchObject({ state: 'COMPLETED', merged_count: COUNT });
      expect(done?.words).toMatchObject({ state: 'COMPLETED', merged_count: COUNT });
      expect(s.logger.entries.filter((e) => e.message === 'compaction message failed')).toEqual([]);
      await expectExactly(s.vectors, 'lines', s.expected.lines);
      await expectExactly(s.vectors, 'words', s.expected.words);
    },
  );

  it(
    'a Chroma that stays down: after its last allowed attempt each collection is ABANDONED, counted, and no longer swept',
    { timeout: 240_000 },
    async () => {
      const s = await setup({ maxAttempts: 2, retryBaseDelayMs: 20, retryMaxDelayMs: 100 }, { maxRunAttempts: 2 });
      gate.crashOnUpsert(1);
      const queue = new InMemoryQueue({ name: 'deliveries', clock: s.deps.clock });
      try {
        for (let delivery = 1; delivery <= 2; delivery++) {
          await queue.sendBatch(s.merges.map((m) => JSON.stringify(m)));
          const messages = await queue.receive({ maxMessages: 10 });
          await s.compaction.consume(messages);
          for (const m of messages) await m.ack();
        }
        const run = await s.runs.get(s.ref);
        for (const collection of ['lines', 'words'] as const) {
          expect(run?.[collection]).toMatchObject({ state: 'ABANDONED', attempts: 2 });
          expect(run?.[collection].error).toMatch(/^abandoned after 2 attempts: chroma: /);
        }
        expect(s.metrics.totals.RunsAbandoned).toBe(2);
        expect(s.logger.entries.filter((e) => e.message === 'compaction run abandoned')).toHaveLength(2);
        // However old the run gets, the sweep leaves it to the operator.
        expect((await s.sweep({})).merges).toBe(0);
      } finally {
        await gate.settled();
        await chroma.restart();
      }
    },
  );
});
