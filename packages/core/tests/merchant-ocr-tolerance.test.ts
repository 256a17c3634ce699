import { describe, expect, it } from 'vitest';
import {
  addressCoverage,
  addressNumbersAgree,
  assessCandidate,
  extractMerchantSignals,
  foldOcr,
  nameLineMatches,
  nameTokens,
  numbersConflict,
  phonesInLine,
  pickCandidate,
  tokensAgree,
  type PlaceCandidate,
} from '../src/index.js';

const receipt = (lines: string[]) => ({ signals: extractMerchantSignals(lines), lines });

describe('OCR-tolerant tokens', () => {
  it('folds characters OCR confuses (0/O, 1/I/L, 5/S, 8/B)', () => {
    expect(foldOcr('B0LT5')).toBe(foldOcr('BOLTS'));
    expect(tokensAgree('KEMB4NGAN', 'KEMBANGAN')).toBe(true);
    expect(tokensAgree('CAFE', 'SAFE')).toBe(false);
  });

  it('allows two slips in long words, one in medium words, none in short ones', () => {
    expect(tokensAgree('PELANGISTA', 'PELANGIETA')).toBe(true);
    expect(tokensAgree('KALAMBOTA', 'MALAMBOIA')).toBe(true);
    expect(tokensAgree('HARBOR', 'HARBDR')).toBe(true);
    expect(tokensAgree('LANE', 'LAKE')).toBe(false);
    expect(tokensAgree('MARKET', 'BASKET')).toBe(false);
  });

  it('joins dotted initials into one distinctive name token', () => {
    expect(nameTokens('MR. Q.X.Z. (M) SDN BHD')).toEqual(['QXZ']);
    expect(nameTokens('P. T. BARNUM TRADING')).toEqual(['BARNUM']);
  });
});

describe('phone numbers on noisy lines', () => {
  it('ranks the TEL number before the FAX number printed on the same line', () => {
    const s = extractMerchantSignals(['ZEBRA BOOKS SDN BHD', 'TEL: 03-4444 1111 FAX: 03-4444 2222']);
    expect(s.phones).toEqual(['0344441111', '0344442222']);
  });

  it.each(['(009876543-K)', '7 1.25 000 8.75 +', '12345 67890 12345'])('no phone in %s', (line) => {
    expect(phonesInLine(line)).toEqual([]);
  });

  it('still reads unlabelled Malaysian numbers', () => {
    expect(phonesInLine('03-5525 2616')).toEqual(['0355252616']);
  });
});

