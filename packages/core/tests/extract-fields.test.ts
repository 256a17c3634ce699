import { describe, expect, it } from 'vitest';
import { findDate, findTotal } from '../src/index.js';
import { extractReceiptFieldRecord, fieldValues, isoDate, ReceiptFieldsRecordSchema } from '../src/index.js';

describe('total extraction', () => {
  it('takes a total line that says it includes tax', () => {
    expect(
      findTotal([
        'PENCIL 3.20',
        'Total Sales (Inclusive GST) RM 13.40',
        'CASH RM 20.00',
        'CHANGE RM 6.60',
        'GST 6% 0.76',
      ]),
    ).toBe('13.40');
    expect(findTotal(['PENCIL 3.20', 'Total Incl. GST RM 7.10', 'CASH RM 10.00'])).toBe('7.10');
  });

  it('still skips the tax line itself', () => {
    expect(findTotal(['TOTAL 8.48', 'TOTAL GST 0.48'])).toBe('8.48');
  });

  it('without a total line, ignores cash handed over and change', () => {
    expect(findTotal(['NOODLES 4.50', 'TEA 2.10', 'CASH 50.00', 'CHANGE 43.40'])).toBe('4.50');
  });
});

describe('date extraction', () => {
  it('skips a date whose day or month cannot be real (an OCR slip) for a later plausible one', () => {
    expect(findDate(['INV 96/08/2017', 'DATE: 06/08/2017 10:15'])).toBe('06/08/2017');
    expect(findDate(['12/31/2024'])).toBe('12/31/2024');
  });

  it('keeps the first date-shaped text when none is plausible', () => {
    expect(findDate(['25/29/2017'])).toBe('25/29/2017');
  });
});

describe('fields on receipts shaped like SROIE misses', () => {
  it('the total is never read from the tax summary at the foot', () => {
    const lines = [
      'Total Sales (Excluding GST) : 23.58',
      'Total GST : 1.42',
      'Total Sales (Inclusive of GST) : 25.00',
      'GST Summary',
      'Tax Code % Amt (RM) Tax (RM)',
      'Total : 23.58 1.42',
    ];
    expect(findTotal(lines)).toBe('25.00');
  });

  it('keeps a dollar sign printed against the total', () => {
    expect(findTotal(['Total Amount: $6.80', 'Nett Total: $6.90'])).toBe('$6.90');
    expect(findTotal(['TOTAL RM 12.50'])).toBe('12.50');
  });

  it('undoes a 0 read as 8 in month or year, only into a plausible date', () => {
    expect(findDate(['CASH H18-82 17/83/2817 21:35'])).toBe('17/03/2017');
    expect(findDate(['Date 25/12/2018'])).toBe('25/12/2018');
  });

  it('puts back a lost separator between day and month', () => {
    expect(findDate(['Doe No CS00031663 Date 2512/2018'])).toBe('25/12/2018');
  });
});

describe('the field record', () => {
  const lines = [
    { line_id: 1, text: 'YONGFATT ENTERPRISE' },
    { line_id: 2, text: 'Date 25/12/2018' },
    { line_id: 3, text: 'TOTAL 80.90' },
  ];
  const receipt = { image_id: '3f8f6c1e-3a4b-4c5d-8e9f-0a1b2c3d4e5f', receipt_id: 1 };

  it('names the lines each field was read from, and validates against the domain schema', () => {
    const record = extractReceiptFieldRecord(receipt, lines);
    expect(record.date).toEqual({ value: '25/12/2018', line_ids: [2], source: 'ocr' });
    expect(record.total).toEqual({ value: '80.90', line_ids: [3], source: 'ocr' });
    expect(record.date_iso).toBe('2018-12-25');
    expect(ReceiptFieldsRecordSchema.parse(record)).toEqual(record);
  });

  it('company and address come from the resolved place, with no line ids', () => {
    const record = extractReceiptFieldRecord(receipt, lines, {
      name: 'YONGFATT ENTERPRISE',
      address: 'NO 122.124. JALAN DEDAP 13 81100 JOHOR BAHRU',
    });
    expect(record.company).toEqual({ value: 'YONGFATT ENTERPRISE', line_ids: [], source: 'place' });
    expect(fieldValues(record).address).toBe('NO 122.124. JALAN DEDAP 13 81100 JOHOR BAHRU');
  });

  it('reads dates day first, month first only when the day cannot be a month', () => {
    expect(isoDate('05/01/2018')).toBe('2018-01-05');
    expect(isoDate('12/25/2018')).toBe('2018-12-25');
    expect(isoDate('02-03-18')).toBe('2018-03-02');
    expect(isoDate('OCT 3, 2016')).toBeNull();
    expect(isoDate('3 OCT 2016')).toBe('2016-10-03');
    expect(isoDate('31/02/2018')).toBeNull();
  });
});
