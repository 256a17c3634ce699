import { describe, expect, it } from 'vitest';
import {
  MAX_PLACES_LOOKUPS,
  MEMORY_KEY_FIELDS,
  TransientDependencyError,
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

const LINES = [
  'SUNRISE PHARMACY 214',
  '640 LAKEVIEW BLVD',
  'MADISON, WI 53703',
  'TEL (608) 555-0163',
  'VITAMIN C 9.99',
  'TOTAL 9.99',
];
const REAL: PlaceCandidate = {
  place_id: 'sunrise-214',
  name: 'SUNRISE PHARMACY 214',
  formatted_address: '640 LAKEVIEW BLVD, MADISON, WI 53703',
  phone: '(608) 555-0163',
};

const clock: Clock = { now: () => 0, sleep: async () => {} };
const embedder: Embedder = {
  model: 'fake',
  dimensions: 2,
  async embed(texts) {
    return { vectors: texts.map(() => [1, 0]), tokens: texts.length };
  },
};

/** Vector memory over scripted neighbours: an equality filter is honoured, as every adapter does. */
function memory(matches: VectorMatch[]) {
  const queries: { collection: Collection; query: VectorQuery }[] = [];
  const index = {
    async query(collection: Collection, query: VectorQuery) {
      queries.push({ collection, query });
      const where = query.where ?? {};
      return matches.filter((m) => Object.entries(where).every(([k, v]) => m.metadata[k] === v)).slice(0, query.k);
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
    async getPlace(placeId) {
      calls.push(`id:${placeId}`);
      return null;
    },
  };
  return { resolver, calls };
}

const placeMeta = (p: PlaceCandidate) => ({
  place_id: p.place_id,
  merchant_name: p.name,
  ...(p.formatted_address ? { merchant_address: p.formatted_address } : {}),
  ...(p.phone ? { merchant_phone: p.phone } : {}),
});

let nextId = 0;
const neighbour = (score: number, meta: Record<string, string | number | boolean>): VectorMatch => ({
  id: `n-${nextId++}`,
  score,
  document: 'x',
  metadata: { image_id: 'img-old', receipt_id: 1, has_place: true, ...meta },
});

const deps = (index: VectorIndex, resolver: PlacesResolver) => ({ vectors: index, embedder, places: resolver, clock });

describe('resolveMerchant: memory', () => {
  it('a remembered receipt with the same phone decides, by an exact metadata key, with no Places call', async () => {
    const { index, queries } = memory([neighbour(0.3, { ...placeMeta(REAL), receipt_phone: '6085550163' })]);
    const p = places([], []);
    const r = await resolveMerchant(deps(index, p.resolver), LINES);
    expect(r).toMatchObject({ source: 'vector', place_id: REAL.place_id, places_calls: 0 });
    expect(r.evidence).toEqual(expect.arrayContaining(['memory', 'phone']));
    expect(p.calls).toEqual([]);
    expect(queries.some((q) => q.query.where?.[MEMORY_KEY_FIELDS.phone] === '6085550163')).toBe(true);
    // Similarity queries carry no filter: one true for nearly every record is what makes Chroma slow.
    expect(queries.filter((q) => q.query.where === undefined).length).toBeGreaterThan(0);
  });

  it('skips neighbours of receipts without a place, however close they are', async () => {
    const unplaced = (score: number) => ({
      ...neighbour(score, { ...placeMeta(REAL), receipt_phone: '6085550163' }),
      metadata: {
        image_id: 'img-x',
        has_place: false,
        place_id: 'stale',
        merchant_name: REAL.name,
        receipt_phone: '6085550163',
      },
    });
    const { index } = memory([unplaced(0.99), unplaced(0.98)]);
    const p = places([], [REAL]);
    const r = await resolveMerchant(deps(index, p.resolver), LINES);
    expect(r.source).toBe('places');
  });

  it('ignores neighbours from the same image', async () => {
    const { index } = memory([
      {
        ...neighbour(0.99, { ...placeMeta(REAL), receipt_phone: '6085550163' }),
        metadata: { image_id: 'me', has_place: true, ...placeMeta(REAL), receipt_phone: '6085550163' },
      },
    ]);
    const p = places([], [REAL]);
    const r = await resolveMerchant(deps(index, p.resolver), LINES, { excludeImageId: 'me' });
    expect(r.source).toBe('places');
  });

  it('a remembered place whose phone and address contradict the receipt is not taken', async () => {
    const other: PlaceCandidate = {
      place_id: 'sunrise-215',
      name: 'SUNRISE PHARMACY 215',
      formatted_address: '12 CAPITOL SQUARE, MADISON, WI 53703',
      phone: '(608) 555-0191',
    };
    const { index } = memory([
      neighbour(0.99, { ...placeMeta(other), receipt_phone: '6085550191' }),
      neighbour(0.98, { ...placeMeta(other), receipt_phone: '6085550191' }),
    ]);
    const p = places([], [REAL]);
    const r = await resolveMerchant(deps(index, p.resolver), LINES);
    expect(r).toMatchObject({ source: 'places', place_id: REAL.place_id });
  });

  it('finds a repeat by its printed tax id although name and phone were misread', async () => {
    const shop: PlaceCandidate = {
      place_id: 'gardenia',
      name: 'GARDENIA BAKERIES (KL) SDN BHD',
      formatted_address: 'LOT 3, JALAN PELABUR 23/1, 40300 SHAH ALAM, SELANGOR.',
      phone: '0355423228',
    };
    const misread = [
      'GARDENLA BAKER1ES (KL) SDN BHD',
      'Lot 3, Jalan Pelabur 23-1,',
      '40300 Shah Alam, Selangor.',
      'Tel: 03 35423228',
      'GST ID: 0060381 399040',
      'TOTAL 29.59',
    ];
    const { index } = memory([neighbour(0.2, { ...placeMeta(shop), receipt_tax_id: '381399040' })]);
    const p = places([], []);
    const r = await resolveMerchant(deps(index, p.resolver), misread);
    expect(r).toMatchObject({ source: 'vector', place_id: 'gardenia', places_calls: 0 });
    expect(r.evidence).toContain('tax_id');
  });

  it("an OCR-garbled phone equal to another merchant's number does not answer for that merchant", async () => {
    // Receipt of LAKESIDE DELI; its phone misread as 555-0163, which is SUNRISE PHARMACY's.
    const deli = [
      'LAKESIDE DELI',
      '77 SHORE DRIVE',
      'MADISON, WI 53704',
      'TEL (608) 555-0163',
      'SANDWICH 7.50',
      'TOTAL 7.50',
    ];
    const { index } = memory([neighbour(0.4, { ...placeMeta(REAL), receipt_phone: '6085550163' })]);
    const p = places([], []);
    const r = await resolveMerchant(deps(index, p.resolver), deli);
    expect(r.place_id).toBeNull();
    expect(r.trace.memory.find((m) => m.place_id === REAL.place_id)).toMatchObject({
      accepted: false,
      via: expect.arrayContaining(['phone']),
    });
  });
});

describe('resolveMerchant: a chain with two branches (head-office address, branch line)', () => {
  const head = 'LOT P.T. 2811, JALAN ANGSA, TAMAN BERKELEY 41150 KLANG, SELANGOR';
  const pandan: PlaceCandidate = {
    place_id: 'speedmart-1249',
    name: '99 SPEED MART S/B',
    formatted_address: `${head} 1249-TMN PANDAN CAHAYA`,
    phone: null,
  };
  const jinjang: PlaceCandidate = {
    place_id: 'speedmart-1214',
    name: '99 SPEED MART S/B',
    formatted_address: `${head} 1214-JINJANG UTARA`,
    phone: null,
  };
  const receiptOf = (branch: string) => [
    '99 SPEED MART S/B (519537-X)',
    'LOT P.T. 2811, JALAN ANGSA,',
    'TAMAN BERKELEY',
    '41150 KLANG, SELANGOR',
    branch,
    'GST ID. NO : 000181747712',
    'TOTAL 15.90',
  ];
  const remembered = [
    neighbour(0.99, { ...placeMeta(jinjang), receipt_tax_id: '181747712', receipt_reg_no: '519537' }),
    neighbour(0.98, { ...placeMeta(jinjang), receipt_tax_id: '181747712', receipt_reg_no: '519537' }),
  ];

  it('memory answers for the branch it has seen', async () => {
    const { index } = memory(remembered);
    const p = places([], []);
    const r = await resolveMerchant(deps(index, p.resolver), receiptOf('1214-JINJANG UTARA'));
    expect(r).toMatchObject({ source: 'vector', place_id: jinjang.place_id, places_calls: 0 });
  });

  it('memory never answers for the other branch, though name, tax id and address are the same; Places picks the branch by its line', async () => {
    const { index } = memory(remembered);
    const p = places([], [jinjang, pandan]);
    const r = await resolveMerchant(deps(index, p.resolver), receiptOf('1249-TMN PANDAN CAHAYA'));
    expect(r.trace.memory.find((m) => m.place_id === jinjang.place_id)).toMatchObject({ accepted: false });
    expect(r).toMatchObject({ source: 'places', place_id: pandan.place_id, places_calls: 1 });
  });

  it('with the branch line unreadable, neither branch is taken', async () => {
    const { index } = memory([]);
    const p = places([], [jinjang, pandan]);
    const r = await resolveMerchant(deps(index, p.resolver), receiptOf('~~ ~ ~'));
    expect(r.place_id).toBeNull();
  });
});

describe('resolveMerchant: Places', () => {
  it('one text search with name, address and phone together, validated', async () => {
    const { index } = memory([]);
    const p = places([], [REAL]);
    const r = await resolveMerchant(deps(index, p.resolver), LINES);
    expect(r).toMatchObject({ source: 'places', place_id: REAL.place_id, places_calls: 1, second_call: false });
    expect(p.calls).toEqual(['text:SUNRISE PHARMACY 214 640 LAKEVIEW BLVD MADISON, WI 53703 6085550163']);
  });

  it('a second lookup, by phone, only when no candidate of the first passes validation', async () => {
    const { index } = memory([]);
    const elsewhere: PlaceCandidate = {
      place_id: 'far',
      name: 'SUNRISE PHARMACY 214',
      formatted_address: '1 OTHER RD, DENVER, CO 80216',
      phone: '(720) 555-0110',
    };
    const p = places([REAL], [elsewhere]);
    const r = await resolveMerchant(deps(index, p.resolver), LINES);
    expect(r).toMatchObject({ source: 'places', place_id: REAL.place_id, places_calls: 2, second_call: true });
    expect(p.calls[1]).toBe('phone:6085550163');
    expect(r.trace.places[0]?.candidates[0]).toMatchObject({ place_id: 'far', accepted: false });
  });

  // docs/lessons.md#lesson-21-places-accepted-the-wrong-merchant
  it('never accepts a name-only text match: source none', async () => {
    const { index } = memory([]);
    const lookalike: PlaceCandidate = {
      place_id: 'far',
      name: 'SUNRISE PHARMACY 214',
      formatted_address: '1 OTHER RD, DENVER, CO 80216',
      phone: '(720) 555-0110',
    };
    const p = places([], [lookalike]);
    const r = await resolveMerchant(deps(index, p.resolver), LINES);
    expect(r).toMatchObject({
      source: 'none',
      place_id: null,
      merchant_name: 'SUNRISE PHARMACY 214',
      confidence: 0,
      places_calls: 2,
    });
  });

  // issue 20, item 6: a receipt made up to 4 calls; the bound is now one text search, plus a
  // phone lookup only when no text candidate validates and a phone was printed.
  it(`at most ${MAX_PLACES_LOOKUPS} lookups, and no second text search without a phone`, async () => {
    expect(MAX_PLACES_LOOKUPS).toBe(2);
    const { index } = memory([]);
    const noPhone = LINES.filter((l) => !l.startsWith('TEL'));
    const p = places([], []);
    const r = await resolveMerchant(deps(index, p.resolver), [
      'SUNRISE PHARMACY 214',
      'MOONRISE DRUGS',
      ...noPhone.slice(1),
    ]);
    expect(r).toMatchObject({ source: 'none', places_calls: 1, second_call: false });
    expect(p.calls).toHaveLength(1);
    const withPhone = places([], []);
    await resolveMerchant(deps(index, withPhone.resolver), LINES, { maxPlacesLookups: 9 });
    expect(withPhone.calls.map((c) => c.split(':')[0])).toEqual(['text', 'phone']);
  });
});

describe('resolveMerchant: Places failing', () => {
  it('a Places outage is not thrown: source none with places_error, the lookups stop', async () => {
    const { index } = memory([]);
    const calls: string[] = [];
    const down: PlacesResolver = {
      async findByPhone() {
        calls.push('phone');
        throw new TransientDependencyError('places', 'HTTP 503 UNAVAILABLE');
      },
      async searchText() {
        calls.push('text');
        throw new TransientDependencyError('places', 'HTTP 503 UNAVAILABLE');
      },
      async getPlace() {
        calls.push('id');
        throw new TransientDependencyError('places', 'HTTP 503 UNAVAILABLE');
      },
    };
    const r = await resolveMerchant(deps(index, down), LINES);
    expect(r).toMatchObject({ source: 'none', place_id: null, merchant_name: 'SUNRISE PHARMACY 214', places_calls: 1 });
    expect(r.places_error).toMatch(/^places: HTTP 503/);
    expect(r.reason).toMatch(/Places failed/);
    expect(calls).toEqual(['text']);
  });

  it('any other failure is still thrown (it is not an outage of Places)', async () => {
    const { index } = memory([]);
    const broken: PlacesResolver = {
      findByPhone: async () => [],
      searchText: async () => {
        throw new TransientDependencyError('openai', 'HTTP 500');
      },
      getPlace: async () => null,
    };
    await expect(resolveMerchant(deps(index, broken), LINES)).rejects.toThrow(/openai/);
  });

  it('hands back the signature-line vectors it embedded, by line index, for the receipt embedding to reuse', async () => {
    const { index } = memory([]);
    const sent: string[][] = [];
    const counting: Embedder = { ...embedder, embed: async (texts) => (sent.push([...texts]), embedder.embed(texts)) };
    const r = await resolveMerchant(
      { vectors: index, embedder: counting, places: places([], []).resolver, clock },
      LINES,
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]!.length).toBeLessThanOrEqual(8);
    expect([...r.signature_vectors.keys()].sort()).toEqual([0, 1, 2, 3]);
  });
});