describe('address agreement beyond recognised address lines', () => {
  const stooges: PlaceCandidate = {
    place_id: 'pm',
    name: 'PURPLE MONKEY',
    formatted_address: '27, SS99/3B, KAMPUNG PELANGI',
    phone: null,
  };

  it('covers a candidate address printed on lines without street words', () => {
    const lines = ['PURPLE MONKEY', 'BISTRO', '27, SS99/38,', 'KAMPUNG PELANGI', 'TAX INVOICE', 'TOTAL 12.00'];
    expect(addressCoverage(lines, stooges.formatted_address)).toBeGreaterThanOrEqual(0.5);
    const a = assessCandidate(stooges, receipt(lines));
    expect(a.accepted).toBe(true);
    expect(a.evidence).toEqual(expect.arrayContaining(['address', 'name']));
  });

  it('coverage alone never accepts a name-only match', () => {
    const lines = ['PURPLE MONKEY', 'TAX INVOICE', 'TOTAL 12.00'];
    expect(assessCandidate(stooges, receipt(lines)).accepted).toBe(false);
  });

  it('a postcode printed before a town rules out another branch even when no address line was recognised', () => {
    const lines = ['PURPLE MONKEY', '27 SS99/3B KAMPUNG PELANGI', '47999 PELANGI'];
    const branch: PlaceCandidate = {
      ...stooges,
      place_id: 'pm2',
      formatted_address: '27, SS99/3B, KAMPUNG PELANGI, 47111 PELANGI',
    };
    expect(assessCandidate(branch, receipt(lines)).addressConflict).toBe(true);
    expect(assessCandidate(branch, receipt(lines)).accepted).toBe(false);
  });

  it('a near-miss number (one misread digit) is a conflict, unless the phone vouches for the place', () => {
    expect(numbersConflict(new Set(['45400']), new Set(['45600']))).toBe('near');
    expect(numbersConflict(new Set(['45400']), new Set(['12600']))).toBe('hard');
    const place: PlaceCandidate = {
      place_id: 'zb',
      name: 'ZEBRA BOOKS',
      formatted_address: 'NO. 8, JALAN KENARI, 45600 BUKIT TINGGI, SELANGOR',
      phone: '03-4444 1111',
    };
    const withPhone = ['#### ~~', 'NO. 8, JALAN KENARI, 45400 BUKIT TINGGI', 'SELANGOR', 'TEL: 03-4444 1111'];
    const a = assessCandidate(place, receipt(withPhone));
    expect(a.accepted).toBe(true);
    expect(a.confidence).toBe(0.9);
    const noPhone = ['#### ~~', 'NO. 8, JALAN KENARI, 45400 BUKIT TINGGI', 'SELANGOR'];
    expect(assessCandidate(place, receipt(noPhone)).accepted).toBe(false);
  });

  it('among near-duplicates, the one naming the printed branch line wins', () => {
    const lines = [
      '77 QUICK MART S/B (123456-X)',
      'LOT 9, JALAN MERAK,',
      'TAMAN CEMPAKA',
      '41999 KLANG, SELANGOR',
      '0421-TMN BUNGA RAYA',
      'GST ID NO : 000111222333',
    ];
    const hq: PlaceCandidate = {
      place_id: 'hq',
      name: '77 QUICK MART S/B',
      formatted_address: 'LOT 9, JALAN MERAK, TAMAN CEMPAKA 41999 KLANG, SELANGOR',
      phone: null,
    };
    const branch: PlaceCandidate = {
      ...hq,
      place_id: 'b0421',
      formatted_address: `${hq.formatted_address} 0421-TMN BUNGA RAYA`,
    };
    const other: PlaceCandidate = {
      ...hq,
      place_id: 'b0777',
      formatted_address: `${hq.formatted_address} 0777-TMN LAIN`,
    };
    expect(pickCandidate([hq, other, branch], receipt(lines))?.candidate.place_id).toBe('b0421');
  });

  it('prefers the candidate whose name is printed verbatim', () => {
    const lines = ['ACME (M) SDN BHD', 'LOT 5, JALAN KPQ 2,', '43999 SERI MAJU, SELANGOR'];
    const a: PlaceCandidate = {
      place_id: 'plain',
      name: 'ACME SDN BHD',
      formatted_address: 'LOT 5, JALAN KPQ 2, 43999 SERI MAJU, SELANGOR',
      phone: null,
    };
    const b: PlaceCandidate = { ...a, place_id: 'm', name: 'ACME (M) SDN BHD' };
    expect(pickCandidate([a, b], receipt(lines))?.candidate.place_id).toBe('m');
  });
});

describe('memory checks for the exact place', () => {
  it('nameLineMatches needs the whole name, ignoring a bracketed registration number', () => {
    expect(nameLineMatches('77 QUICK MART S/B', ['77 QUICK MART S/B (123456-X)'])).toBe(true);
    expect(nameLineMatches('ACME SDN BHD', ['ACME (M) SDN BHD'])).toBe(false);
    expect(nameLineMatches('ACME SDN BHD', ['ACME SDN 8HD'])).toBe(true);
  });

  it('addressNumbersAgree rejects a branch whose number is not printed', () => {
    const lines = ['77 QUICK MART S/B', 'LOT 9, JALAN MERAK,', '41999 KLANG, SELANGOR', '0421-TMN BUNGA RAYA'];
    expect(addressNumbersAgree(receipt(lines), 'LOT 9, JALAN MERAK, 41999 KLANG, SELANGOR 0421-TMN BUNGA RAYA')).toBe(
      true,
    );
    expect(addressNumbersAgree(receipt(lines), 'LOT 9, JALAN MERAK, 41999 KLANG, SELANGOR 0777-TMN LAIN')).toBe(false);
    expect(addressNumbersAgree(receipt(lines), 'LOT 9, JALAN MERAK, 41999 KLANG, SELANGOR')).toBe(false);
  });
});
