import { describe, expect, it } from 'vitest';
import {
  NAME_HIGH_THRESHOLD,
  assessCandidate,
  assessRemembered,
  branchConflict,
  extractMerchantSignals,
  pickCandidate,
  type PlaceCandidate,
} from '../src/index.js';

const LINES = [
  'SUNRISE PHARMACY 214',
  '640 LAKEVIEW BLVD',
  'MADISON, WI 53703',
  '(608) 555-0163',
  '02/02/2024',
  'VITAMIN C 9.99',
  'TOTAL 9.99',
];
const receipt = (lines: string[] = LINES) => ({ signals: extractMerchantSignals(lines), lines });

const REAL: PlaceCandidate = {
  place_id: 'sunrise-214',
  name: 'SUNRISE PHARMACY 214',
  formatted_address: '640 LAKEVIEW BLVD, MADISON, WI 53703',
  phone: '(608) 555-0163',
};
const OTHER_BRANCH: PlaceCandidate = {
  place_id: 'sunrise-215',
  name: 'SUNRISE PHARMACY 215',
  formatted_address: '12 CAPITOL SQUARE, MADISON, WI 53703',
  phone: '(608) 555-0191',
};

// docs/lessons.md#lesson-21-places-accepted-the-wrong-merchant
describe('candidate validation', () => {
  it('phone and address agreeing → accepted with high confidence', () => {
    const a = assessCandidate(REAL, receipt());
    expect(a.accepted).toBe(true);
    expect(a.confidence).toBeGreaterThanOrEqual(0.95);
    expect(a.evidence).toEqual(expect.arrayContaining(['phone', 'address', 'name']));
  });

  it('prefers the branch whose address matches among a chain', () => {
    expect(pickCandidate([OTHER_BRANCH, REAL], receipt())?.candidate.place_id).toBe('sunrise-214');
    expect(assessCandidate(OTHER_BRANCH, receipt()).accepted).toBe(false);
  });

  it('never accepts a name-only match, even a perfect one', () => {
    const nameOnly: PlaceCandidate = {
      place_id: 'elsewhere',
      name: 'SUNRISE PHARMACY 214',
      formatted_address: '1 FAR AWAY RD, DENVER, CO 80216',
      phone: null,
    };
    const a = assessCandidate(nameOnly, receipt());
    expect(a.nameScore).toBeGreaterThanOrEqual(NAME_HIGH_THRESHOLD);
    expect(a.accepted).toBe(false);
  });

  it('rejects a ~0.79 name-only match with no address or phone on the receipt', () => {
    const lines = ['SUNRISE PHARMACIES', 'THANK YOU'];
    const candidate: PlaceCandidate = {
      place_id: 'x',
      name: 'SUNRISE PHARMACY',
      formatted_address: '9 ELM ST, MADISON, WI 53703',
      phone: '(608) 555-0100',
    };
    const a = assessCandidate(candidate, receipt(lines));
    expect(a.nameScore).toBeGreaterThan(0.5);
    expect(a.nameScore).toBeLessThan(NAME_HIGH_THRESHOLD);
    expect(a.accepted).toBe(false);
  });

  it('a very similar name plus a partial address is accepted', () => {
    const lines = ['COPPER KETTLE CAFE', '88 MAIN AVE BLDR CX QQ ZZ', 'LATTE 4.75'];
    const candidate: PlaceCandidate = {
      place_id: 'ck',
      name: 'COPPER KETTLE CAFE',
      formatted_address: '88 MAIN STREET, BOULDER, CO 80304',
      phone: null,
    };
    const a = assessCandidate(candidate, receipt(lines));
    expect(a.addressScore).toBeGreaterThan(0.3);
    expect(a.addressScore).toBeLessThan(0.5);
    expect(a.accepted).toBe(true);
    expect(a.confidence).toBe(0.8);
  });

  it('rejects a neighbour on the same street: the street number disagrees', () => {
    const lines = ['HARBOR LANE GROCERY', '1452 HARBOR LANE', 'OAKLAND, CA 94607'];
    const decoy: PlaceCandidate = {
      place_id: 'market',
      name: 'HARBOR LANE MARKET',
      formatted_address: '1500 HARBOR LANE, OAKLAND, CA 94607',
      phone: '(510) 555-0199',
    };
    const a = assessCandidate(decoy, receipt(lines));
    expect(a.addressConflict).toBe(true);
    expect(a.accepted).toBe(false);
  });

  it('a phone match whose name shares nothing with the receipt is not enough', () => {
    const reused: PlaceCandidate = {
      place_id: 'new-tenant',
      name: 'ZEN YOGA STUDIO',
      formatted_address: null,
      phone: '(608) 555-0163',
    };
    expect(assessCandidate(reused, receipt()).accepted).toBe(false);
  });

  it('a phone match with the name on the receipt is accepted (Malaysian formats)', () => {
    const lines = ['SYARIKAT PERNIAGAAN GIN KEE', 'TEL : 03-40210276'];
    const c: PlaceCandidate = {
      place_id: 'gk',
      name: 'Gin Kee Hardware',
      formatted_address: null,
      phone: '+60 3-4021 0276',
    };
    const a = assessCandidate(c, receipt(lines));
    expect(a.accepted).toBe(true);
    expect(a.evidence).toEqual(['phone', 'name']);
  });
});

