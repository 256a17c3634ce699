import { createCanvas, type Canvas } from '@napi-rs/canvas';
import { receiptFontFamily } from './receipt-font.js';
import type { ReceiptSpec, RenderedReceipt } from './receipt-spec.js';

/** 26px DejaVu Sans Mono is the size tesseract was shown to read back character for character. */
const FONT_PX = 26;
const LINE_HEIGHT = 38;
const MARGIN = 28;
const WIDTH = 640;
/** A blank line's worth of space between receipt sections. */
const GAP = LINE_HEIGHT / 2;

type Row = { left: string; right?: string } | 'gap';

/**
 * Draws the receipt black on white, one text row per printed line, prices right-aligned.
 * No separators or logos: dashes and art only give OCR noise to trip over.
 */
export async function renderReceipt(spec: ReceiptSpec): Promise<RenderedReceipt> {
  const canvas = drawReceipt(spec);
  const png = canvas.toBuffer('image/png');
  return {
    png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength),
    width: canvas.width,
    height: canvas.height,
  };
}

/**
 * The same receipt as a JPEG, for flows that must see a camera-style file (`receipt1.jpg`).
 *
 * @example
 * const jpeg = await renderReceiptJpeg(demoReceipts()[0].spec);
 */
export async function renderReceiptJpeg(spec: ReceiptSpec, quality = 92): Promise<Uint8Array> {
  const jpeg = drawReceipt(spec).toBuffer('image/jpeg', quality);
  return new Uint8Array(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength);
}

/**
 * A white page with nothing printed on it: what a photo of the back of a receipt, or a scan
 * of an empty page, gives OCR. The pipeline must end it as FAILED ("no text found").
 *
 * @example
 * const png = renderBlankPage(640, 900);
 */
export function renderBlankPage(width: number, height: number): Uint8Array {
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  g.fillStyle = 'white';
  g.fillRect(0, 0, width, height);
  const png = canvas.toBuffer('image/png');
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

/** The receipt drawn on its own canvas (white paper, black text), for composing pages. */
export function drawReceipt(spec: ReceiptSpec): Canvas {
  const rows = layout(spec);
  const height = Math.ceil(MARGIN * 2 + rows.reduce((h, row) => h + (row === 'gap' ? GAP : LINE_HEIGHT), 0));
  const canvas = createCanvas(WIDTH, height);
  const g = canvas.getContext('2d');
  g.fillStyle = 'white';
  g.fillRect(0, 0, WIDTH, height);
  g.fillStyle = 'black';
  g.font = `${FONT_PX}px ${receiptFontFamily()}`;
  g.textBaseline = 'alphabetic';

  let y = MARGIN;
  for (const row of rows) {
    if (row === 'gap') {
      y += GAP;
      continue;
    }
    const baseline = y + FONT_PX;
    g.textAlign = 'left';
    g.fillText(row.left, MARGIN, baseline);
    if (row.right !== undefined) {
      g.textAlign = 'right';
      g.fillText(row.right, WIDTH - MARGIN, baseline);
    }
    y += LINE_HEIGHT;
  }
  return canvas;
}

function layout(spec: ReceiptSpec): Row[] {
  return [
    { left: spec.merchant_name },
    ...spec.address_lines.map((line) => ({ left: line })),
    { left: `TEL ${spec.phone}` },
    'gap',
    { left: `DATE ${spec.date}` },
    'gap',
    ...spec.items.map((item) => ({ left: item.name, right: money(item.price) })),
    'gap',
    { left: 'TOTAL', right: money(spec.total) },
    'gap',
    { left: 'THANK YOU' },
  ];
}

/** The text lines a receipt prints, top to bottom, as OCR should read them back. */
export function printedLines(spec: ReceiptSpec): string[] {
  return layout(spec)
    .filter((row): row is Exclude<Row, 'gap'> => row !== 'gap')
    .map((row) => (row.right === undefined ? row.left : `${row.left} ${row.right}`));
}

function money(dollars: number): string {
  return dollars.toFixed(2);
}
