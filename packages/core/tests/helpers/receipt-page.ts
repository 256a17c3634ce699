import type { Geometry, OcrDocument, OcrLine, OcrWord, Point } from '../../src/index.js';

/** Monospace print: character width, text height and row pitch, in pixels. */
export const CHAR_PX = 15;
export const TEXT_PX = 20;
export const PITCH_PX = 36;

/**
 * One receipt on the page. Each printed row is a string: `''` is a blank row; `>` splits a row
 * into a left part and a part right-aligned at `columns` characters (`'BANANAS>1.29'`); `<` puts
 * a narrow left column before the text (`'2<BANANAS>2.58'` for quantity, item, price).
 */
export interface PagedReceipt {
  rows: readonly string[];
  /** Page pixels from the left edge to the receipt's first character. */
  left: number;
  /** Page pixels from the TOP edge to the receipt's first row. */
  top: number;
  /** Counter-clockwise turn about the receipt's centre, degrees. Default 0. */
  degrees?: number;
  /** Print width in characters, where right-aligned parts end. Default 32. */
  columns?: number;
}

export interface PageOptions {
  width: number;
  height: number;
  /**
   * `corners` reports each box's true turned corners (Apple Vision); `envelope` reports the
   * axis-aligned envelope plus the angle (tesseract). Default `envelope`.
   */
  style?: 'corners' | 'envelope';
  /**
   * Merge text of different receipts whose rows line up into one OCR line, as tesseract does
   * with receipts side by side. Default false (one line per receipt row).
   */
  mergeRowsAcross?: boolean;
  confidence?: number;
}

interface Placed {
  text: string;
  receipt: number;
  /** Page pixel corners, origin bottom-left. */
  corners: { tl: Point; tr: Point; bl: Point; br: Point };
  centre: Point;
  degrees: number;
  /** The printed row's top, in page pixels before the receipt's turn. */
  rowTop: number;
}

function segmentsOf(row: string, columns: number): { col: number; text: string }[] {
  const out: { col: number; text: string }[] = [];
  let rest = row;
  let start = 0;
  const lt = rest.indexOf('<');
  if (lt >= 0) {
    out.push({ col: 0, text: rest.slice(0, lt) });
    start = lt + 2;
    rest = rest.slice(lt + 1);
  }
  const [left, right] = rest.split('>');
  if (left) out.push({ col: start, text: left });
  if (right) out.push({ col: columns - right.length, text: right });
  return out;
}

function place(receipt: PagedReceipt, index: number, pageHeight: number): Placed[] {
  const columns = receipt.columns ?? 32;
  const rad = ((receipt.degrees ?? 0) * Math.PI) / 180;
  // Receipt centre in page pixels (y up), for the turn.
  const cx = receipt.left + (columns * CHAR_PX) / 2;
  const cy = pageHeight - receipt.top - (receipt.rows.length * PITCH_PX) / 2;
  const turn = (p: Point): Point => {
    const dx = p.x - cx;
    const dy = p.y - cy;
    return { x: cx + dx * Math.cos(rad) - dy * Math.sin(rad), y: cy + dx * Math.sin(rad) + dy * Math.cos(rad) };
  };
  const placed: Placed[] = [];
  receipt.rows.forEach((row, r) => {
    const topY = pageHeight - receipt.top - r * PITCH_PX;
    for (const seg of segmentsOf(row, columns)) {
      // Each space-separated word of the segment is its own word box.
      let col = seg.col;
      for (const word of seg.text.split(' ')) {
        if (word.length > 0) {
          const x0 = receipt.left + col * CHAR_PX;
          const x1 = x0 + word.length * CHAR_PX;
          const corners = {
            tl: turn({ x: x0, y: topY }),
            tr: turn({ x: x1, y: topY }),
            bl: turn({ x: x0, y: topY - TEXT_PX }),
            br: turn({ x: x1, y: topY - TEXT_PX }),
          };
          placed.push({
            text: word,
            receipt: index,
            corners,
            centre: turn({ x: (x0 + x1) / 2, y: topY - TEXT_PX / 2 }),
            degrees: receipt.degrees ?? 0,
            rowTop: topY,
          });
        }
        col += word.length + 1;
      }
    }
  });
  return placed;
}

