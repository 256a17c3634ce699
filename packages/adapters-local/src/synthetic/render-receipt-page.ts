import { createCanvas } from '@napi-rs/canvas';
import { drawReceipt } from './render-receipt.js';
import type { ReceiptSpec, RenderedReceipt } from './receipt-spec.js';

/** One receipt laid on the page. */
export interface PagePlacement {
  spec: ReceiptSpec;
  /** Counter-clockwise, in degrees, the way the OCR document measures angles. Default 0. */
  rotate_degrees?: number;
  /** Pixels this receipt sits lower than the page's top margin (receipts rarely line up). Default 0. */
  drop?: number;
}

/** Receipts laid side by side, left to right, on a flatbed-like background. */
export interface ReceiptPageLayout {
  receipts: PagePlacement[];
  /** Pixels between the receipts' (rotated) footprints. Default 48. */
  gap?: number;
  /** Pixels around the whole group. Default 40. */
  margin?: number;
  /** CSS colour around the paper. Default a light grey, like a scanner lid. */
  background?: string;
}

/** Where one receipt landed, in pixels with the origin at the page's top-left (y down). */
export interface PlacedReceipt {
  center: { x: number; y: number };
  /** The receipt's own, unrotated size. */
  width: number;
  height: number;
  rotate_degrees: number;
}

/** A rendered page: PNG bytes and size, plus where each receipt was drawn (ground truth). */
export interface RenderedPage extends RenderedReceipt {
  receipts: PlacedReceipt[];
}

const DEFAULT_GAP = 48;
const DEFAULT_MARGIN = 40;
const DEFAULT_BACKGROUND = '#d4d4d4';

/**
 * Several receipts on one page, the way a shoebox gets scanned: side by side, each possibly
 * askew and at its own height. One placement with a rotation gives a tilted single receipt,
 * like a hand-held photo.
 *
 * @example
 * const page = await renderReceiptPage({
 *   receipts: [{ spec: a }, { spec: b, drop: 57, rotate_degrees: -2 }],
 * });
 * await writeFile('page.png', page.png);
 */
export async function renderReceiptPage(layout: ReceiptPageLayout): Promise<RenderedPage> {
  if (layout.receipts.length === 0) throw new RangeError('renderReceiptPage: at least one receipt is needed');
  const gap = layout.gap ?? DEFAULT_GAP;
  const margin = layout.margin ?? DEFAULT_MARGIN;
  const drawn = layout.receipts.map((p) => {
    const canvas = drawReceipt(p.spec);
    const degrees = p.rotate_degrees ?? 0;
    const radians = (degrees * Math.PI) / 180;
    const c = Math.abs(Math.cos(radians));
    const s = Math.abs(Math.sin(radians));
    // The axis-aligned footprint of the rotated paper.
    const footprint = { width: canvas.width * c + canvas.height * s, height: canvas.width * s + canvas.height * c };
    return { canvas, degrees, radians, drop: p.drop ?? 0, footprint };
  });
  const width = Math.ceil(margin * 2 + drawn.reduce((w, d) => w + d.footprint.width, 0) + gap * (drawn.length - 1));
  const height = Math.ceil(margin * 2 + Math.max(...drawn.map((d) => d.drop + d.footprint.height)));

  const page = createCanvas(width, height);
  const g = page.getContext('2d');
  g.fillStyle = layout.background ?? DEFAULT_BACKGROUND;
  g.fillRect(0, 0, width, height);
  const placed: PlacedReceipt[] = [];
  let left = margin;
  for (const d of drawn) {
    const center = { x: left + d.footprint.width / 2, y: margin + d.drop + d.footprint.height / 2 };
    g.save();
    g.translate(center.x, center.y);
    // Canvas y grows downwards, so a counter-clockwise turn is a negative canvas angle.
    g.rotate(-d.radians);
    g.drawImage(d.canvas, -d.canvas.width / 2, -d.canvas.height / 2);
    g.restore();
    placed.push({ center, width: d.canvas.width, height: d.canvas.height, rotate_degrees: d.degrees });
    left += d.footprint.width + gap;
  }
  const png = page.toBuffer('image/png');
  return { png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength), width, height, receipts: placed };
}
