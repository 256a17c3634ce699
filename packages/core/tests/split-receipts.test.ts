import { describe, expect, it } from 'vitest';
import {
  buildReceiptsFromDocument,
  countReceipts,
  type ImageType,
  type OcrDocument,
  type ReceiptDetails,
} from '../src/index.js';
import { PITCH_PX, receiptPage, tillReceipt, type PageOptions } from './helpers/receipt-page.js';

const HARBOR = tillReceipt(
  'HARBOR LANE GROCERY',
  [
    ['BANANAS', '1.29'],
    ['WHOLE MILK', '4.49'],
    ['COFFEE BEANS', '11.99'],
  ],
  '17.77',
);
const KETTLE = tillReceipt(
  'COPPER KETTLE CAFE',
  [
    ['LATTE', '4.75'],
    ['CROISSANT', '3.50'],
  ],
  '8.25',
);
const PHARMACY = tillReceipt(
  'SUNRISE PHARMACY 214',
  [
    ['VITAMIN C', '9.99'],
    ['BANDAGES', '4.59'],
    ['TOOTHPASTE', '3.79'],
    ['COUGH DROPS', '2.99'],
    ['SUNSCREEN', '10.49'],
  ],
  '31.85',
);

/** 32 columns of 15 px: a receipt's print is 480 px wide. */
const PRINT_PX = 32 * 15;

function build(doc: OcrDocument, imageType: ImageType = 'SCAN'): ReceiptDetails[] {
  return buildReceiptsFromDocument(
    doc,
    { image_id: 'img-1', created_at: '2024-01-01T00:00:00.000Z', image_type: imageType },
    [],
  );
}

const texts = (r: ReceiptDetails) => r.lines.map((l) => l.text);

/** Receipts side by side, `gap` px of paper and background between their prints. */
function sideBySide(
  rows: readonly (readonly string[])[],
  gap: number,
  extra: Partial<PageOptions> & { tops?: number[]; degrees?: number[] } = {},
) {
  const { tops, degrees, ...options } = extra;
  const receipts = rows.map((r, i) => ({
    rows: r,
    left: 40 + i * (PRINT_PX + gap),
    top: tops?.[i] ?? 40,
    degrees: degrees?.[i] ?? 0,
  }));
  return receiptPage(receipts, {
    width: 80 + rows.length * PRINT_PX + (rows.length - 1) * gap,
    height: 900,
    ...options,
  });
}

