import { describe, expect, it } from 'vitest';
import { findDate, findTotal } from '../src/index.js';
import {
  extractReceiptFields,
  mergeReceiptFields,
  readDate,
  ReceiptFieldsSchema,
  sroieFields,
  toMinor,
  type ReceiptFields,
} from '../src/index.js';

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

const toLines = (texts: string[]) => texts.map((text, i) => ({ line_id: i + 1, text }));

describe('the stored fields', () => {
  const sroie = toLines([
    'YONGFATT ENTERPRISE',
    'Date 25/12/2018',
    'Amt (RM)',
    'NASI LEMAK',
    '2 x 3.50 7.00',
    'TEH TARIK 2.10',
    'SUB TOTAL 9.10',
    'GST 6% 0.55',
    'TOTAL RM 9.65',
    'CASH 10.00',
    'CHANGE 0.35',
  ]);

  it('names the lines each field was read from, in minor units of the printed currency', () => {
    const fields = extractReceiptFields(sroie);
    expect(fields.date).toEqual({ value: '2018-12-25', text: '25/12/2018', line_ids: [2], source: 'extracted' });
    expect(fields.total).toEqual({ minor: 965, currency: 'MYR', text: 'RM 9.65', line_ids: [9], source: 'extracted' });
    expect(fields.subtotal).toMatchObject({ minor: 910, currency: 'MYR', line_ids: [7] });
    expect(fields.tax).toMatchObject({ minor: 55, currency: 'MYR', text: '0.55', line_ids: [8] });
    expect(fields.payment_method).toEqual({ value: 'cash', text: 'CASH', line_ids: [10], source: 'extracted' });
    expect(ReceiptFieldsSchema.parse(fields)).toEqual(fields);
  });

  it('an extracted line item names its lines; one a person typed names none', () => {
    const item = { description: 'TEA', quantity: null, unit_price: null, amount: { minor: 300, currency: 'MYR' } };
    const fields = extractReceiptFields(sroie);
    const withItem = (extra: object) => ({ ...fields, line_items: [{ ...item, ...extra }] });
    expect(ReceiptFieldsSchema.safeParse(withItem({ line_ids: [], source: 'user' })).success).toBe(true);
    const bad = ReceiptFieldsSchema.safeParse(withItem({ line_ids: [], source: 'extracted' }));
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['line_items', 0, 'line_ids']);
  });

  it('reads line items best effort: a description above its amounts, a printed quantity', () => {
    expect(extractReceiptFields(sroie).line_items).toEqual([
      {
        description: 'NASI LEMAK',
        quantity: 2,
        unit_price: { minor: 350, currency: 'MYR' },
        amount: { minor: 700, currency: 'MYR' },
        line_ids: [4, 5],
        source: 'extracted',
      },
      {
        description: 'TEH TARIK',
        quantity: null,
        unit_price: null,
        amount: { minor: 210, currency: 'MYR' },
        line_ids: [6],
        source: 'extracted',
      },
    ]);
  });

  it('reads a numeric date month first on a USD receipt and day first otherwise, unless impossible', () => {
    const us = extractReceiptFields(toLines(['DATE 03/04/2024', 'TOTAL $5.00']));
    expect(us.date?.value).toBe('2024-03-04');
    expect(us.total).toMatchObject({ minor: 500, currency: 'USD', text: '$5.00' });
    const my = extractReceiptFields(toLines(['DATE 03/04/2024', 'TOTAL RM5.00']));
    expect(my.date?.value).toBe('2024-04-03');
    expect(extractReceiptFields(toLines(['DATE 25/12/2024', 'TOTAL 5.00'])).date?.value).toBe('2024-12-25');
    expect(extractReceiptFields(toLines(['03/04/2024', 'TOTAL 5.00']), { dateOrder: 'DMY' }).date?.value).toBe(
      '2024-04-03',
    );
  });

  it('keeps a printed date it cannot read, with no ISO value', () => {
    expect(extractReceiptFields(toLines(['25/29/2017', 'TOTAL 1.00'])).date).toMatchObject({
      value: null,
      text: '25/29/2017',
    });
  });

  it('takes the currency from an ISO code printed against an amount, else the default', () => {
    expect(extractReceiptFields(toLines(['TOTAL EUR 12.50'])).total).toMatchObject({ minor: 1250, currency: 'EUR' });
    expect(extractReceiptFields(toLines(['TOTAL 12.50']), { defaultCurrency: 'SGD' }).total?.currency).toBe('SGD');
    expect(extractReceiptFields(toLines(['TOTAL $12.50']), { defaultCurrency: 'SGD' }).total?.currency).toBe('SGD');
    expect(extractReceiptFields(toLines(['TOTAL $12.50']), { defaultCurrency: 'MYR' }).total?.currency).toBe('USD');
    expect(() => extractReceiptFields([], { defaultCurrency: 'XYZ' })).toThrow(/ISO 4217/);
  });

  it('converts amounts to exact minor units, per the currency’s decimals', () => {
    expect(toMinor('1,234.56', 'USD')).toBe(123456);
    expect(toMinor('0.10', 'MYR')).toBe(10);
    expect(toMinor('1200.00', 'JPY')).toBe(1200);
    expect(toMinor('1.50', 'JPY')).toBe(2);
    expect(toMinor('3.25', 'KWD')).toBe(3250);
  });

  it('names a card or wallet payment below the total, never a shop name above it', () => {
    const fields = extractReceiptFields(toLines(['CASH & CARRY MART', 'TOTAL 5.00', 'VISA ****1234 5.00']));
    expect(fields.payment_method).toMatchObject({ value: 'card', text: 'VISA', line_ids: [3] });
    expect(extractReceiptFields(toLines(['CASH & CARRY MART', 'TOTAL 5.00'])).payment_method).toBeNull();
  });

  it('a field not printed is null; lines with no items give no items', () => {
    expect(extractReceiptFields(toLines(['HELLO']))).toEqual({
      date: null,
      total: null,
      subtotal: null,
      tax: null,
      payment_method: null,
      line_items: [],
    });
  });

  it('bounds the line items it keeps, and says so', () => {
    const many = toLines([
      'DATE 01/02/2024',
      ...Array.from({ length: 250 }, (_, i) => `ITEM ${i} 1.00`),
      'TOTAL 250.00',
    ]);
    const fields = extractReceiptFields(many);
    expect(fields.line_items).toHaveLength(200);
    expect(fields.line_items_truncated).toBe(true);
    expect(fields.line_items[199]?.line_ids).toEqual([201]);
  });
});

