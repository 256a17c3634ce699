import type { Geometry, ImageType } from '../domain/index.js';
import { clusterReceipts, type LayoutUnit } from './cluster-receipts.js';
import { boxGeometry, enclosingBox, orientedBox, type PixelSize } from './oriented-box.js';
import { imageFrame, uprightFrame, type ReceiptFrame } from './receipt-frame.js';

/** A word as layout needs it: text and geometry in the image's frame. */
export interface LayoutWord {
  text: string;
  geometry: Geometry;
}

/** An OCR line as layout needs it. */
export interface LayoutLine {
  text: string;
  geometry: Geometry;
  words: readonly LayoutWord[];
}

/** The part of one OCR line that belongs to a receipt. */
export interface LinePart {
  /** Index of the OCR line. */
  line: number;
  /** Indices of its words in this receipt, ascending; empty for a line without words. */
  words: number[];
}

/** One receipt found in an image: where it is, and which OCR text is its own. */
export interface ReceiptPlan {
  frame: ReceiptFrame;
  /** In OCR line order. An OCR line that ran across two receipts appears in both, split. */
  parts: LinePart[];
}

/**
 * Decides how many receipts an image holds and what each one is (pure; the routing step acts):
 *
 * - Words, not lines, are clustered ({@link clusterReceipts}): tesseract reads a row of two
 *   receipts side by side as ONE line, so a line can be split between receipts.
 * - Every image type is clustered. The type is a guess from the same geometry, and a clean
 *   flatbed scan often looks NATIVE, an askew one PHOTO; a single receipt stays single either way.
 * - Each receipt's frame ({@link uprightFrame}) is its text's region, cropped and turned
 *   upright, except for a NATIVE image holding one receipt: a screenshot or PDF is the receipt,
 *   so its frame is the image itself and geometry is kept as the engine reported it.
 *
 * Returns no plan for an image without text.
 *
 * @example
 * const plans = planReceipts(lines, { width: doc.image_width, height: doc.image_height }, 'SCAN');
 * plans.length; // the routing decision's receipt_count
 */
export function planReceipts(lines: readonly LayoutLine[], image: PixelSize, imageType: ImageType): ReceiptPlan[] {
  const units: (LayoutUnit & { line: number; word: number | null })[] = [];
  lines.forEach((line, li) => {
    if (line.words.length === 0) {
      units.push({ box: orientedBox(line.geometry, image), text: line.text, line: li, word: null });
    } else {
      line.words.forEach((w, wi) =>
        units.push({ box: orientedBox(w.geometry, image), text: w.text, line: li, word: wi }),
      );
    }
  });
  const groups = clusterReceipts(units);
  return groups.map((members) => {
    const byLine = new Map<number, number[]>();
    for (const m of members) {
      const unit = units[m]!;
      const words = byLine.get(unit.line) ?? [];
      if (unit.word !== null) words.push(unit.word);
      byLine.set(unit.line, words);
    }
    const parts = [...byLine.entries()]
      .sort(([a], [b]) => a - b)
      .map(([line, words]) => ({ line, words: words.sort((a, b) => a - b) }));
    const frame =
      imageType === 'NATIVE' && groups.length === 1
        ? imageFrame(image)
        : uprightFrame(
            members.map((m) => units[m]!.box),
            image,
          );
    return { frame, parts };
  });
}

/**
 * The geometry of a line's part (image frame): the line's own when the part is the whole line,
 * else the box around its words, turned like the line.
 */
export function partGeometry(line: LayoutLine, part: LinePart, image: PixelSize): Geometry {
  if (part.words.length === 0 || part.words.length === line.words.length) return line.geometry;
  const angle = orientedBox(line.geometry, image).angle;
  const boxes = part.words.map((i) => orientedBox(line.words[i]!.geometry, image));
  return boxGeometry(enclosingBox(boxes, angle), image);
}