describe('splitting a page into receipts (clustering the OCR geometry)', () => {
  it('a single receipt with item and price columns stays one receipt, prices on their item rows', () => {
    const [receipt, ...rest] = build(sideBySide([HARBOR], 0));
    expect(rest).toEqual([]);
    expect(texts(receipt!)).toEqual([
      'HARBOR LANE GROCERY',
      '12 MARKET STREET',
      'SPRINGFIELD, IL 62701',
      'TEL (217) 555-0100',
      'DATE 03/14/2024',
      'BANANAS 1.29',
      'WHOLE MILK 4.49',
      'COFFEE BEANS 11.99',
      'TOTAL 17.77',
      'THANK YOU',
    ]);
  });

  it('a receipt with a quantity column, a price column and a wide blank stretch before its footer stays one', () => {
    const rows = [
      'LUCKY NOODLE HOUSE',
      '321 GRANT AVENUE',
      '',
      '2<DUMPLINGS>17.90',
      '1<FRIED RICE>11.25',
      '12<JASMINE TEA>30.00',
      '',
      'TOTAL>59.15',
      '',
      '',
      '',
      '',
      '',
      '',
      'PLEASE COME AGAIN',
      'WWW.NOODLE.EXAMPLE',
    ];
    const receipts = build(sideBySide([rows], 0));
    expect(receipts).toHaveLength(1);
    expect(texts(receipts[0]!)).toContain('2 DUMPLINGS 17.90');
  });

  it('a receipt with two wide text blocks side by side above a full-width table stays one', () => {
    const rows = [
      'BILL TO          SHIP TO',
      'JANE ROE         JOHN DOE',
      '1 ELM STREET     9 OAK ROAD',
      'DESCRIPTION QTY UNIT PRICE AMOUNT',
      'WIDGETS>12.00',
      'TOTAL>12.00',
    ];
    expect(build(sideBySide([rows], 0))).toHaveLength(1);
  });

  it('two receipts side by side become two, each with its own lines and words', () => {
    const receipts = build(sideBySide([HARBOR, KETTLE], 120, { tops: [40, 40 + PITCH_PX * 2.5] }));
    expect(receipts.map((r) => r.lines[0]!.text)).toEqual(['HARBOR LANE GROCERY', 'COPPER KETTLE CAFE']);
    expect(texts(receipts[0]!)).toContain('TOTAL 17.77');
    expect(texts(receipts[1]!)).toContain('TOTAL 8.25');
    expect(receipts.map((r) => r.receipt.receipt_id)).toEqual([1, 2]);
    for (const r of receipts) {
      expect(r.words.every((w) => w.receipt_id === r.receipt.receipt_id)).toBe(true);
      expect(r.receipt.word_count).toBe(r.words.length);
    }
  });

  it('receipts whose rows line up exactly, read as one OCR line per row (tesseract), are split inside the lines', () => {
    const doc = sideBySide([HARBOR, KETTLE, PHARMACY], 100, { mergeRowsAcross: true });
    // The engine's lines run across all three receipts.
    expect(doc.lines[0]!.text).toBe('HARBOR LANE GROCERY COPPER KETTLE CAFE SUNRISE PHARMACY 214');
    const receipts = build(doc);
    expect(receipts.map(texts)).toEqual([
      HARBOR.filter((r) => r !== '').map((r) => r.replace('>', ' ')),
      KETTLE.filter((r) => r !== '').map((r) => r.replace('>', ' ')),
      PHARMACY.filter((r) => r !== '').map((r) => r.replace('>', ' ')),
    ]);
  });

  it('a price column right next to the following receipt stays with its own receipt', () => {
    // 40 px between the papers' prints: the prices are far closer to the next receipt's text
    // than to their own item names.
    const receipts = build(sideBySide([HARBOR, KETTLE, PHARMACY], 40, { tops: [40, 60, 100] }));
    expect(receipts).toHaveLength(3);
    expect(texts(receipts[0]!)).toContain('COFFEE BEANS 11.99');
    expect(texts(receipts[1]!)).toContain('CROISSANT 3.50');
    expect(texts(receipts[2]!)).toContain('SUNSCREEN 10.49');
  });

  it('receipts of different heights, each turned a little its own way, split into three', () => {
    const short = ['METRO FUEL STOP', '9900 ROUTE 9', 'ALBANY, NY 12205', 'FUEL>38.60'];
    for (const style of ['envelope', 'corners'] as const) {
      const doc = sideBySide([PHARMACY, short, HARBOR], 90, { tops: [30, 200, 80], degrees: [2.5, -2, 1], style });
      const receipts = build(doc);
      expect(
        receipts.map((r) => r.lines[0]!.text),
        style,
      ).toEqual(['SUNRISE PHARMACY 214', 'METRO FUEL STOP', 'HARBOR LANE GROCERY']);
      expect(texts(receipts[0]!)).toContain('SUNSCREEN 10.49');
      expect(texts(receipts[1]!)).toContain('FUEL 38.60');
      expect(texts(receipts[2]!)).toContain('TOTAL 17.77');
    }
  });

  it('a stray mark or a scan edge read as a column of bars joins the nearest receipt instead of becoming one', () => {
    const doc = receiptPage(
      [
        { rows: HARBOR, left: 40, top: 40 },
        { rows: ['|', '|', '|', '|', ':', '|', '|'], left: 700, top: 60 },
        { rows: ['', '', 'WT 7'], left: 620, top: 600 },
      ],
      { width: 800, height: 900 },
    );
    const receipts = build(doc);
    expect(receipts).toHaveLength(1);
    expect(receipts[0]!.lines.map((l) => l.text)).toEqual(expect.arrayContaining(['HARBOR LANE GROCERY', '|', 'WT 7']));
  });

  it('counts what it builds: the routing decision and the results step agree', () => {
    const three = sideBySide([HARBOR, KETTLE, PHARMACY], 100, { mergeRowsAcross: true });
    expect(countReceipts(three, 'NATIVE')).toBe(3);
    expect(countReceipts(sideBySide([HARBOR], 0), 'SCAN')).toBe(1);
    expect(countReceipts({ ...three, lines: [] }, 'SCAN')).toBe(0);
    expect(build({ ...three, lines: [] })).toEqual([]);
  });
});
