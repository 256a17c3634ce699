import { describe, expect, it } from 'vitest';
import type { VectorRecord } from '@receiptflow/core';
import { CatalogPlacesResolver } from '../src/catalog-places-resolver.js';
import { HashingEmbedder } from '../src/hashing-embedder.js';
import { syntheticCatalog } from '../src/synthetic/index.js';
import { UPSERT_SLICE } from '../src/vector/table-vector-index.js';
import { HnswVectorIndex } from '../src/vector/hnsw-vector-index.js';
import { gaussianSource } from './support/gaussian.js';

/**
 * Counts the turns of the event loop (setImmediate callbacks, which run after pending I/O such as
 * an HTTP request) that happen while `work` is pending. Work that resolves through microtasks
 * alone, however long, lets none happen: that is what held `receipts serve`'s HTTP server
 * (issue 18, P8). No clock is read: the figure is an ordering, not a speed.
 */
async function turnsWhile<T>(start: () => Promise<T>): Promise<{ value: T; turns: number }> {
  let done = false;
  let turns = 0;
  const tick = () => {
    if (done) return;
    turns++;
    setImmediate(tick);
  };
  // Queued before the work starts, so that it runs before any turn the work itself waits for.
  setImmediate(tick);
  const value = await start();
  done = true;
  return { value, turns };
}

describe('local adapters give the event loop a turn during long work (receipts serve, issue 18 P8)', () => {
  it('an upsert of many records is applied in slices, with turns between them, and loses none', async () => {
    const point = gaussianSource(5, 32, 20);
    const records: VectorRecord[] = Array.from({ length: 20 * UPSERT_SLICE }, (_, i) => ({
      id: `w${i}`,
      vector: point(),
      document: `word ${i}`,
      metadata: { i },
    }));
    const index = new HnswVectorIndex({ dimensions: 32 });
    const { turns } = await turnsWhile(() => index.upsert('words', records));
    // 20 slices: a turn between each two (loosely: any turn at all fails the old code).
    expect(turns).toBeGreaterThanOrEqual(10);
    expect(await index.count('words')).toBe(records.length);
    const stored = await index.get('words', ['w0', `w${records.length - 1}`]);
    expect(stored.map((r) => r.metadata.i)).toEqual([0, records.length - 1]);
    // Every record is in the graph: each finds itself.
    for (const r of [records[0]!, records[records.length - 1]!, records[UPSERT_SLICE]!]) {
      expect((await index.query('words', { vector: r.vector, k: 1 }))[0]?.id).toBe(r.id);
    }
  });

  it('a small upsert stays one slice', async () => {
    const point = gaussianSource(6, 8, 20);
    const index = new HnswVectorIndex({ dimensions: 8 });
    const records = Array.from({ length: UPSERT_SLICE }, (_, i) => ({
      id: `s${i}`,
      vector: point(),
      document: '',
      metadata: {},
    }));
    const { turns } = await turnsWhile(() => index.upsert('lines', records));
    expect(turns).toBe(0);
    expect(await index.count('lines')).toBe(UPSERT_SLICE);
  });

  it('the hashing embedder lets the loop turn while it embeds a receipt’s words', async () => {
    const embedder = new HashingEmbedder({ dimensions: 64 });
    const texts = Array.from({ length: 300 }, (_, i) => `WORD${i}`);
    const { value, turns } = await turnsWhile(() => embedder.embed(texts));
    expect(turns).toBeGreaterThanOrEqual(2);
    expect(value.vectors).toHaveLength(texts.length);
    // Same vectors as one text at a time: slicing changes nothing but the turns.
    expect(value.vectors[299]).toEqual((await embedder.embed([texts[299]!])).vectors[0]);
  });

  it('the catalog resolver lets the loop turn before scoring the catalog, as a Places call would', async () => {
    const resolver = new CatalogPlacesResolver(syntheticCatalog());
    const { value, turns } = await turnsWhile(() => resolver.searchText('bluebird bakery'));
    expect(turns).toBeGreaterThanOrEqual(1);
    expect(value[0]?.name).toBe('BLUEBIRD BAKERY');
  });
});
