import { describe, expect, it } from 'vitest';
import {
  MEMORY_QUERY_K,
  resolveMerchant,
  type Clock,
  type Collection,
  type Embedder,
  type PlaceCandidate,
  type PlacesResolver,
  type VectorIndex,
  type VectorMatch,
  type VectorQuery,
} from '../src/index.js';

const LINES = ['SUNRISE PHARMACY 214', '640 LAKEVIEW BLVD', 'MADISON, WI 53703', 'TEL (608) 555-0163', 'VITAMIN C 9.99', 'TOTAL 9.99'];
const REAL: PlaceCandidate = { place_id: 'sunrise-214', name: 'SUNRISE PHARMACY 214', formatted_address: '640 LAKEVIEW BLVD, MADISON, WI 53703', phone: '(608) 555-0163' };

const clock: Clock = { now: () => 0, sleep: async () => {} };
const embedder: Embedder = {
  model: 'fake',
  dimensions: 2,
  async embed(texts) {
    return { vectors: texts.map(() => [1, 0]), tokens: texts.length };
  },
};

/** Answers every query with the same scripted neighbours and records the queries. */
function memory(matches: VectorMatch[]) {
  const queries: { collection: Collection; query: VectorQuery }[] = [];
  const index = {
    async query(collection: Collection, query: VectorQuery) {
      queries.push({ collection, query });
      return matches;
    },
  } as unknown as VectorIndex;
  return { index, queries };
}

function places(byPhone: PlaceCandidate[], byText: PlaceCandidate[]) {
  const calls: string[] = [];
  const resolver: PlacesResolver = {
    async findByPhone(phone) {
      calls.push(`phone:${phone}`);
      return byPhone;
    },
    async searchText(query) {
      calls.push(`text:${query}`);
      return byText;
    },
  };
  return { resolver, calls };
}

const neighbour = (score: number, meta: Record<string, string | number | boolean>): VectorMatch => ({
  id: `n-${score}`,
  score,
  document: 'x',
  metadata: { image_id: 'img-old', receipt_id: 1, has_place: true, ...meta },
});

describe('resolveMerchant', () => {
  it('memory first: a remembered receipt with the same phone decides, with no Places call', async () => {
    const { index, queries } = memory([
      neighbour(0.7, { place_id: REAL.place_id, merchant_name: REAL.name, merchant_address: REAL.formatted_address!, merchant_phone: REAL.phone!, receipt_phone: '6085550163' }),
    ]);
    const p = places([], []);
    const r = await resolveMerchant({ vectors: index, embedder, places: p.resolver, clock }, LINES);
    expect(r).toMatchObject({ source: 'vector', place_id: REAL.place_id, places_calls: 0 });
    expect(r.evidence).toEqual(expect.arrayContaining(['memory', 'phone']));
    expect(p.calls).toEqual([]);
    // No metadata filter: a filter true for nearly every record is what makes Chroma slow.
    expect(queries.every((q) => q.collection === 'lines' && q.query.where === undefined && q.query.k === MEMORY_QUERY_K)).toBe(true);
  });

  it('skips neighbours of receipts without a place, however close they are', async () => {
    const unplaced = (score: number): VectorMatch => ({
      id: `u-${score}`,
      score,
      document: 'x',
      metadata: { image_id: 'img-unresolved', receipt_id: 1, has_place: false, place_id: 'stale', merchant_name: REAL.name, merchant_phone: REAL.phone!, receipt_phone: '6085550163' },
    });
    const { index } = memory([unplaced(0.99), unplaced(0.98)]);
    const p = places([REAL], []);
    const r = await resolveMerchant({ vectors: index, embedder, places: p.resolver, clock }, LINES);
    expect(r.source).toBe('places');
  });

  it('ignores neighbours from the same image', async () => {
    const { index } = memory([
      { ...neighbour(0.99, { place_id: REAL.place_id, merchant_name: REAL.name, merchant_phone: REAL.phone!, receipt_phone: '6085550163' }), metadata: { image_id: 'me', has_place: true, place_id: REAL.place_id, merchant_name: REAL.name, merchant_phone: REAL.phone! } },
    ]);
    const p = places([REAL], []);
    const r = await resolveMerchant({ vectors: index, embedder, places: p.resolver, clock }, LINES, { excludeImageId: 'me' });
    expect(r.source).toBe('places');
  });

  it('falls back to Places: phone lookup first, validated', async () => {
    const { index } = memory([]);
    const p = places([REAL], []);
    const r = await resolveMerchant({ vectors: index, embedder, places: p.resolver, clock }, LINES);
    expect(r).toMatchObject({ source: 'places', place_id: REAL.place_id, places_calls: 1 });
    expect(p.calls).toEqual(['phone:6085550163']);
  });

  it('never accepts a name-only text match (lesson 21): source none', async () => {
    const { index } = memory([]);
    const lookalike: PlaceCandidate = { place_id: 'far', name: 'SUNRISE PHARMACY 214', formatted_address: '1 OTHER RD, DENVER, CO 80216', phone: '(720) 555-0110' };
    const p = places([], [lookalike]);
    const r = await resolveMerchant({ vectors: index, embedder, places: p.resolver, clock }, LINES);
    expect(r).toMatchObject({ source: 'none', place_id: null, merchant_name: 'SUNRISE PHARMACY 214', confidence: 0 });
    expect(p.calls[0]).toBe('phone:6085550163');
    expect(p.calls.some((c) => c.startsWith('text:SUNRISE PHARMACY 214'))).toBe(true);
  });

  it('a remembered place whose phone contradicts the receipt is not taken from memory', async () => {
    const other = { place_id: 'sunrise-215', merchant_name: 'SUNRISE PHARMACY 215', merchant_address: '12 CAPITOL SQUARE, MADISON, WI 53703', merchant_phone: '(608) 555-0191', receipt_phone: '6085550191' };
    const { index } = memory([neighbour(0.99, other), neighbour(0.98, other)]);
    const p = places([REAL], []);
    const r = await resolveMerchant({ vectors: index, embedder, places: p.resolver, clock }, LINES);
    expect(r).toMatchObject({ source: 'places', place_id: REAL.place_id });
  });
});
