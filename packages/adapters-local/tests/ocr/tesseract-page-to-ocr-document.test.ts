import { describe, expect, it } from 'vitest';
import { OcrDocumentSchema } from '@receiptflow/core';
import { tesseractPageToOcrDocument } from '../../src/ocr/index.js';
import type { PixelBox, TesseractPage } from '../../src/ocr/index.js';

const box = (x0: number, y0: number, x1: number, y1: number): PixelBox => ({ x0, y0, x1, y1 });

function page(lines: NonNullable<TesseractPage['blocks']>[number]['paragraphs'][number]['lines']): TesseractPage {
  return { blocks: [{ paragraphs: [{ lines }] }] };
}

function expectClose(actual: Record<string, number>, expected: Record<string, number>): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [key, value] of Object.entries(expected)) expect(actual[key], key).toBeCloseTo(value, 10);
}

const size = { width: 200, height: 100 };

describe('tesseractPageToOcrDocument', () => {
  it('normalises pixels and flips y so the origin is bottom-left', () => {
    const doc = tesseractPageToOcrDocument(
      page([
        {
          bbox: box(20, 10, 120, 30),
          baseline: box(20, 30, 120, 30),
          confidence: 90,
          words: [{ text: 'HI', bbox: box(20, 10, 60, 30), confidence: 80, symbols: null }],
        },
      ]),
      size,
      'tesseract.js',
    );
    expect(OcrDocumentSchema.parse(doc)).toEqual(doc);
    const line = doc.lines[0]!;
    expectClose(line.bounding_box, { x: 0.1, y: 0.7, width: 0.5, height: 0.2 });
    expectClose(line.top_left, { x: 0.1, y: 0.9 });
    expectClose(line.bottom_right, { x: 0.6, y: 0.7 });
    expect(line.confidence).toBe(0.9);
    expect(line.angle_degrees).toBe(0);
    expect(doc.image_width).toBe(200);
  });

  it('synthesises one equal slice per character when tesseract gives no symbols', () => {
    const doc = tesseractPageToOcrDocument(
      page([
        {
          bbox: box(0, 0, 40, 10),
          confidence: 70,
          words: [{ text: 'ABCD', bbox: box(0, 0, 40, 10), confidence: 70 }],
        },
      ]),
      size,
      'e',
    );
    const letters = doc.lines[0]!.words[0]!.letters;
    expect(letters.map((l) => l.text)).toEqual(['A', 'B', 'C', 'D']);
    letters.forEach((l, i) => expect(l.bounding_box.x).toBeCloseTo(i * 0.05, 10));
    for (const l of letters) expect(l.bounding_box.width).toBeCloseTo(0.05, 10);
    expect(letters[0]!.confidence).toBe(0.7);
  });

  it("uses tesseract's symbols when they spell the word, and synthesises when they do not", () => {
    const sym = (text: string, x0: number) => ({ text, bbox: box(x0, 0, x0 + 9, 10), confidence: 99 });
    const doc = tesseractPageToOcrDocument(
      page([
        {
          bbox: box(0, 0, 100, 10),
          confidence: 90,
          words: [
            { text: 'AB', bbox: box(0, 0, 20, 10), confidence: 90, symbols: [sym('A', 0), sym('B', 11)] },
            { text: 'CD', bbox: box(40, 0, 60, 10), confidence: 90, symbols: [sym('X', 40)] },
          ],
        },
      ]),
      size,
      'e',
    );
    const [ab, cd] = doc.lines[0]!.words;
    expect(ab!.letters.map((l) => l.text)).toEqual(['A', 'B']);
    expect(ab!.letters[1]!.bounding_box.x).toBeCloseTo(0.055, 10);
    expect(ab!.letters[1]!.confidence).toBeCloseTo(0.99, 10);
    expect(cd!.letters.map((l) => l.text)).toEqual(['C', 'D']);
  });

  it('takes the angle from the baseline: rising to the right is positive', () => {
    const doc = tesseractPageToOcrDocument(
      page([
        {
          bbox: box(0, 0, 100, 120),
          baseline: box(0, 100, 100, 0),
          confidence: 90,
          words: [{ text: 'UP', bbox: box(0, 0, 100, 100), confidence: 90 }],
        },
      ]),
      { width: 100, height: 100 },
      'e',
    );
    const line = doc.lines[0]!;
    expect(line.angle_degrees).toBeCloseTo(45, 10);
    expect(line.angle_radians).toBeCloseTo(Math.PI / 4, 10);
    expect(line.words[0]!.angle_degrees).toBeCloseTo(45, 10);
    // A box spilling past the image edge is clamped to 0..1.
    expect(line.bounding_box.y).toBe(0);
  });

  it('drops blank words and lines left without words, and joins words with single spaces', () => {
    const doc = tesseractPageToOcrDocument(
      page([
        { bbox: box(0, 0, 10, 10), confidence: 10, words: [{ text: ' ', bbox: box(0, 0, 10, 10), confidence: 10 }] },
        {
          bbox: box(0, 20, 100, 30),
          confidence: 90,
          words: [
            { text: 'TOTAL', bbox: box(0, 20, 50, 30), confidence: 90 },
            { text: '8.25\n', bbox: box(70, 20, 100, 30), confidence: 90 },
          ],
        },
      ]),
      size,
      'e',
    );
    expect(doc.lines.map((l) => l.text)).toEqual(['TOTAL 8.25']);
  });

  it('returns an empty document for a page without blocks', () => {
    expect(tesseractPageToOcrDocument({ blocks: null }, size, 'e').lines).toEqual([]);
  });
});