describe('candidate validation: OCR misreads and chains', () => {
  const jinSeng: PlaceCandidate = {
    place_id: 'jin-seng',
    name: 'PASAR MINI JIN SENG',
    formatted_address: '379, JALAN PERMAS SATU, BANDAR BARU PERMAS JAYA 81750 PLENTONG, JOHOR.',
    phone: '073874904',
  };
  const misread = [
    'PRGAR MINT JIN SCRE',
    '379, JALAN PERMAS SATU,',
    'BANDAR BARU SERMAS JAYA',
    '41750 PLENTONG, JOHOR.',
    'TEL + (7-3874304',
  ];

  it('one misread postcode digit with a similar name is the place', () => {
    const a = assessCandidate(jinSeng, receipt(misread));
    expect(a).toMatchObject({ accepted: true, confidence: 0.82 });
  });

  it('the same misread postcode with the street number of another shop is not', () => {
    const neighbourShop = {
      ...jinSeng,
      place_id: 'other',
      formatted_address: '12, JALAN PERMAS SATU, BANDAR BARU PERMAS JAYA 81750 PLENTONG, JOHOR.',
    };
    expect(assessCandidate(neighbourShop, receipt(misread)).accepted).toBe(false);
  });

  it('a shop on the same street sharing no name word is not taken, however well the address agrees', () => {
    const otherName = { ...jinSeng, place_id: 'other', name: 'KEDAI RUNCIT AH KOW' };
    expect(assessCandidate(otherName, receipt(misread)).accepted).toBe(false);
  });

  const head = 'LOT P.T. 2811, JALAN ANGSA, TAMAN BERKELEY 41150 KLANG, SELANGOR';
  const branch = (n: string, name: string): PlaceCandidate => ({
    place_id: `sm-${n}`,
    name: '99 SPEED MART S/B',
    formatted_address: `${head} ${n}-${name}`,
    phone: null,
  });
  const speedMart = (line: string) =>
    receipt([
      '99 SPEED MART S/B (519537-X)',
      'LOT P.T. 2811, JALAN ANGSA,',
      'TAMAN BERKELEY',
      '41150 KLANG, SELANGOR',
      line,
      'GST ID. NO : 000181747712',
    ]);

  it('a chain branch is told apart by its outlet line, never by the shared name and head-office address', () => {
    const r = speedMart('1249-TMN PANDAN CAHAYA');
    expect(branchConflict(r, branch('1214', 'JINJANG UTARA').formatted_address)).toBe(true);
    expect(branchConflict(r, branch('1249', 'TMN PANDAN CAHAYA').formatted_address)).toBe(false);
    expect(
      pickCandidate([branch('1214', 'JINJANG UTARA'), branch('1249', 'TMN PANDAN CAHAYA')], r)?.candidate.place_id,
    ).toBe('sm-1249');
  });

  it('the head office itself (no outlet line) is not a branch that printed one', () => {
    const hq: PlaceCandidate = { place_id: 'sm-hq', name: '99 SPEED MART S/B', formatted_address: head, phone: null };
    expect(assessCandidate(hq, speedMart('1249-TMN PANDAN CAHAYA')).accepted).toBe(false);
  });

  it('memory: shared tax id and registration decide the company, the outlet line the branch', () => {
    const r = speedMart('1214-JINJANG UTARA');
    expect(assessRemembered(branch('1214', 'JINJANG UTARA'), r, ['tax_id', 'registration'])).toMatchObject({
      accepted: true,
    });
    expect(assessRemembered(branch('1558', 'TMN PUSAT KEPONG'), r, ['tax_id', 'registration'])).toMatchObject({
      accepted: false,
      reason: expect.stringMatching(/branch/),
    });
  });

  it("memory: a key in common is not enough when the address numbers are another shop's", () => {
    const elsewhere: PlaceCandidate = {
      place_id: 'sm-kapar',
      name: '99 SPEED MART S/B',
      formatted_address: 'LOT P.T. 33198, BATU 4 JALAN KAPAR, MUKIM KAPAR 42100 KLANG, SELANGOR',
      phone: null,
    };
    expect(
      assessRemembered(elsewhere, receipt(['99 SPEED MART S/B', 'NO 12 JALAN MAJU', '47100 PUCHONG']), ['tax_id'])
        .accepted,
    ).toBe(false);
    expect(assessRemembered(branch('1214', 'JINJANG UTARA'), speedMart('1214-JINJANG UTARA'), []).accepted).toBe(false);
  });

  it('memory: with tax id and registration both in common, two of four address numbers suffice (a lost address line)', () => {
    const sanyu: PlaceCandidate = {
      place_id: 'sanyu',
      name: 'SANYU STATIONERY SHOP',
      formatted_address: 'NO. 31G&33G, JALAN SETIA INDAH X ,U13/X 40170 SETIA ALAM',
      phone: null,
    };
    const r = receipt([
      'SANYU STATIONERY SHOP',
      'NO. 31G&33G, JALAN SETIA INDAH X =o',
      'GST ID: 001531760640',
      'SUPPLY SDN BHD (1135772-K)',
    ]);
    expect(assessRemembered(sanyu, r, ['tax_id', 'registration']).accepted).toBe(true);
    expect(assessRemembered(sanyu, r, ['tax_id']).accepted).toBe(false);
  });
});

