import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import type { Collection, MetadataFilter, VectorMatch, VectorMetadata, VectorRecord } from '../domain/index.js';
import type { VectorIndex, VectorQuery } from '../ports/index.js';
import { type ContractSubject, withFreshSubject } from './contract-helpers.js';

/** What a contract factory returns: a fresh, empty index and how to dispose of it. */
export type VectorIndexFixture = ContractSubject<VectorIndex>;

export interface VectorIndexContractOptions {
  /** Dimensions of the vectors the suite writes; the subject must accept them. Default 512. */
  dimensions?: number;
}

/** Deterministic PRNG (mulberry32), so that failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomVector(rand: () => number, dimensions: number): number[] {
  return Array.from({ length: dimensions }, () => rand() * 2 - 1);
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}

/** `base` turned towards `other` by `weight` (0 = base, 1 = other); not normalised on purpose. */
function blend(base: number[], other: number[], weight: number): number[] {
  return base.map((x, i) => x * (1 - weight) + other[i]! * weight);
}

function expectVectorClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  // Stores may keep float32 and/or a normalised copy plus norm; 1e-4 relative is plenty.
  const scale = Math.max(...expected.map(Math.abs));
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(1e-4 * scale);
  }
}

/**
 * The behaviour every {@link VectorIndex} promises. Runs against the local HNSW and exact
 * indexes and against Chroma. Batch-boundary cases (299/300/301, 1000) exist because a store
 * once dropped records past 300 per request (docs/lessons.md#lesson-2-a-merge-that-lost-data-was-marked-done and docs/lessons.md#lesson-14-vector-store-limits); the metadata cases exist because
 * merging updates once kept stale keys (docs/lessons.md#lesson-13-metadata-updates-merged-stale-keys).
 */
