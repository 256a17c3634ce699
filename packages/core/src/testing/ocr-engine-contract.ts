import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { OcrDocumentSchema } from '../domain/index.js';
import type { Geometry, OcrDocument, OcrLine } from '../domain/index.js';
import type { OcrEngine } from '../ports/index.js';

/** What {@link describeOcrEngineContract} needs from the adapter under test. */
export interface OcrEngineContractFixture {
  subject: OcrEngine;
  /** A decodable image with printed text, upright. */
  sampleImage: Uint8Array;
  /**
   * Texts printed on the sample, each within one line, listed TOP TO BOTTOM. At least two, and the
   * first and last must be on different lines: the suite checks the origin is bottom-left with them.
   */
  expectedTexts: string[];
  cleanup?: () => Promise<void> | void;
}

/** Slack for boxes that should nest: engines round boxes to whole pixels independently. */
const NEST_TOLERANCE = 0.01;
/** Slack for "inside 0..1": a box may touch the edge after rounding. */
const RANGE_TOLERANCE = 1e-6;

/**
 * The behaviour every {@link OcrEngine} promises (tesseract.js locally, Apple Vision on the Mac).
 * OCR is slow, so the sample is recognised ONCE and each test inspects that document.
 */
export function describeOcrEngineContract(name: string, factory: () => Promise<OcrEngineContractFixture>): void {
  describe(`OcrEngine contract: ${name}`, () => {
    let fixture: OcrEngineContractFixture;
    let doc: OcrDocument;

    beforeAll(async () => {
      fixture = await factory();
      doc = await fixture.subject.recognize(fixture.sampleImage);
    });

    afterAll(async () => {
      await fixture?.cleanup?.();
    });

    it('emits a document that validates against OcrDocumentSchema, named after the engine', () => {
      const parsed = OcrDocumentSchema.safeParse(doc);
      expect(parsed.success, parsed.success ? '' : parsed.error.message).toBe(true);
      expect(doc.engine).toBe(fixture.subject.name);
      expect(doc.lines.length).toBeGreaterThan(0);
    });

    it('normalises every coordinate of lines, words and letters to 0..1', () => {
      const outside: string[] = [];
      for (const { label, geometry } of allElements(doc)) {
        for (const [corner, value] of coordinates(geometry)) {
          if (value < -RANGE_TOLERANCE || value > 1 + RANGE_TOLERANCE) {
            outside.push(`${label} ${corner}=${value}`);
          }
        }
      }
      expect(outside).toEqual([]);
    });

    it('puts the origin at the bottom-left: text printed higher has a larger y', () => {
      const first = lineContaining(doc, fixture.expectedTexts[0]!);
      const last = lineContaining(doc, fixture.expectedTexts[fixture.expectedTexts.length - 1]!);
      expect(first, `no line contains "${fixture.expectedTexts[0]}"`).toBeDefined();
      expect(last, 'no line contains the last expected text').toBeDefined();
      expect(first!.bounding_box.y).toBeGreaterThan(last!.bounding_box.y);
      for (const line of doc.lines) {
        expect(line.top_left.y).toBeGreaterThanOrEqual(line.bottom_left.y);
        expect(line.top_right.x).toBeGreaterThanOrEqual(line.top_left.x);
      }
    });

    it('keeps each angle in degrees and radians consistent', () => {
      for (const { label, geometry } of allElements(doc)) {
        expect(geometry.angle_radians, label).toBeCloseTo((geometry.angle_degrees * Math.PI) / 180, 6);
      }
    });

    it('nests words inside their line box and letters inside their word box', () => {
      const escaped: string[] = [];
      for (const line of doc.lines) {
        for (const word of line.words) {
          if (!inside(word.bounding_box, line.bounding_box)) escaped.push(`word "${word.text}" of "${line.text}"`);
          for (const letter of word.letters) {
            if (!inside(letter.bounding_box, word.bounding_box))
              escaped.push(`letter "${letter.text}" of "${word.text}"`);
          }
        }
      }
      expect(escaped).toEqual([]);
    });

    it('gives every line its words and every word its letters, spelling the same text', () => {
      for (const line of doc.lines) {
        expect(line.words.length, `line "${line.text}"`).toBeGreaterThan(0);
        for (const word of line.words) {
          expect(word.letters.length, `word "${word.text}"`).toBeGreaterThan(0);
          expect(word.letters.map((l) => l.text).join('')).toBe(word.text.replace(/\s+/g, ''));
        }
      }
    });

    it('reads back every expected text', () => {
      const missing = fixture.expectedTexts.filter((text) => lineContaining(doc, text) === undefined);
      expect(missing, `read:\n${doc.lines.map((l) => l.text).join('\n')}`).toEqual([]);
    });

    it('refuses bytes that are not an image with a ValidationError', async () => {
      const text = new TextEncoder().encode('this is plain text, not an image at all');
      await expect(fixture.subject.recognize(text)).rejects.toBeInstanceOf(ValidationError);
      await expect(fixture.subject.recognize(new Uint8Array(0))).rejects.toBeInstanceOf(ValidationError);
    });

    it('refuses a truncated image with a ValidationError', async () => {
      const truncated = fixture.sampleImage.slice(0, 64);
      await expect(fixture.subject.recognize(truncated)).rejects.toBeInstanceOf(ValidationError);
    });

    it('still reads a good image after refusing bad ones', async () => {
      await fixture.subject.recognize(new TextEncoder().encode('not an image')).catch(() => undefined);
      const again = await fixture.subject.recognize(fixture.sampleImage);
      expect(lineContaining(again, fixture.expectedTexts[0]!)).toBeDefined();
    });
  });
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function lineContaining(doc: OcrDocument, text: string): OcrLine | undefined {
  const wanted = collapse(text);
  return doc.lines.find((line) => collapse(line.text).includes(wanted));
}

function* allElements(doc: OcrDocument): Generator<{ label: string; geometry: Geometry }> {
  for (const line of doc.lines) {
    yield { label: `line "${line.text}"`, geometry: line };
    for (const word of line.words) {
      yield { label: `word "${word.text}"`, geometry: word };
      for (const letter of word.letters) yield { label: `letter "${letter.text}"`, geometry: letter };
    }
  }
}

function coordinates(g: Geometry): Array<[string, number]> {
  const b = g.bounding_box;
  return [
    ['box.x', b.x],
    ['box.y', b.y],
    ['box.right', b.x + b.width],
    ['box.top', b.y + b.height],
    ...(['top_left', 'top_right', 'bottom_left', 'bottom_right'] as const).flatMap(
      (corner): Array<[string, number]> => [
        [`${corner}.x`, g[corner].x],
        [`${corner}.y`, g[corner].y],
      ],
    ),
  ];
}

function inside(inner: Geometry['bounding_box'], outer: Geometry['bounding_box']): boolean {
  return (
    inner.x >= outer.x - NEST_TOLERANCE &&
    inner.y >= outer.y - NEST_TOLERANCE &&
    inner.x + inner.width <= outer.x + outer.width + NEST_TOLERANCE &&
    inner.y + inner.height <= outer.y + outer.height + NEST_TOLERANCE
  );
}
