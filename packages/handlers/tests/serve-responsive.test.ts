import type { Collection, VectorRecord } from '@receiptflow/core';
import { HnswVectorIndex } from '@receiptflow/adapters-local';
import { syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { describe, expect, it } from 'vitest';
import { LocalRuntime } from '../src/local/local-runtime.js';
import { serveApi } from './support/api-server.js';
import { collectingLogger, TaggedOcr } from './support/fixtures.js';

/**
 * The post-OCR work of `receipts serve` runs on the event loop that answers HTTP (issue 18, P8).
 * These tests check orderings, not speeds: what must have happened before what.
 */

/** An in-memory HNSW index that reports its first `words` insert and the end of that upsert. */
class WatchedIndex extends HnswVectorIndex {
  onFirstWordInsert: (() => void) | null = null;
  readonly events: string[] = [];
  private watching = false;

  override async upsert(collection: Collection, records: VectorRecord[]): Promise<void> {
    const watch = collection === 'words' && this.onFirstWordInsert !== null;
    this.watching = watch;
    await super.upsert(collection, records);
    if (watch) this.events.push(`upserted ${records.length} words`);
  }

  // `never`: the table's class is internal to the package; this only passes it on.
  protected override onAppended(collection: Collection, table: never, slot: number): void {
    super.onAppended(collection, table, slot);
    if (this.watching && this.onFirstWordInsert) {
      const fire = this.onFirstWordInsert;
      this.onFirstWordInsert = null;
      fire();
    }
  }
}

describe('receipts serve stays responsive during post-OCR work', () => {
  it(
    'answers an upload request made while a large receipt is merged before that merge ends',
    { timeout: 120_000 },
    async () => {
      const ocr = new TaggedOcr();
      const vectors = new WatchedIndex({ dimensions: 512 });
      const runtime = await LocalRuntime.open({
        logger: collectingLogger(),
        ocr,
        vectors,
        catalog: syntheticCatalog(),
      });
      // Open mode (no keys), as `receipts serve` on loopback.
      const server = await serveApi(runtime, []);
      try {
        // About a thousand words: one merge of them held the loop for its whole length.
        const lines = [
          'BLUEBIRD BAKERY',
          ...Array.from({ length: 120 }, (_, i) => `ITEM${i} FRESH SOURDOUGH LOAF NO ${i} QTY 1 @ 4.50 4.50`),
          'TOTAL 540.00',
        ];
        await runtime.submit('large.png', 'image/png', ocr.register('large', lines));
        const sent: { request?: Promise<void> } = {};
        vectors.onFirstWordInsert = () => {
          // Issued from inside the merge's first insert: only turns of the event loop between
          // inserts can let the server read it, answer, and this client read the answer.
          sent.request = server
            .request('POST', '/upload-receipt', {
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ filename: 'next.jpg', content_type: 'image/jpeg' }),
            })
            .then(async (response) => {
              await response.text();
              vectors.events.push(`answered ${response.status}`);
            });
        };
        await runtime.drain();
        expect(sent.request).toBeDefined();
        await sent.request;
        const merged = vectors.events.find((e) => e.startsWith('upserted'));
        expect(Number(merged?.split(' ')[1])).toBeGreaterThan(500);
        expect(vectors.events).toEqual(['answered 201', merged]);
      } finally {
        await server.close();
        await runtime.stop();
      }
    },
  );

  it('lets the event loop turn between background repair steps', { timeout: 60_000 }, async () => {
    const vectors = new HnswVectorIndex({ dimensions: 512 });
    // Unlinked records (appended, not yet linked), as compaction leaves them.
    let seed = 7;
    const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
    await vectors.upsert(
      'lines',
      Array.from({ length: 200 }, (_, i) => ({
        id: `l${i}`,
        vector: Array.from({ length: 512 }, random),
        document: '',
        metadata: {},
      })),
    );
    expect(vectors.pendingRepairs).toBeGreaterThan(100);
    const runtime = await LocalRuntime.open({ logger: collectingLogger(), ocr: new TaggedOcr(), vectors });
    try {
      runtime.start();
      // The next turn of the loop: a request arriving now would be read here.
      const pendingAtNextTurn = await new Promise<number>((resolve) =>
        setImmediate(() => resolve(vectors.pendingRepairs)),
      );
      // Before, repair steps chained as microtasks until none was left.
      expect(pendingAtNextTurn).toBeGreaterThan(0);
      const deadline = Date.now() + 30_000;
      while (vectors.pendingRepairs > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(vectors.pendingRepairs).toBe(0);
    } finally {
      await runtime.stop();
    }
  });
});
