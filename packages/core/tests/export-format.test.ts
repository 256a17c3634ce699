import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import {
  EXPORT_CSV_COLUMNS,
  exportChunks,
  type ExportSource,
  formatMinorUnits,
  ValidationError,
} from '../src/index.js';

const usd = (amount_minor: number) => ({ amount_minor, currency: 'USD' });

function source(n: number, over: Partial<ExportSource> = {}): ExportSource {
  return {
    image_id: `img-${n}`,
    receipt_id: 1,
    created_at: '2024-03-15T10:00:00.000Z',
    date: '2024-03-14',
    merchant: { place_id: `place-${n}`, name: `Shop ${n}`, source: 'places' },
    total: usd(1250),
    subtotal: usd(1150),
    tax: usd(100),
    payment_method: 'card',
    ...over,
  };
}

async function* pagesOf(...pages: ExportSource[][]): AsyncIterable<ExportSource[]> {
  for (const page of pages) yield page;
}

async function collect(chunks: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

/** Merchant names a spreadsheet or a naive CSV writer gets wrong. */
const NASTY = [
  'Smith, Jones & Co',
  'The "Best" Bagels',
  'Two\nLines',
  'Carriage\r\nReturn',
  '=HYPERLINK("http://evil.example","x")',
  '+1 555 0100 Deli',
  '-minus shop',
  '@SUM(A1:A9)',
  '\tTabbed',
  '\uFF1DFULLWIDTH',
  'Café Ünïcödé 東京',
];

describe('export format', () => {
  it("formats minor units as exact decimals in the currency's own precision", () => {
    expect(formatMinorUnits(1250, 'USD')).toBe('12.50');
    expect(formatMinorUnits(5, 'USD')).toBe('0.05');
    expect(formatMinorUnits(-420, 'USD')).toBe('-4.20');
    expect(formatMinorUnits(0, 'MYR')).toBe('0.00');
    expect(formatMinorUnits(1000, 'JPY')).toBe('1000');
    expect(formatMinorUnits(1234, 'BHD')).toBe('1.234');
    // Far beyond what a double prints exactly after a division by 100.
    expect(formatMinorUnits(9_007_199_254_740_991, 'USD')).toBe('90071992547409.91');
    expect(() => formatMinorUnits(1.5, 'USD')).toThrow(ValidationError);
  });

  it('CSV parses back with a real CSV parser: every cell as written, RFC 4180 quoting, CRLF records', async () => {
    const sources = NASTY.map((name, i) =>
      source(i, { merchant: { place_id: `p-${i}`, name, source: i % 2 ? 'user' : 'places' } }),
    );
    const chunks = await collect(exportChunks('csv', pagesOf(sources.slice(0, 4), [], sources.slice(4))));
    // The header, then one chunk per non-empty page.
    expect(chunks).toHaveLength(3);
    const text = chunks.join('');
    expect(text.startsWith(`${EXPORT_CSV_COLUMNS.join(',')}\r\n`)).toBe(true);
    const rows = parse(text, { columns: true, relax_column_count: false }) as Record<string, string>[];
    expect(rows).toHaveLength(NASTY.length);
    rows.forEach((row, i) => {
      expect(Object.keys(row)).toEqual([...EXPORT_CSV_COLUMNS]);
      const name = NASTY[i]!;
      // Formula starts get a leading apostrophe; every other character survives the round trip.
      expect(row.merchant).toBe(/^[=+\-@\t\uFF1D]/.test(name) ? `'${name}` : name);
      expect(row).toMatchObject({
        image_id: `img-${i}`,
        receipt_id: '1',
        date: '2024-03-14',
        place_id: `p-${i}`,
        total: '12.50',
        subtotal: '11.50',
        tax: '1.00',
        currency: 'USD',
        payment_method: 'card',
        possible_duplicate_of: '',
        created_at: '2024-03-15T10:00:00.000Z',
      });
    });
  });

  it('a negative amount stays a number (not neutralized into text); a formula in a place_id is neutralized', async () => {
    const [, row] = await collect(
      exportChunks(
        'csv',
        pagesOf([
          source(1, {
            merchant: { place_id: '=cmd|"/c calc"!A1', name: 'Refund Shop', source: 'user' },
            total: usd(-420),
            subtotal: null,
            tax: null,
            payment_method: null,
            possible_duplicate_of: { image_id: 'img-0', receipt_id: 2 },
          }),
        ]),
      ),
    );
    const [parsed] = parse(`${EXPORT_CSV_COLUMNS.join(',')}\r\n${row}`, { columns: true }) as Record<string, string>[];
    expect(parsed).toMatchObject({
      total: '-4.20',
      subtotal: '',
      tax: '',
      currency: 'USD',
      payment_method: '',
      place_id: `'=cmd|"/c calc"!A1`,
      possible_duplicate_of: 'img-0/2',
    });
  });

  it('a receipt without fields or merchant (or a merchant not resolved to a place) exports empty cells, not "null"', async () => {
    const chunks = await collect(
      exportChunks(
        'csv',
        pagesOf([
          source(1, {
            total: null,
            subtotal: undefined,
            tax: undefined,
            payment_method: undefined,
            merchant: null,
            date: null,
          }),
          source(2, { merchant: { place_id: null, name: 'AS PRINTED', source: 'none' } }),
        ]),
      ),
    );
    const rows = parse(chunks.join(''), { columns: true }) as Record<string, string>[];
    expect(rows[0]).toMatchObject({
      merchant: '',
      place_id: '',
      merchant_source: '',
      total: '',
      currency: '',
      date: '',
    });
    expect(rows[1]).toMatchObject({ merchant: 'AS PRINTED', place_id: '', merchant_source: 'none' });
  });

  it('the first chunk waits for the first page: a listing that refuses its query throws before the header', async () => {
    async function* refused(): AsyncIterable<ExportSource[]> {
      yield await Promise.reject(new ValidationError('receipt listing query is invalid', ['from: must be YYYY-MM-DD']));
    }
    const iterator = exportChunks('csv', refused())[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toThrow(/from: must be YYYY-MM-DD/);
  });

  it('JSON Lines: one object per receipt with exact minor units, parsed back equal', async () => {
    const sources = [
      source(1),
      source(2, { total: null, subtotal: undefined, tax: undefined, payment_method: undefined, merchant: null }),
      source(3, { merchant: { place_id: 'p', name: 'a\nb"c', source: 'user' } }),
    ];
    const text = (await collect(exportChunks('jsonl', pagesOf(sources.slice(0, 2), sources.slice(2))))).join('');
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toHaveLength(3);
    expect(records[0]).toEqual({
      image_id: 'img-1',
      receipt_id: 1,
      date: '2024-03-14',
      merchant: { place_id: 'place-1', name: 'Shop 1', source: 'places' },
      total: { amount_minor: 1250, currency: 'USD' },
      subtotal: { amount_minor: 1150, currency: 'USD' },
      tax: { amount_minor: 100, currency: 'USD' },
      payment_method: 'card',
      possible_duplicate_of: null,
      created_at: '2024-03-15T10:00:00.000Z',
    });
    expect(records[1]).toMatchObject({ merchant: null, total: null, payment_method: null });
    expect(records[2]).toMatchObject({ merchant: { name: 'a\nb"c' } });
  });

  it('a bad format is a ValidationError naming format, raised before any page is read', () => {
    let read = false;
    async function* pages(): AsyncIterable<ExportSource[]> {
      read = true;
      yield [];
    }
    expect(() => exportChunks('xlsx' as 'csv', pages())).toThrow(/format must be csv or jsonl, got "xlsx"/);
    expect(read).toBe(false);
  });
});