function geometryOf(
  points: Point[],
  degrees: number,
  style: 'corners' | 'envelope',
  size: { width: number; height: number },
  tight?: Placed['corners'],
): Geometry {
  const norm = (p: Point): Point => ({ x: p.x / size.width, y: p.y / size.height });
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const y0 = Math.min(...ys);
  const y1 = Math.max(...ys);
  const rad = (degrees * Math.PI) / 180;
  const box = {
    x: x0 / size.width,
    y: y0 / size.height,
    width: (x1 - x0) / size.width,
    height: (y1 - y0) / size.height,
  };
  if (style === 'corners' && tight) {
    return {
      bounding_box: box,
      top_left: norm(tight.tl),
      top_right: norm(tight.tr),
      bottom_left: norm(tight.bl),
      bottom_right: norm(tight.br),
      angle_degrees: degrees,
      angle_radians: rad,
    };
  }
  return {
    bounding_box: box,
    top_left: norm({ x: x0, y: y1 }),
    top_right: norm({ x: x1, y: y1 }),
    bottom_left: norm({ x: x0, y: y0 }),
    bottom_right: norm({ x: x1, y: y0 }),
    angle_degrees: degrees,
    angle_radians: rad,
  };
}

/**
 * An OCR document of receipts printed in a monospace font and laid on one page, with exact
 * geometry: the ground truth an OCR engine would approximate. Word text carries no marker of
 * its receipt; tests find receipts by their printed content.
 */
export function receiptPage(receipts: readonly PagedReceipt[], options: PageOptions): OcrDocument {
  const style = options.style ?? 'envelope';
  const size = { width: options.width, height: options.height };
  const confidence = options.confidence ?? 0.9;
  const words = receipts.flatMap((r, i) => place(r, i, options.height));
  // Lines: the words of one printed row; with mergeRowsAcross, of every receipt's row at that height.
  const rows: Placed[][] = [];
  for (const w of words) {
    const sameRow = (o: Placed) =>
      (options.mergeRowsAcross || o.receipt === w.receipt) && Math.abs(o.rowTop - w.rowTop) < 1;
    const row = rows.find((r) => r.some(sameRow));
    if (row) row.push(w);
    else rows.push([w]);
  }
  const lines: OcrLine[] = rows.map((row) => {
    row.sort((a, b) => a.centre.x - b.centre.x);
    const degrees = row[0]!.degrees;
    const ocrWords: OcrWord[] = row.map((w) => ({
      text: w.text,
      confidence,
      letters: [],
      ...geometryOf(Object.values(w.corners), w.degrees, style, size, w.corners),
    }));
    const all = row.flatMap((w) => Object.values(w.corners));
    const first = row[0]!.corners;
    const last = row[row.length - 1]!.corners;
    return {
      text: row.map((w) => w.text).join(' '),
      confidence,
      words: ocrWords,
      ...geometryOf(all, degrees, style, size, { tl: first.tl, bl: first.bl, tr: last.tr, br: last.br }),
    };
  });
  return { engine: 'synthetic', image_width: options.width, image_height: options.height, lines };
}

/** Rows of a typical till receipt: header, items with right-aligned prices, total, footer. */
export function tillReceipt(name: string, items: ReadonlyArray<readonly [string, string]>, total: string): string[] {
  return [
    name,
    '12 MARKET STREET',
    'SPRINGFIELD, IL 62701',
    'TEL (217) 555-0100',
    '',
    'DATE 03/14/2024',
    '',
    ...items.map(([item, price]) => `${item}>${price}`),
    '',
    `TOTAL>${total}`,
    '',
    'THANK YOU',
  ];
}
