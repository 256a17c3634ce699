import { HnswVectorIndex } from '@receiptflow/adapters-local';
import { syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { describe, expect, it } from 'vitest';
import { LocalRuntime } from '../src/local/local-runtime.js';
import { collectingLogger, TaggedOcr } from './support/fixtures.js';
import { GatedOcr } from './support/gated-ocr.js';

/**
 * `receipts serve` links the vectors compaction appended unlinked in the background (issue 18, P8). On a machine
 * whose cores the OCR workers fill, a repair step on the main thread is CPU taken from OCR, so
 * repairs wait while the pipeline has work, unless the backlog passes its limit.
 */

/** An in-memory index holding `count` unlinked records of `collection`, as compaction leaves them. */
async function unlinkedRecords(
  count: number,
  collection: 'lines' | 'words' = 'lines',
  vectors = new HnswVectorIndex({ dimensions: 512 }),
): Promise<HnswVectorIndex> {
  let seed = 11;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  await vectors.upsert(
    collection,
    Array.from({ length: count }, (_, i) => ({
      id: `p${i}`,
      vector: Array.from({ length: 512 }, random),
      document: '',
      metadata: {},
    })),
  );
  return vectors;
}

/** Waits until `done()` or the deadline; returns whether it became true. */
async function until(done: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await done()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  return done();
}

async function runtimeWith(vectors: HnswVectorIndex, ocr: GatedOcr, repairBacklogLimit?: number) {
  return LocalRuntime.open({
    logger: collectingLogger(),
    ocr,
    vectors,
    catalog: syntheticCatalog(),
    ...(repairBacklogLimit === undefined ? {} : { repairBacklogLimit }),
  });
}

/**
 * A started runtime over `vectors` whose pipeline is busy: a receipt held in OCR (submitted
 * before the start, since an idle pipeline would start repairing at once). Release `ocr` to go on.
 */
async function busyRuntime(vectors: HnswVectorIndex, repairBacklogLimit?: number) {
  const tagged = new TaggedOcr();
  const ocr = new GatedOcr(tagged);
  const runtime = await runtimeWith(vectors, ocr, repairBacklogLimit);
  await runtime.submit('held.png', 'image/png', tagged.register('held', ['HELD STORE', 'TOTAL 2.00']));
  runtime.start();
  expect(await until(() => ocr.inFlight === 1, 15_000)).toBe(true);
  return { runtime, ocr };
}

describe('receipts serve: background repairs yield to the pipeline', () => {
  it(
    'waits while an OCR job runs, then repairs everything once the pipeline is idle',
    { timeout: 60_000 },
    async () => {
      const vectors = await unlinkedRecords(120);
      const pending = vectors.pendingRepairs;
      expect(pending).toBeGreaterThan(100);
      const { runtime, ocr } = await busyRuntime(vectors);
      try {
        // The repair loop sleeps 100 ms when it has nothing to do: give it several turns. Before,
        // the first turns repaired 8 vectors each, whatever the pipeline was doing.
        await new Promise((r) => setTimeout(r, 600));
        expect(vectors.pendingRepairs).toBe(pending);
        ocr.release();
        // The held receipt is processed and merged (its own vectors unlinked too), then all repaired.
        expect(
          await until(async () => (await vectors.count('lines')) > 120 && vectors.pendingRepairs === 0, 30_000),
        ).toBe(true);
      } finally {
        ocr.release();
        await runtime.stop();
      }
    },
  );

  it(
    'by default keeps the unlinked backlog, which every query scans, near 1,000 even while busy',
    { timeout: 90_000 },
    async () => {
      const vectors = await unlinkedRecords(1100);
      expect(vectors.pendingRepairs).toBe(1099); // the first record is linked: the entry point
      const { runtime, ocr } = await busyRuntime(vectors);
      try {
        // Before session 11 the default was 20,000: a busy pipeline left all 1,099 unlinked.
        expect(await until(() => vectors.pendingRepairs <= 1000, 60_000)).toBe(true);
        expect(ocr.inFlight).toBe(1);
      } finally {
        ocr.release();
        await runtime.stop();
      }
    },
  );

  it(
    'while busy, links only the queried collection (lines) past the limit; the words wait for idle',
    { timeout: 60_000 },
    async () => {
      const vectors = await unlinkedRecords(120, 'words');
      await unlinkedRecords(120, 'lines', vectors);
      expect(vectors.pendingRepairsOf('words')).toBe(119); // the first record is linked: the entry point
      const { runtime, ocr } = await busyRuntime(vectors, 40);
      try {
        expect(await until(() => vectors.pendingRepairsOf('lines') <= 40, 30_000)).toBe(true);
        // Before session 12 the limit counted both collections: the words were linked down to it too.
        await new Promise((r) => setTimeout(r, 600));
        expect(vectors.pendingRepairsOf('words')).toBe(119);
        expect(ocr.inFlight).toBe(1);
        ocr.release();
        expect(await until(() => vectors.pendingRepairs === 0, 30_000)).toBe(true);
      } finally {
        ocr.release();
        await runtime.stop();
      }
    },
  );

  it(
    "the local index lets a burst's words wait past the index's default bound (2,000)",
    { timeout: 60_000 },
    async () => {
      const runtime = await LocalRuntime.open({ logger: collectingLogger(), ocr: new TaggedOcr() });
      try {
        const vectors = runtime.adapters.vectors;
        if (!(vectors instanceof HnswVectorIndex)) throw new Error('expected the HNSW index');
        await unlinkedRecords(2500, 'words', vectors);
        expect(vectors.pendingRepairsOf('words')).toBe(2499);
        await unlinkedRecords(2500, 'lines', vectors);
        expect(vectors.pendingRepairsOf('lines')).toBe(2000); // lines keep the default: the pipeline queries them
      } finally {
        await runtime.stop();
      }
    },
  );

  it('repairs down to the backlog limit even while the pipeline is busy', { timeout: 60_000 }, async () => {
    const vectors = await unlinkedRecords(120);
    const { runtime, ocr } = await busyRuntime(vectors, 40);
    try {
      expect(await until(() => vectors.pendingRepairs <= 40, 30_000)).toBe(true);
      // Busy still: it stops at the limit (steps of 8 can end up to 7 below it).
      await new Promise((r) => setTimeout(r, 600));
      expect(vectors.pendingRepairs).toBeGreaterThan(32);
      expect(ocr.inFlight).toBe(1);
    } finally {
      ocr.release();
      await runtime.stop();
    }
  });
});
