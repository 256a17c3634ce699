import type { BoundingBox, Geometry, OcrDocument, OcrLetter, OcrLine, OcrWord } from '@receiptflow/core';

/** A pixel box as tesseract reports it: origin top-left, y grows downwards. */
export interface PixelBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The part of tesseract.js's `blocks` output this conversion reads. */
export interface TesseractPage {
  blocks: Array<{
    paragraphs: Array<{
      lines: Array<{
        bbox: PixelBox;
        baseline?: PixelBox | null;
        confidence: number;
        words: Array<{
          text: string;
          bbox: PixelBox;
          confidence: number;
          symbols?: Array<{ text: string; bbox: PixelBox; confidence: number }> | null;
        }>;
      }>;
    }>;
  }> | null;
}

export interface ImageSize {
  width: number;
  height: number;
}

/**
 * Converts tesseract's pixel boxes (origin top-left) to the core OCR document (normalised 0..1,
 * origin bottom-left, Apple Vision's convention).
 *
 * Boxes stay axis-aligned, as tesseract gives them; the line's baseline slope supplies the angle,
 * which its words and letters share. When tesseract gives no symbols for a word (or symbols
 * that do not spell the word), letter boxes are SYNTHESISED by splitting the word box into equal
 * slices per character: exact for monospace print, approximate otherwise.
 */
export function tesseractPageToOcrDocument(page: TesseractPage, size: ImageSize, engine: string): OcrDocument {
  const lines: OcrLine[] = [];
  for (const block of page.blocks ?? []) {
    for (const paragraph of block.paragraphs) {
      for (const line of paragraph.lines) {
        const angle = baselineAngle(line.baseline);
        const words = line.words
          .map((word) => ({ ...word, text: word.text.trim() }))
          .filter((word) => word.text.length > 0)
          .map((word) => toWord(word, size, angle));
        if (words.length === 0) continue;
        lines.push({
          ...geometry(line.bbox, size, angle),
          text: words.map((w) => w.text).join(' '),
          confidence: confidence(line.confidence),
          words,
        });
      }
    }
  }
  return { engine, image_width: size.width, image_height: size.height, lines };
}

type TesseractWord = NonNullable<
  TesseractPage['blocks']
>[number]['paragraphs'][number]['lines'][number]['words'][number];

function toWord(word: TesseractWord, size: ImageSize, angle: number): OcrWord {
  const symbols = (word.symbols ?? []).filter((s) => s.text.trim().length > 0);
  const spelled = symbols.map((s) => s.text).join('') === word.text.replace(/\s+/g, '');
  const letters: OcrLetter[] = spelled
    ? symbols.map((s) => ({ ...geometry(s.bbox, size, angle), text: s.text, confidence: confidence(s.confidence) }))
    : synthesiseLetters(word, size, angle);
  return { ...geometry(word.bbox, size, angle), text: word.text, confidence: confidence(word.confidence), letters };
}

function synthesiseLetters(word: TesseractWord, size: ImageSize, angle: number): OcrLetter[] {
  const chars = [...word.text.replace(/\s+/g, '')];
  const step = (word.bbox.x1 - word.bbox.x0) / chars.length;
  return chars.map((text, i) => ({
    ...geometry({ ...word.bbox, x0: word.bbox.x0 + i * step, x1: word.bbox.x0 + (i + 1) * step }, size, angle),
    text,
    confidence: confidence(word.confidence),
  }));
}

/** Pixel box → normalised, bottom-left-origin geometry, clamped to the image. */
function geometry(box: PixelBox, size: ImageSize, angleRadians: number): Geometry {
  const left = clamp01(Math.min(box.x0, box.x1) / size.width);
  const right = clamp01(Math.max(box.x0, box.x1) / size.width);
  // Flip y: a pixel row near the top of the image has a normalised y near 1.
  const top = clamp01(1 - Math.min(box.y0, box.y1) / size.height);
  const bottom = clamp01(1 - Math.max(box.y0, box.y1) / size.height);
  const bounding_box: BoundingBox = { x: left, y: bottom, width: right - left, height: top - bottom };
  return {
    bounding_box,
    top_left: { x: left, y: top },
    top_right: { x: right, y: top },
    bottom_left: { x: left, y: bottom },
    bottom_right: { x: right, y: bottom },
    angle_degrees: (angleRadians * 180) / Math.PI,
    angle_radians: angleRadians,
  };
}

/** Counter-clockwise angle of the baseline; pixel y grows downwards, hence the minus. */
function baselineAngle(baseline: PixelBox | null | undefined): number {
  if (!baseline) return 0;
  const dx = baseline.x1 - baseline.x0;
  const dy = baseline.y1 - baseline.y0;
  if (dx === 0 && dy === 0) return 0;
  const angle = Math.atan2(-dy, dx);
  return Object.is(angle, -0) ? 0 : angle;
}

/** tesseract reports 0..100; the core document wants 0..1. */
function confidence(value: number): number {
  return Number.isFinite(value) ? clamp01(value / 100) : 0;
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}
