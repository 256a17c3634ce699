import { describe, expect, it } from 'vitest';
import {
  buildPlacesQuery,
  extractMerchantSignals,
  foldDigits,
  registrationNosInLine,
  taxIdsInLine,
} from '../src/index.js';

describe('printed identifiers: tax ids', () => {
  it('reads a GST id after its label, keyed on the last nine digits', () => {
    expect(taxIdsInLine('GST ID : 001661886464')).toEqual(['661886464']);
    expect(taxIdsInLine('(GST ID No :000306020352)')).toEqual(['306020352']);
  });

  it('reads the label and the digits however OCR spelt them', () => {
    // G5T / BST for GST; O, D, I, S misread inside the number.
    expect(taxIdsInLine('G5T Req No : 0O0181747712')).toEqual(['181747712']);
    expect(taxIdsInLine('(BST NO. 000150811616)')).toEqual(['150811616']);
    // A doubled leading zero (OCR debris) does not change the key.
    expect(taxIdsInLine('GST HD 0060381 399040')).toEqual(taxIdsInLine('GST ID: 000381399040'));
  });

  it('is not fooled by words or short numbers after the label', () => {
    expect(taxIdsInLine('GST SUMMARY AMOUNT TAX')).toEqual([]);
    expect(taxIdsInLine('SR GST 6% 166.00 9.90')).toEqual([]);
    expect(taxIdsInLine('TOTAL 12.50')).toEqual([]);
  });

  it('folds only characters that stand for digits', () => {
    expect(foldDigits('0O1-I5S B')).toBe('0011558');
  });
});

describe('printed identifiers: company registration numbers', () => {
  it('reads the forms SROIE receipts print', () => {
    expect(registrationNosInLine('99 SPEED MART S/B (519537-X)')).toEqual(['519537']);
    expect(registrationNosInLine('CO-REG: 360671-D')).toEqual(['360671']);
    expect(registrationNosInLine('Co. No. 0195380-D')).toEqual(['195380']);
    expect(registrationNosInLine('(JM0517726)')).toEqual(['517726']);
    expect(registrationNosInLine('GARDENIA BAKERIES (KL) SDN BHD (119386 X)')).toEqual(['119386']);
  });

  it('leaves phones, dates and amounts alone', () => {
    expect(registrationNosInLine('TEL: 03-7731 8169')).toEqual([]);
    expect(registrationNosInLine('DATE 25/12/2018 12:31')).toEqual([]);
    expect(registrationNosInLine('TOTAL (RM) 80.90')).toEqual([]);
  });
});

describe('merchant signals: branch line and identifiers', () => {
  const speedMart = [
    '99 SPEED MART S/B (519537-X)',
    'LOT P.T. 2811, JALAN ANGSA,',
    'TAMAN BERKELEY',
    '41150 KLANG, SELANGOR',
    '1249-TMN PANDAN CAHAYA',
    'GST ID. NO : 000181747712',
    'TOTAL 15.90',
  ];

  it('reads the outlet line of a chain shop under its head-office address', () => {
    const s = extractMerchantSignals(speedMart);
    expect(s).toMatchObject({
      branchLine: '1249-TMN PANDAN CAHAYA',
      branchNumber: '1249',
      taxIds: ['181747712'],
      registrationNos: ['519537'],
    });
  });

  it('a postcode line is not an outlet line, even misread', () => {
    const s = extractMerchantSignals([
      'YONGFATT ENTERPRISE',
      'NO 122.124 JALAN DEDAP 13',
      '£1100 JOHOR BAHRU',
      'TEL 07-3523888',
    ]);
    expect(s.branchNumber).toBeNull();
  });

  it('a GST line with a misread label is not part of the address', () => {
    const s = extractMerchantSignals([
      '99 SPEED MART 5/B {519537-X)',
      'LOT F,7. 2811, JALAN ANGSR,',
      '41150 KLANG, SELANGOR',
      '1237-THN IHDRH PERDANA',
      'G57 ID. NO 3 DOGIBLT47712',
    ]);
    expect(s.addressLines).not.toContain('G57 ID. NO 3 DOGIBLT47712');
    expect(s.branchNumber).toBe('1237');
  });
});

describe('the Places query for a new merchant', () => {
  it('joins name, address lines with the branch line, and phone, the way a person types into Maps', () => {
    const s = extractMerchantSignals([
      '99 SPEED MART S/B',
      'LOT P.T. 2811, JALAN ANGSA,',
      '41150 KLANG, SELANGOR',
      '1214-JINJANG UTARA',
      'TEL: 03-3391 1234',
    ]);
    expect(buildPlacesQuery(s)).toBe(
      '99 SPEED MART S/B LOT P.T. 2811, JALAN ANGSA, 41150 KLANG, SELANGOR 1214-JINJANG UTARA 0333911234',
    );
  });

  it('takes a name printed over two lines whole', () => {
    const s = extractMerchantSignals([
      'AIK HUAT HARDWARE',
      'ENTERPRISE (SETIA ALAM) SDN BHD',
      'NO. 17-G, JALAN SETIA INDAH',
      '40170 SHAH ALAM',
    ]);
    expect(buildPlacesQuery(s)).toContain('AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD');
  });

  it('uses the lines under the name when no address line was recognised', () => {
    const s = extractMerchantSignals([
      'THREE STOOGES',
      '109, SS21/1A,',
      'DAMANSARA UTAMA',
      'GST ID : 001661886464',
      'TOTAL 174.90',
    ]);
    expect(buildPlacesQuery(s)).toContain('109, SS21/1A,');
    expect(buildPlacesQuery(s)).not.toContain('001661886464');
  });
});

describe('merchant signals: names', () => {
  it('a shop called CASH & CARRY, with SDN misread around it, is a name, not a total line', () => {
    const s = extractMerchantSignals([
      'rep —— TIEN',
      'y/ oni Cash & Carey Sdn, Bad,',
      'FE17920 Sek U9, Shah Alan',
      'CASH 50.00',
    ]);
    expect(s.nameCandidates[0]).toBe('y/ oni Cash & Carey Sdn, Bad,');
  });
});
