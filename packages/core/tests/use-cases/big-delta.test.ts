import { describe, expect, it } from 'vitest';
import { InMemoryImageStore } from '@receiptflow/adapters-local';
import {
  VECTOR_DELTA_CONTENT_TYPE,
  compact,
  deltaKey,
  type ByteChunks,
  type PutObjectOptions,
  type StoredObject,
} from '@receiptflow/core';
import { pipeline, seedRun } from './harness.js';

/** No object this big may be held whole on the delta path: far below a 3,000-word delta. */
const WHOLE_OBJECT_LIMIT = 1024 * 1024;

/**
 * A vectors bucket that refuses to take or hand out a big object in one piece (`put`/`get`), and
 * records the biggest chunk a streamed put was given: what "streamed, not buffered" means.
 */
class NoBigBuffersStore extends InMemoryImageStore {
  largestChunk = 0;
  streamedPuts = 0;

  override async put(key: string, body: Uint8Array, options?: PutObjectOptions): Promise<void> {
    if (body.length > WHOLE_OBJECT_LIMIT) throw new Error(`put of ${key} buffered ${body.length} bytes whole`);
    return super.put(key, body, options);
  }

  override async get(key: string): Promise<StoredObject> {
    const object = await super.get(key);
    if (object.size > WHOLE_OBJECT_LIMIT) throw new Error(`get of ${key} buffered ${object.size} bytes whole`);
    return object;
  }

  override async putStream(key: string, body: ByteChunks, options?: PutObjectOptions): Promise<void> {
    this.streamedPuts += 1;
    const measure = (chunk: Uint8Array) => (this.largestChunk = Math.max(this.largestChunk, chunk.length));
    async function* measured() {
      for await (const chunk of body) {
        measure(chunk);
        yield chunk;
      }
    }
    return super.putStream(key, measured(), options);
  }
}

// 300 lines of 10 words: the 3,000-word receipt of issue 20 item 7, whose words delta was 32.8 MB
// of JSON sent as one PutObject and read back whole (by process-OCR-results and by compaction).
const BIG_RECEIPT = Array.from({ length: 300 }, (_, l) => Array.from({ length: 10 }, (_, w) => `W${l}X${w}`).join(' '));

describe('a 3,000-word receipt: deltas streamed, never buffered whole (issue 20, item 7)', () => {
  it(
    'process-OCR-results writes and reads back its deltas as streams, and compaction merges them',
    { timeout: 180_000 },
    async () => {
      let store: NoBigBuffersStore | undefined;
      const p = pipeline({
        deltas: (clock) => (store = new NoBigBuffersStore({ bucket: 'vectors-bucket', clock })),
      });
      const r = await p.ingest(BIG_RECEIPT);
      const [receipt] = r.processed.receipts;
      expect(receipt).toMatchObject({ word_count: 3000, line_count: 300 });

      const words = await p.deltas.head(deltaKey('words', receipt!.run_id));
      expect(words?.size).toBeGreaterThan(6 * 1024 * 1024);
      expect(words?.contentType).toBe(VECTOR_DELTA_CONTENT_TYPE);
      expect(store!.streamedPuts).toBe(2);
      expect(store!.largestChunk).toBeLessThanOrEqual(256 * 1024);

      const outcome = await p.compactAll();
      expect(outcome.failed).toEqual([]);
      expect(await p.vectors.count('words')).toBe(3000);
      expect(await p.vectors.count('lines')).toBe(300);
    },
  );

  it('compaction still merges a format-1 (JSON) delta written before format 2', async () => {
    const p = pipeline();
    const seeded = await seedRun(p, 20, { format: 1 });
    expect(seeded.run.words.delta_key).toMatch(/\.json$/);
    const outcome = await compact(p.compactDeps, seeded.messages, { owner: 'test' });
    expect(outcome.failed).toEqual([]);
    expect(await p.vectors.count('words')).toBe(20);
    expect(await p.vectors.count('lines')).toBe(20);
  });
});