describe('reading dates (date-fns, explicit formats)', () => {
  it('reads numeric dates in the given order, the other only when the first is impossible', () => {
    expect(readDate('05/01/2018', 'DMY')).toBe('2018-01-05');
    expect(readDate('05/01/2018', 'MDY')).toBe('2018-05-01');
    expect(readDate('12/25/2018', 'DMY')).toBe('2018-12-25');
    expect(readDate('02-03-18', 'DMY')).toBe('2018-03-02');
    expect(readDate('2018.12.25', 'MDY')).toBe('2018-12-25');
  });

  it('reads month names either side of the day, and refuses dates that do not exist', () => {
    expect(readDate('OCT 3, 2016', 'DMY')).toBe('2016-10-03');
    expect(readDate('3 OCT 2016', 'MDY')).toBe('2016-10-03');
    expect(readDate('25-DEC-18', 'DMY')).toBe('2018-12-25');
    expect(readDate('31/02/2018', 'DMY')).toBeNull();
    expect(readDate('25/29/2017', 'DMY')).toBeNull();
  });

  it('a two-digit year is never read as the year 18', () => {
    expect(readDate('12/25/18', 'MDY')).toBe('2018-12-25');
    expect(readDate('1/1/99', 'DMY')).toBe('1999-01-01');
  });
});

describe('reprocessing keeps what a person corrected', () => {
  const extracted = extractReceiptFields(toLines(['DATE 25/12/2018', 'COFFEE 4.00', 'TOTAL RM 4.00']));

  it('user fields win over a new extraction; extracted ones are replaced', () => {
    const stored: ReceiptFields = {
      ...extracted,
      date: { value: '2018-12-24', text: '', line_ids: [], source: 'user' },
      total: { ...extracted.total!, minor: 1 },
    };
    const merged = mergeReceiptFields(stored, extracted);
    expect(merged.date).toEqual(stored.date);
    expect(merged.total).toEqual(extracted.total);
    expect(mergeReceiptFields(undefined, extracted)).toEqual(extracted);
  });

  it('line items a person edited are kept whole', () => {
    const mine = [{ ...extracted.line_items[0]!, description: 'FLAT WHITE', source: 'user' as const }];
    expect(mergeReceiptFields({ ...extracted, line_items: mine }, extracted).line_items).toEqual(mine);
  });
});

describe('what SROIE scores comes from the stored fields', () => {
  it('date and total as printed, a printed $ kept, company and address from the place', () => {
    const lines = ['YONGFATT ENTERPRISE', 'Date 25/12/2018', 'TOTAL 1,080.90'];
    const fields = extractReceiptFields(toLines(lines));
    expect(sroieFields(fields, lines)).toEqual({
      company: 'YONGFATT ENTERPRISE',
      date: '25/12/2018',
      address: null,
      total: '1080.90',
    });
    const dollars = extractReceiptFields(toLines(['Nett Total: $6.90']));
    expect(sroieFields(dollars, [], { name: 'SHOP', address: '1 ROAD' })).toMatchObject({
      company: 'SHOP',
      address: '1 ROAD',
      total: '$6.90',
    });
    expect(sroieFields(undefined, [])).toEqual({ company: null, date: null, address: null, total: null });
  });
});
