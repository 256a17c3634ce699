import { describe, expect, it } from 'vitest';
import { extractMerchantSignals, normalizePhone, phonesInLine, phonesMatch } from '../src/index.js';

const US = [
  'HARBOR LANE GROCERY',
  '1452 HARBOR LANE',
  'OAKLAND, CA 94607',
  '(510) 555-0142',
  '03/14/2024',
  'BANANAS 1.29',
  'WHOLE MILK 4.49',
  'TOTAL 5.78',
];

const MY = [
  'SYARIKAT PERNIAGAAN GIN KEE',
  '(81109-A)',
  'NO 290, JALAN AIR PANAS,',
  'SETAPAK,',
  '53200, KUALA LUMPUR.',
  'TEL : 03-40210276',
  'GST ID : 000750673920',
  'SIMPLIFIED TAX INVOICE',
  'DOC NO : CS00013212  DATE: 19/01/2018',
  'CASHIER : USER',
  '1 CLOTH TAPE 2.12',
  'TOTAL : 2.12',
];

describe('phone numbers', () => {
  it.each([
    ['(510) 555-0142', '5105550142'],
    ['+1 510 555 0142', '5105550142'],
    ['510.555.0142', '5105550142'],
    ['TEL : 03-40210276', '0340210276'],
    ['Tel: +60 3-4021 0276', '0340210276'],
    ['H/P 012-345 6789', '0123456789'],
    ['PHONE 7654321', '7654321'],
  ])('%s → %s', (line, digits) => {
    expect(phonesInLine(line)).toEqual([digits]);
  });

  it.each([
    '03/14/2024',
    'TOTAL 1,234.50',
    'GST ID : 000750673920',
    'DOC NO : CS00013212',
    'INVOICE 0012345678',
    '12:30:45',
  ])('no phone in %s', (line) => {
    expect(phonesInLine(line)).toEqual([]);
  });

  it('normalises country codes and compares any formatting', () => {
    expect(normalizePhone('+60 3-4021 0276')).toBe('0340210276');
    expect(normalizePhone('+1 (510) 555-0142')).toBe('5105550142');
    expect(normalizePhone('(608) 555-0163')).toBe('6085550163');
    expect(normalizePhone('+60 12-345 6789')).toBe('0123456789');
    expect(phonesMatch('03-40210276', '+603 4021 0276')).toBe(true);
    expect(phonesMatch('(510) 555-0142', '510-555-0199')).toBe(false);
    expect(phonesMatch('555', '555')).toBe(false);
  });
});

describe('extractMerchantSignals', () => {
  it('reads a US receipt header', () => {
    const s = extractMerchantSignals(US);
    expect(s.phones).toEqual(['5105550142']);
    expect(s.addressLines).toEqual(['1452 HARBOR LANE', 'OAKLAND, CA 94607']);
    expect(s.nameCandidates[0]).toBe('HARBOR LANE GROCERY');
    expect(s.postcodes).toEqual(['94607']);
  });

  it('reads a Malaysian receipt header: company hint, registration no. skipped, district joins the address', () => {
    const s = extractMerchantSignals(MY);
    expect(s.phones).toEqual(['0340210276']);
    expect(s.addressLines).toEqual(['NO 290, JALAN AIR PANAS,', 'SETAPAK,', '53200, KUALA LUMPUR.']);
    expect(s.nameCandidates[0]).toBe('SYARIKAT PERNIAGAAN GIN KEE');
    expect(s.nameCandidates).not.toContain('(81109-A)');
    expect(s.nameCandidates).not.toContain('SIMPLIFIED TAX INVOICE');
    expect(s.nameCandidates.some((n) => /CASHIER|TOTAL|DOC/.test(n))).toBe(false);
  });

  it('prefers the TEL number over a FAX number', () => {
    const s = extractMerchantSignals(['ACME SDN BHD', 'FAX: 03-1111 2222', 'TEL: 03-3333 4444']);
    expect(s.phones).toEqual(['0333334444', '0311112222']);
  });

  it('an empty receipt has no signals', () => {
    expect(extractMerchantSignals([])).toMatchObject({ phones: [], addressLines: [], nameCandidates: [] });
  });
});