// The receipt's tokens are remembered by text across candidates (issue 18, P8): answers must be
// the same as with nothing remembered, in any order, past the caches' bounds, and not corruptible.
describe('candidate validation: remembered receipt tokens', () => {
  const OTHER_LINES = ['MOONLIGHT BAKERY', '9 HARBOUR ROAD', 'PORTLAND, OR 97201', 'TOTAL 4.50'];

  it('gives the same assessments in any order and after the caches were filled and cleared', () => {
    const first = [REAL, OTHER_BRANCH].map((c) => assessCandidate(c, receipt()));
    const other = assessCandidate(REAL, receipt(OTHER_LINES));
    // Hundreds of other receipts' texts and tokens: more than either cache keeps.
    for (let i = 0; i < 300; i++) {
      const lines = [`STORE${i} NUMBER${i * 7}`, `${i} MAIN STREET${i}`, `CITY${i}, WI 5${String(i).padStart(4, '0')}`];
      assessRemembered(REAL, receipt(lines), ['phone']);
    }
    expect(assessCandidate(REAL, receipt(OTHER_LINES))).toEqual(other);
    expect([OTHER_BRANCH, REAL].map((c) => assessCandidate(c, receipt())).reverse()).toEqual(first);
    expect(first[0]!.accepted).toBe(true);
    expect(other.accepted).toBe(false);
  });

  it('does not let a caller change what is remembered: lines changed in place are read afresh', () => {
    const lines = [...LINES];
    expect(assessCandidate(REAL, receipt(lines)).accepted).toBe(true);
    lines.splice(0, 4, 'MOONLIGHT BAKERY', '9 HARBOUR ROAD', 'PORTLAND, OR 97201', '(503) 555-0100');
    const changed = assessCandidate(REAL, receipt(lines));
    expect(changed.accepted).toBe(false);
    expect(changed).toEqual(assessCandidate(REAL, receipt([...lines])));
  });
});
