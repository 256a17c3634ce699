import { describe, expect, it } from 'vitest';
import { CorruptSnapshotError, LeaseLostError, type VectorRecord } from '@receiptflow/core';
import { ChromaVectorIndex } from '../../src/chroma/index.js';
import { sampleRecords, useChromaServer } from './chroma-fixture.js';

// The two operations a server-mode snapshot needs (issue 17, item 2): read a collection whole,
// page by page, and replace it whole without readers ever seeing a half-loaded one.

const DIMS = 8;
const { direct } = useChromaServer();
let prefixes = 0;
const freshPrefix = () => `transfer${++prefixes}_`;

async function collect(pages: AsyncIterable<VectorRecord[]>): Promise<VectorRecord[][]> {
  const out: VectorRecord[][] = [];
  for await (const page of pages) out.push(page);
  return out;
}

async function* pagesOf(records: VectorRecord[], size: number, failAfter?: Error): AsyncGenerator<VectorRecord[]> {
  for (let i = 0; i < records.length; i += size) yield records.slice(i, i + size);
  if (failAfter) throw failAfter;
}

const byId = (a: VectorRecord, b: VectorRecord) => a.id.localeCompare(b.id);

describe('ChromaVectorIndex as a VectorCollectionTransfer (real Chroma)', () => {
  it('scans every record with its vector, document and metadata, in pages of at most pageSize', async () => {
    const index = new ChromaVectorIndex(direct(), { collectionPrefix: freshPrefix(), dimensions: DIMS });
    const records = sampleRecords(23, 'scan', DIMS);
    await index.upsert('lines', records);
    const pages = await collect(index.scan('lines', { pageSize: 5 }));
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
    const scanned = pages.flat().sort(byId);
    expect(scanned.map((r) => r.id)).toEqual(records.map((r) => r.id).sort());
    const want = [...records].sort(byId);
    scanned.forEach((r, i) => {
      expect(r.document).toBe(want[i]!.document);
      expect(r.metadata).toEqual(want[i]!.metadata);
      r.vector.forEach((v, d) => expect(v).toBeCloseTo(want[i]!.vector[d]!, 5));
    });
    expect(await collect(index.scan('words', { pageSize: 5 }))).toEqual([]);
  }, 60_000);

  it('replaces a collection whole; a reader holding the old one reads it whole until the swap', async () => {
    const prefix = freshPrefix();
    const writer = new ChromaVectorIndex(direct(), { collectionPrefix: prefix, dimensions: DIMS });
    const reader = new ChromaVectorIndex(direct(), { collectionPrefix: prefix, dimensions: DIMS });
    await writer.upsert('lines', sampleRecords(10, 'old', DIMS));
    expect(await reader.count('lines')).toBe(10);
    const restored = sampleRecords(12, 'new', DIMS);
    const counts: number[] = [];
    async function* watched(): AsyncGenerator<VectorRecord[]> {
      for await (const page of pagesOf(restored, 4)) {
        // Mid-load, readers still see the live collection, whole.
        counts.push(await reader.count('lines'));
        yield page;
      }
    }
    expect(await writer.replaceCollection('lines', watched(), { expectedCount: 12 })).toBe(12);
    expect(counts).toEqual([10, 10, 10]);
    // The reader's old handle is gone: one call fails retryably (as after any deletion of the
    // collection), and the next opens the restored collection by name.
    await expect(reader.count('lines')).rejects.toMatchObject({ retryable: true });
    expect(await reader.count('lines')).toBe(12);
    expect((await reader.get('lines', ['new-3']))[0]?.metadata).toEqual({ tag: 'new', i: 3 });
    expect(await reader.get('lines', ['old-3'])).toEqual([]);
    const names = (await direct().listCollections()).map((c) => c.name).filter((n) => n.startsWith(prefix));
    expect(names).toEqual([`${prefix}lines`]);
  }, 60_000);

  it('drops the new collection and keeps the live one when the pages throw, the count differs or beforeSwap refuses', async () => {
    const prefix = freshPrefix();
    const index = new ChromaVectorIndex(direct(), { collectionPrefix: prefix, dimensions: DIMS });
    const live = sampleRecords(6, 'live', DIMS);
    await index.upsert('lines', live);
    const incoming = sampleRecords(9, 'in', DIMS);
    const corrupt = new CorruptSnapshotError('checksum mismatch');
    await expect(index.replaceCollection('lines', pagesOf(incoming, 4, corrupt), { expectedCount: 9 })).rejects.toBe(
      corrupt,
    );
    await expect(index.replaceCollection('lines', pagesOf(incoming, 4), { expectedCount: 10 })).rejects.toThrow(
      /expected 10|10/,
    );
    const lost = new LeaseLostError('lease gone');
    await expect(
      index.replaceCollection('lines', pagesOf(incoming, 4), {
        expectedCount: 9,
        beforeSwap: async () => {
          throw lost;
        },
      }),
    ).rejects.toBe(lost);
    expect(await index.count('lines')).toBe(6);
    expect((await index.get('lines', ['live-2'])).length).toBe(1);
    const names = (await direct().listCollections()).map((c) => c.name).filter((n) => n.startsWith(prefix));
    expect(names).toEqual([`${prefix}lines`]);
  }, 60_000);

  it('replaces a collection that did not exist yet', async () => {
    const prefix = freshPrefix();
    const index = new ChromaVectorIndex(direct(), { collectionPrefix: prefix, dimensions: DIMS });
    expect(await index.replaceCollection('words', pagesOf(sampleRecords(3, 'w', DIMS), 2), { expectedCount: 3 })).toBe(
      3,
    );
    expect(await index.count('words')).toBe(3);
  }, 60_000);
});