export function describeVectorIndexContract(
  name: string,
  factory: () => Promise<VectorIndexFixture>,
  options: VectorIndexContractOptions = {},
): void {
  const dims = options.dimensions ?? 512;

  describe(`VectorIndex contract: ${name}`, () => {
    let index: VectorIndex;
    let rand: () => number;

    withFreshSubject(factory, (created) => {
      index = created.subject;
      rand = prng(20240611);
    });

    const vec = () => randomVector(rand, dims);
    const record = (id: string, metadata: VectorMetadata = {}, vector = vec()): VectorRecord => ({
      id,
      vector,
      document: `doc ${id}`,
      metadata,
    });
    const many = (n: number, prefix = 'r', metadata: (i: number) => VectorMetadata = () => ({})) =>
      Array.from({ length: n }, (_, i) => record(`${prefix}-${String(i).padStart(5, '0')}`, metadata(i)));
    const sorted = (ids: string[]) => [...ids].sort();

    describe('count and empty collections', () => {
      it('counts 0 for a collection that was never written', async () => {
        expect(await index.count('lines')).toBe(0);
        expect(await index.count('words')).toBe(0);
      });

      it('answers reads on an empty collection with nothing', async () => {
        expect(await index.query('lines', { vector: vec(), k: 5 })).toEqual([]);
        expect(await index.get('lines', ['nope'])).toEqual([]);
        expect(await index.findIds('lines', { a: 'b' })).toEqual([]);
        expect(await index.deleteWhere('lines', { a: 'b' })).toBe(0);
        expect(await index.updateMetadata('lines', ['nope'], { a: 'b' })).toBe(0);
        await expect(index.delete('lines', ['nope'])).resolves.toBeUndefined();
      });

      it('accepts an empty upsert and an empty id list', async () => {
        await index.upsert('lines', []);
        expect(await index.count('lines')).toBe(0);
        expect(await index.get('lines', [])).toEqual([]);
        await index.delete('lines', []);
        expect(await index.updateMetadata('lines', [], { a: 1 })).toBe(0);
      });
    });

    describe('upsert and get', () => {
      it('round-trips vector, document and metadata', async () => {
        const vector = vec().map((x) => x * 3.5); // not unit length: the raw vector comes back
        const metadata = { merchant: 'WHOLE FOODS #123', receipt_id: 7, total: -12.75, valid: true, flag: false };
        await index.upsert('lines', [
          { id: 'IMAGE#a#RECEIPT#00001#LINE#00001', vector, document: 'TOTAL 12.75 €', metadata },
        ]);
        const [got] = await index.get('lines', ['IMAGE#a#RECEIPT#00001#LINE#00001']);
        expect(got).toBeDefined();
        expect(got!.id).toBe('IMAGE#a#RECEIPT#00001#LINE#00001');
        expect(got!.document).toBe('TOTAL 12.75 €');
        expect(got!.metadata).toEqual(metadata);
        expectVectorClose(got!.vector, vector);
      });

      it('returns records in input order and skips absent ids', async () => {
        await index.upsert('lines', [record('a'), record('b'), record('c')]);
        const got = await index.get('lines', ['c', 'missing', 'a', 'b']);
        expect(got.map((r) => r.id)).toEqual(['c', 'a', 'b']);
      });

      it('is idempotent by id: a repeated upsert replaces, never duplicates', async () => {
        const first = record('same', { v: 1 });
        await index.upsert('lines', [first, record('other')]);
        await index.upsert('lines', [first]);
        const second = { ...record('same', { v: 2 }), document: 'second' };
        await index.upsert('lines', [second]);
        expect(await index.count('lines')).toBe(2);
        const [got] = await index.get('lines', ['same']);
        expect(got!.document).toBe('second');
        expect(got!.metadata).toEqual({ v: 2 });
        expectVectorClose(got!.vector, second.vector);
        const hits = await index.query('lines', { vector: second.vector, k: 10 });
        expect(hits.filter((h) => h.id === 'same')).toHaveLength(1);
        expect(hits[0]!.id).toBe('same');
      });

      it('keeps the last of duplicate ids within one call', async () => {
        const last = { ...record('dup', { n: 2 }), document: 'last' };
        await index.upsert('lines', [record('dup', { n: 1 }), last]);
        expect(await index.count('lines')).toBe(1);
        const [got] = await index.get('lines', ['dup']);
        expect(got!.document).toBe('last');
        expect(got!.metadata).toEqual({ n: 2 });
      });

      it('replaces the whole metadata on upsert: keys absent from the new record do not survive', async () => {
        await index.upsert('lines', [record('x', { merchant: 'OLD', place_id: 'p1', keep: 1 })]);
        await index.upsert('lines', [record('x', { keep: 2 })]);
        const [got] = await index.get('lines', ['x']);
        expect(got!.metadata).toEqual({ keep: 2 });
        expect(await index.findIds('lines', { merchant: 'OLD' })).toEqual([]);
      });

      it('allows empty metadata', async () => {
        await index.upsert('lines', [record('empty', {})]);
        const [got] = await index.get('lines', ['empty']);
        expect(got!.metadata).toEqual({});
        const hits = await index.query('lines', { vector: got!.vector, k: 1 });
        expect(hits[0]!.metadata).toEqual({});
      });

      it('stores a null metadata value as an absent key', async () => {
        await index.upsert('lines', [record('n', { a: 'x', gone: null })]);
        const [got] = await index.get('lines', ['n']);
        expect(got!.metadata).toEqual({ a: 'x' });
      });

      it('rejects a record of the wrong dimensions with a ValidationError naming the id, writing nothing', async () => {
        await index.upsert('lines', [record('ok')]);
        const bad = { ...record('bad-one'), vector: randomVector(rand, dims + 1) };
        const error = await index.upsert('lines', [record('fine'), bad]).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as Error).message).toContain('bad-one');
        expect(await index.count('lines')).toBe(1);
        expect(await index.get('lines', ['fine', 'bad-one'])).toEqual([]);
      });
    });

    describe('query', () => {
      it('returns the nearest by cosine, best first, with scores in [-1, 1]', async () => {
        const base = vec();
        const other = vec();
        const weights = [0, 0.1, 0.3, 0.5, 0.7, 0.9];
        // Scaled differently on purpose: cosine ignores length.
        const records = weights.map((w, i) =>
          record(
            `w${i}`,
            { i },
            blend(base, other, w).map((x) => x * (i + 1)),
          ),
        );
        const opposite = record(
          'opposite',
          {},
          base.map((x) => -x),
        );
        await index.upsert('lines', [...records.reverse(), opposite]);

        const hits = await index.query('lines', { vector: base, k: 7 });
        expect(hits.map((h) => h.id)).toEqual(['w0', 'w1', 'w2', 'w3', 'w4', 'w5', 'opposite']);
        for (const hit of hits) {
          expect(hit.score).toBeGreaterThanOrEqual(-1.0001);
          expect(hit.score).toBeLessThanOrEqual(1.0001);
        }
        for (let i = 1; i < hits.length; i++) expect(hits[i]!.score).toBeLessThanOrEqual(hits[i - 1]!.score);
        expect(hits[0]!.score).toBeCloseTo(1, 4);
        expect(hits[6]!.score).toBeCloseTo(-1, 4);
        // Scores are the cosine itself, not a distance.
        const w3 = blend(base, other, 0.5);
        expect(hits[3]!.score).toBeCloseTo(cosine(base, w3), 3);
      });

      it('finds each stored vector as its own nearest neighbour with score ≈ 1', async () => {
        const records = many(200, 'self', (i) => ({ i }));
        await index.upsert('lines', records);
        for (const probe of [records[0]!, records[77]!, records[199]!]) {
          const [top] = await index.query('lines', { vector: probe.vector, k: 1 });
          expect(top!.id).toBe(probe.id);
          expect(top!.score).toBeCloseTo(1, 4);
          expect(top!.document).toBe(probe.document);
          expect(top!.metadata).toEqual(probe.metadata);
        }
      });

      it('returns at most k, and all records when k exceeds the count', async () => {
        await index.upsert('lines', many(20));
        expect(await index.query('lines', { vector: vec(), k: 3 })).toHaveLength(3);
        expect(await index.query('lines', { vector: vec(), k: 1 })).toHaveLength(1);
        const all = await index.query('lines', { vector: vec(), k: 50 });
        expect(all).toHaveLength(20);
        expect(new Set(all.map((h) => h.id)).size).toBe(20);
      });

      it('returns 100 results for k = 100, the maximum', async () => {
        await index.upsert('lines', many(150));
        expect(await index.query('lines', { vector: vec(), k: 100 })).toHaveLength(100);
      });

      it('rejects k outside 1..100 and a query vector of the wrong dimensions', async () => {
        await index.upsert('lines', many(3));
        await expect(index.query('lines', { vector: vec(), k: 0 })).rejects.toBeInstanceOf(ValidationError);
        await expect(index.query('lines', { vector: vec(), k: 101 })).rejects.toBeInstanceOf(ValidationError);
        await expect(index.query('lines', { vector: randomVector(rand, dims - 1), k: 1 })).rejects.toBeInstanceOf(
          ValidationError,
        );
      });

      it('filters with AND equality over string, number and boolean keys', async () => {
        const records = many(60, 'f', (i) => ({
          merchant: i % 3 === 0 ? 'ACME' : 'OTHER',
          receipt_id: i % 2,
          valid: i % 5 !== 0,
        }));
        await index.upsert('lines', records);
        const where = { merchant: 'ACME', receipt_id: 0, valid: true };
        const expected = records
          .filter((r) => r.metadata.merchant === 'ACME' && r.metadata.receipt_id === 0 && r.metadata.valid === true)
          .map((r) => r.id);
        expect(expected.length).toBeGreaterThan(3);
        const hits = await index.query('lines', { vector: vec(), k: 100, where });
        expect(sorted(hits.map((h) => h.id))).toEqual(sorted(expected));
        for (const hit of hits) expect(hit.metadata).toMatchObject(where);

        const falsy = await index.query('lines', { vector: vec(), k: 100, where: { valid: false } });
        expect(falsy.map((h) => h.id).length).toBe(records.filter((r) => r.metadata.valid === false).length);
      });

      it('returns every match when a selective filter matches fewer than k among many', async () => {
        // An ANN index that post-filters a small candidate list would miss these.
        const records = many(600, 's', (i) => ({ image: i % 150 === 7 ? 'rare' : `img-${i % 40}` }));
        await index.upsert('lines', records);
        const rare = records.filter((r) => r.metadata.image === 'rare').map((r) => r.id);
        expect(rare).toHaveLength(4);
        const hits = await index.query('lines', { vector: vec(), k: 10, where: { image: 'rare' } });
        expect(sorted(hits.map((h) => h.id))).toEqual(sorted(rare));
        for (let i = 1; i < hits.length; i++) expect(hits[i]!.score).toBeLessThanOrEqual(hits[i - 1]!.score);
      });

      it('returns the filtered nearest, not just any filtered records', async () => {
        const target = vec();
        const near = record('near', { kind: 'a' }, blend(target, vec(), 0.05));
        const nearButExcluded = record('near-b', { kind: 'b' }, blend(target, vec(), 0.01));
        await index.upsert('lines', [
          ...many(300, 'bg', (i) => ({ kind: i % 2 === 0 ? 'a' : 'b' })),
          near,
          nearButExcluded,
        ]);
        const [top] = await index.query('lines', { vector: target, k: 1, where: { kind: 'a' } });
        expect(top!.id).toBe('near');
      });

      it('returns nothing when the filter matches nothing, and never matches records lacking the key', async () => {
        await index.upsert('lines', [record('a', { x: 'y' }), record('b', {})]);
        expect(await index.query('lines', { vector: vec(), k: 5, where: { x: 'z' } })).toEqual([]);
        expect((await index.query('lines', { vector: vec(), k: 5, where: { x: 'y' } })).map((h) => h.id)).toEqual([
          'a',
        ]);
        expect(await index.query('lines', { vector: vec(), k: 5, where: { missing: 'y' } })).toEqual([]);
      });
    });

    describe('delete', () => {
      it('deletes by id and ignores absent ids', async () => {
        const records = many(5);
        await index.upsert('lines', records);
        await index.delete('lines', [records[1]!.id, 'absent', records[3]!.id]);
        expect(await index.count('lines')).toBe(3);
        expect(await index.get('lines', [records[1]!.id, records[3]!.id])).toEqual([]);
        const hits = await index.query('lines', { vector: records[1]!.vector, k: 10 });
        expect(hits.map((h) => h.id)).not.toContain(records[1]!.id);
        expect(hits).toHaveLength(3);
      });

      it('lets a deleted id be upserted again', async () => {
        const r = record('again', { v: 1 });
        await index.upsert('lines', [r]);
        await index.delete('lines', ['again']);
        await index.upsert('lines', [{ ...r, metadata: { v: 2 } }]);
        expect(await index.count('lines')).toBe(1);
        const [top] = await index.query('lines', { vector: r.vector, k: 1 });
        expect(top!.id).toBe('again');
        expect(top!.metadata).toEqual({ v: 2 });
      });

      it('deleteWhere deletes exactly the matching records and counts them', async () => {
        const records = many(40, 'd', (i) => ({ image: `img-${i % 4}`, receipt: i % 2 }));
        await index.upsert('lines', records);
        expect(await index.deleteWhere('lines', { image: 'img-1', receipt: 1 })).toBe(10);
        expect(await index.count('lines')).toBe(30);
        expect(await index.findIds('lines', { image: 'img-1' })).toEqual([]);
        expect(await index.deleteWhere('lines', { image: 'img-1' })).toBe(0);
        expect(await index.deleteWhere('lines', { image: 'img-2' })).toBe(10);
        expect(await index.count('lines')).toBe(20);
        const hits = await index.query('lines', { vector: vec(), k: 100 });
        expect(hits.every((h) => h.metadata.image === 'img-0' || h.metadata.image === 'img-3')).toBe(true);
      });
    });

    describe('findIds', () => {
      it('returns the ids whose metadata matches every key', async () => {
        const records = many(30, 'q', (i) => ({ image: `img-${i % 3}`, line: i % 5, ok: i % 2 === 0 }));
        await index.upsert('lines', records);
        const expected = records.filter((r) => r.metadata.image === 'img-2' && r.metadata.ok === true).map((r) => r.id);
        expect(sorted(await index.findIds('lines', { image: 'img-2', ok: true }))).toEqual(sorted(expected));
        expect(sorted(await index.findIds('lines', { line: 4 }))).toEqual(
          sorted(records.filter((r) => r.metadata.line === 4).map((r) => r.id)),
        );
        expect(await index.findIds('lines', { image: 'img-9' })).toEqual([]);
      });
    });

    describe('updateMetadata', () => {
      it('sets named keys, removes null keys, keeps unnamed keys and leaves vector and document alone', async () => {
        const r = record('u', { merchant: 'STALE', place_id: 'p-1', receipt_id: 3, valid: true });
        await index.upsert('lines', [r, record('bystander', { merchant: 'STALE' })]);
        expect(await index.updateMetadata('lines', ['u'], { merchant: null, valid: false, label: 'TOTAL' })).toBe(1);
        const [got] = await index.get('lines', ['u']);
        expect(got!.metadata).toEqual({ place_id: 'p-1', receipt_id: 3, valid: false, label: 'TOTAL' });
        expect(got!.document).toBe(r.document);
        expectVectorClose(got!.vector, r.vector);
        const [bystander] = await index.get('lines', ['bystander']);
        expect(bystander!.metadata).toEqual({ merchant: 'STALE' });
      });

      // docs/lessons.md#lesson-13-metadata-updates-merged-stale-keys
      it('leaves no stale value behind for filters once a key is cleared', async () => {
        const r = record('c', { merchant: 'STALE', image: 'i1' });
        await index.upsert('lines', [r]);
        await index.updateMetadata('lines', ['c'], { merchant: null });
        expect(await index.findIds('lines', { merchant: 'STALE' })).toEqual([]);
        expect(await index.query('lines', { vector: r.vector, k: 5, where: { merchant: 'STALE' } })).toEqual([]);
        expect(await index.deleteWhere('lines', { merchant: 'STALE' })).toBe(0);
        const [top] = await index.query('lines', { vector: r.vector, k: 1, where: { image: 'i1' } });
        expect(top!.metadata).toEqual({ image: 'i1' });
      });

      it('makes new values visible to filters and queries, and replaces old values', async () => {
        const r = record('m', { merchant: 'OLD' });
        await index.upsert('lines', [r]);
        await index.updateMetadata('lines', ['m'], { merchant: 'NEW', score: 0.5 });
        expect(await index.findIds('lines', { merchant: 'OLD' })).toEqual([]);
        expect(await index.findIds('lines', { merchant: 'NEW', score: 0.5 })).toEqual(['m']);
        const [top] = await index.query('lines', { vector: r.vector, k: 1, where: { merchant: 'NEW' } });
        expect(top!.id).toBe('m');
        expect(top!.score).toBeCloseTo(1, 4);
      });

      it('counts only the records that exist', async () => {
        await index.upsert('lines', many(3));
        expect(await index.updateMetadata('lines', ['r-00000', 'absent', 'r-00002'], { seen: true })).toBe(2);
        expect(sorted(await index.findIds('lines', { seen: true }))).toEqual(['r-00000', 'r-00002']);
      });

      it('can clear every key, leaving empty metadata', async () => {
        await index.upsert('lines', [record('all', { a: 1, b: 'x' })]);
        expect(await index.updateMetadata('lines', ['all'], { a: null, b: null })).toBe(1);
        const [got] = await index.get('lines', ['all']);
        expect(got!.metadata).toEqual({});
      });
    });

    // docs/lessons.md#lesson-2-a-merge-that-lost-data-was-marked-done, docs/lessons.md#lesson-14-vector-store-limits
    describe('batch boundaries', () => {
      for (const n of [299, 300, 301]) {
        it(`writes, reads, updates and deletes exactly ${n} records in one call`, async () => {
          const records = many(n, `b${n}`, (i) => ({ batch: n, even: i % 2 === 0 }));
          await index.upsert('lines', records);
          expect(await index.count('lines')).toBe(n);
          const ids = records.map((r) => r.id);
          const got = await index.get('lines', ids);
          expect(got.map((r) => r.id)).toEqual(ids);
          expect((await index.findIds('lines', { batch: n })).length).toBe(n);
          expect(await index.updateMetadata('lines', ids, { touched: true })).toBe(n);
          expect((await index.findIds('lines', { touched: true })).length).toBe(n);
          await index.delete('lines', ids);
          expect(await index.count('lines')).toBe(0);
        });
      }

      // 1,000 inserts (and, persisted, a replay after every write): slow on a loaded machine.
      it('counts a 1000-record upsert exactly and deleteWhere removes 301 of them', { timeout: 180_000 }, async () => {
        const records = many(1000, 'k', (i) => ({ group: i < 301 ? 'first' : 'rest' }));
        await index.upsert('lines', records);
        expect(await index.count('lines')).toBe(1000);
        expect(
          (
            await index.get(
              'lines',
              records.map((r) => r.id),
            )
          ).length,
        ).toBe(1000);
        expect(await index.deleteWhere('lines', { group: 'first' })).toBe(301);
        expect(await index.count('lines')).toBe(699);
        const [top] = await index.query('lines', { vector: records[500]!.vector, k: 1 });
        expect(top!.id).toBe(records[500]!.id);
      });
    });

    // docs/lessons.md#lesson-11-benign-races-counted-as-failures
    describe('concurrency', () => {
      it('lets concurrent first writes to a fresh collection all succeed', async () => {
        const a = many(5, 'ca');
        const b = many(5, 'cb');
        await Promise.all([index.upsert('words', a), index.upsert('words', b), index.upsert('words', a)]);
        expect(await index.count('words')).toBe(10);
      });

      it('treats a repeated identical write as a success, not a conflict', async () => {
        const records = many(10, 'same');
        await Promise.all([index.upsert('lines', records), index.upsert('lines', records)]);
        await index.upsert('lines', records);
        expect(await index.count('lines')).toBe(10);
        expect(await index.updateMetadata('lines', ['same-00001'], { x: 1 })).toBe(1);
        expect(await index.updateMetadata('lines', ['same-00001'], { x: 1 })).toBe(1);
      });
    });

    describe('collections', () => {
      it('keeps lines and words independent, even for the same id', async () => {
        const line = record('shared-id', { kind: 'line' });
        const word = record('shared-id', { kind: 'word' });
        await index.upsert('lines', [line, record('only-line')]);
        await index.upsert('words', [word]);
        expect(await index.count('lines')).toBe(2);
        expect(await index.count('words')).toBe(1);
        expect((await index.get('words', ['shared-id']))[0]!.metadata).toEqual({ kind: 'word' });
        expect(await index.get('words', ['only-line'])).toEqual([]);
        expect(await index.findIds('words', { kind: 'line' })).toEqual([]);
        await index.delete('words', ['shared-id']);
        expect(await index.count('words')).toBe(0);
        expect((await index.get('lines', ['shared-id']))[0]!.metadata).toEqual({ kind: 'line' });
        expect(await index.deleteWhere('lines', { kind: 'word' })).toBe(0);
        const hits = await index.query('words', { vector: line.vector, k: 5 });
        expect(hits).toEqual([]);
      });
    });
  });
}

