import { describe, expect, it } from 'vitest';
import {
  axisAlignedGeometry,
  buildReceiptsFromDocument,
  fromReceiptFrame,
  orientedBox,
  uprightFrame,
  type ImageType,
  type OcrDocument,
  type ReceiptDetails,
} from '../src/index.js';
import { CHAR_PX, TEXT_PX, receiptPage, tillReceipt } from './helpers/receipt-page.js';

const HARBOR = tillReceipt(
  'HARBOR LANE GROCERY',
  [
    ['BANANAS', '1.29'],
    ['WHOLE MILK', '4.49'],
    ['COFFEE BEANS', '11.99'],
  ],
  '17.77',
);
const SIZE = { width: 1000, height: 900 };

function build(doc: OcrDocument, imageType: ImageType): ReceiptDetails[] {
  return buildReceiptsFromDocument(
    doc,
    { image_id: 'img-1', created_at: '2024-01-01T00:00:00.000Z', image_type: imageType },
    [],
  );
}

function photo(degrees: number, style: 'corners' | 'envelope'): OcrDocument {
  return receiptPage([{ rows: HARBOR, left: 260, top: 180, degrees }], { ...SIZE, style });
}

describe('orientedBox', () => {
  it("recovers a tilted word's true size from tesseract's axis-aligned envelope and angle", () => {
    const rad = (5 * Math.PI) / 180;
    // A 300×20 px box turned 5°: its envelope is 300cos+20sin wide, 300sin+20cos tall.
    const W = 300 * Math.cos(rad) + 20 * Math.sin(rad);
    const H = 300 * Math.sin(rad) + 20 * Math.cos(rad);
    const g = {
      ...axisAlignedGeometry({ x: 0.1, y: 0.2, width: W / 1000, height: H / 1000 }),
      angle_degrees: 5,
      angle_radians: rad,
    };
    const box = orientedBox(g, { width: 1000, height: 1000 });
    expect(box.width).toBeCloseTo(300, 6);
    expect(box.height).toBeCloseTo(20, 6);
    expect(box.angle).toBeCloseTo(rad, 9);
  });

  it('keeps an axis-aligned box without angle as it is', () => {
    const box = orientedBox(axisAlignedGeometry({ x: 0.1, y: 0.2, width: 0.3, height: 0.02 }), {
      width: 1000,
      height: 500,
    });
    expect(box).toEqual({ cx: 250, cy: 105, width: 300, height: 10, angle: 0 });
  });
});

describe("a receipt's frame: its region cropped and turned upright", () => {
  for (const style of ['corners', 'envelope'] as const) {
    it(`a PHOTO turned 10° (${style}) is stored upright, normalised to its own region`, () => {
      const [receipt, ...rest] = build(photo(10, style), 'PHOTO');
      expect(rest).toEqual([]);
      const { region } = receipt!.receipt;
      expect(region!.angle_degrees).toBeCloseTo(10, 6);
      for (const g of [...receipt!.lines, ...receipt!.words]) {
        expect(g.angle_degrees).toBeCloseTo(0, 6);
        // Upright: top and bottom edges level, left and right edges plumb.
        expect(g.top_left.y).toBeCloseTo(g.top_right.y, 9);
        expect(g.top_left.x).toBeCloseTo(g.bottom_left.x, 9);
        for (const p of [g.top_left, g.top_right, g.bottom_left, g.bottom_right]) {
          expect(p.x).toBeGreaterThan(0);
          expect(p.x).toBeLessThan(1);
          expect(p.y).toBeGreaterThan(0);
          expect(p.y).toBeLessThan(1);
        }
      }
      // Left-aligned rows start at the same x, and rows step down at the print's pitch.
      const lines = receipt!.lines;
      const lefts = lines.map((l) => l.bounding_box.x); // every printed row starts at column 0
      for (const x of lefts) expect(x).toBeCloseTo(lefts[0]!, 9);
      expect(lines.map((l) => l.text)[0]).toBe('HARBOR LANE GROCERY');
      const tops = lines.map((l) => l.top_left.y);
      expect(tops).toEqual([...tops].sort((a, b) => b - a));
      // The region is one text height of paper around the print, so the first character starts there.
      expect(lefts[0]! * region!.width).toBeCloseTo(TEXT_PX, 6);
      expect(region!.width).toBeCloseTo(32 * CHAR_PX + 2 * TEXT_PX, 6);
    });
  }

  it('maps back: a point of the receipt frame lands where the engine saw it in the image', () => {
    const doc = photo(-7, 'corners');
    const [receipt] = build(doc, 'PHOTO');
    const size = { width: doc.image_width, height: doc.image_height };
    const frame = uprightFrame(
      doc.lines.flatMap((l) => l.words.map((w) => orientedBox(w, size))),
      size,
    );
    const stored = receipt!.lines[0]!;
    const seen = doc.lines.find((l) => l.text === stored.text)!;
    for (const corner of ['top_left', 'top_right', 'bottom_left', 'bottom_right'] as const) {
      const back = fromReceiptFrame(stored[corner], frame);
      expect(back.x).toBeCloseTo(seen[corner].x, 9);
      expect(back.y).toBeCloseTo(seen[corner].y, 9);
    }
  });

  it('a NATIVE image holding one receipt keeps the image frame: geometry exactly as the engine gave it', () => {
    const doc = receiptPage([{ rows: HARBOR, left: 40, top: 40 }], SIZE);
    const [receipt] = build(doc, 'NATIVE');
    expect(receipt!.receipt.region).toMatchObject({
      bottom_left: { x: 0, y: 0 },
      top_right: { x: 1, y: 1 },
      width: SIZE.width,
      height: SIZE.height,
      angle_degrees: 0,
    });
    const first = doc.lines[0]!;
    const { text: _t, confidence: _c, words: _w, ...geometry } = first;
    expect(receipt!.lines[0]).toMatchObject(geometry);
  });

  it('a SCAN of one receipt on a larger bed is cropped to the receipt', () => {
    const doc = receiptPage([{ rows: HARBOR, left: 300, top: 200 }], SIZE);
    const [receipt] = build(doc, 'SCAN');
    const region = receipt!.receipt.region!;
    expect(region.bounding_box.x).toBeCloseTo((300 - TEXT_PX) / SIZE.width, 6);
    expect(region.width).toBeLessThan(SIZE.width / 1.5);
    expect(receipt!.lines[0]!.bounding_box.x).toBeCloseTo(TEXT_PX / region.width, 6);
  });
});
