import { describe, expect, it } from 'vitest';
import { NAME_HIGH_THRESHOLD, assessCandidate, extractMerchantSignals, pickCandidate, type PlaceCandidate } from '../src/index.js';

const LINES = ['SUNRISE PHARMACY 214', '640 LAKEVIEW BLVD', 'MADISON, WI 53703', '(608) 555-0163', '02/02/2024', 'VITAMIN C 9.99', 'TOTAL 9.99'];
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

describe('candidate validation (lesson 21)', () => {
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
    const nameOnly: PlaceCandidate = { place_id: 'elsewhere', name: 'SUNRISE PHARMACY 214', formatted_address: '1 FAR AWAY RD, DENVER, CO 80216', phone: null };
    const a = assessCandidate(nameOnly, receipt());
    expect(a.nameScore).toBeGreaterThanOrEqual(NAME_HIGH_THRESHOLD);
    expect(a.accepted).toBe(false);
  });

  it('rejects a ~0.79 name-only match with no address or phone on the receipt', () => {
    const lines = ['SUNRISE PHARMACIES', 'THANK YOU'];
    const candidate: PlaceCandidate = { place_id: 'x', name: 'SUNRISE PHARMACY', formatted_address: '9 ELM ST, MADISON, WI 53703', phone: '(608) 555-0100' };
    const a = assessCandidate(candidate, receipt(lines));
    expect(a.nameScore).toBeGreaterThan(0.5);
    expect(a.nameScore).toBeLessThan(NAME_HIGH_THRESHOLD);
    expect(a.accepted).toBe(false);
  });

  it('a very similar name plus a partial address is accepted', () => {
    const lines = ['COPPER KETTLE CAFE', '88 MAIN AVE BLDR CX QQ ZZ', 'LATTE 4.75'];
    const candidate: PlaceCandidate = { place_id: 'ck', name: 'COPPER KETTLE CAFE', formatted_address: '88 MAIN STREET, BOULDER, CO 80304', phone: null };
    const a = assessCandidate(candidate, receipt(lines));
    expect(a.addressScore).toBeGreaterThan(0.3);
    expect(a.addressScore).toBeLessThan(0.5);
    expect(a.accepted).toBe(true);
    expect(a.confidence).toBe(0.8);
  });

  it('rejects a neighbour on the same street: the street number disagrees', () => {
    const lines = ['HARBOR LANE GROCERY', '1452 HARBOR LANE', 'OAKLAND, CA 94607'];
    const decoy: PlaceCandidate = { place_id: 'market', name: 'HARBOR LANE MARKET', formatted_address: '1500 HARBOR LANE, OAKLAND, CA 94607', phone: '(510) 555-0199' };
    const a = assessCandidate(decoy, receipt(lines));
    expect(a.addressConflict).toBe(true);
    expect(a.accepted).toBe(false);
  });

  it('a phone match whose name shares nothing with the receipt is not enough', () => {
    const reused: PlaceCandidate = { place_id: 'new-tenant', name: 'ZEN YOGA STUDIO', formatted_address: null, phone: '(608) 555-0163' };
    expect(assessCandidate(reused, receipt()).accepted).toBe(false);
  });

  it('a phone match with the name on the receipt is accepted (Malaysian formats)', () => {
    const lines = ['SYARIKAT PERNIAGAAN GIN KEE', 'TEL : 03-40210276'];
    const c: PlaceCandidate = { place_id: 'gk', name: 'Gin Kee Hardware', formatted_address: null, phone: '+60 3-4021 0276' };
    const a = assessCandidate(c, receipt(lines));
    expect(a.accepted).toBe(true);
    expect(a.evidence).toEqual(['phone', 'name']);
  });
});