/**
 * A {@link VectorIndex} whose writes go to `writer` and whose reads are answered by `reader`:
 * the vector index contract run against a single writer and a read-only follower over the same
 * files (efs and s3 modes), so every case checks what the follower reads back.
 *
 * @example
 * describeVectorIndexContract('fenced writer + follower', async () => ({ subject: new WritesThenReads(writer, follower) }));
 */
export class WritesThenReads implements VectorIndex {
  constructor(
    private readonly writer: VectorIndex,
    private readonly reader: VectorIndex,
  ) {}
  upsert(collection: Collection, records: VectorRecord[]): Promise<void> {
    return this.writer.upsert(collection, records);
  }
  delete(collection: Collection, ids: string[]): Promise<void> {
    return this.writer.delete(collection, ids);
  }
  deleteWhere(collection: Collection, where: MetadataFilter): Promise<number> {
    return this.writer.deleteWhere(collection, where);
  }
  updateMetadata(collection: Collection, ids: string[], patch: VectorMetadata): Promise<number> {
    return this.writer.updateMetadata(collection, ids, patch);
  }
  get(collection: Collection, ids: string[]): Promise<VectorRecord[]> {
    return this.reader.get(collection, ids);
  }
  findIds(collection: Collection, where: MetadataFilter): Promise<string[]> {
    return this.reader.findIds(collection, where);
  }
  query(collection: Collection, query: VectorQuery): Promise<VectorMatch[]> {
    return this.reader.query(collection, query);
  }
  count(collection: Collection): Promise<number> {
    return this.reader.count(collection);
  }
}
