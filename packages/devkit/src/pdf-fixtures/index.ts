/**
 * PDF receipts made in the test with pdf-lib, never downloaded: a page with a text layer (the
 * receipt's printed lines in Courier), a scanned page (the synthetic receipt PNG embedded as an
 * image, no text layer), either turned by `/Rotate`, several pages, and the bad ones (encrypted,
 * a page of 100,000 × 100,000 pt, too many pages; truncate one with `bytes.subarray`).
 *
 * @example
 * ```ts
 * import { receiptPdf } from '@receiptflow/devkit/pdf-fixtures';
 * const pdf = await receiptPdf([{ spec, kind: 'text' }, { spec: other, kind: 'scan' }]);
 * ```
 * @packageDocumentation
 */
import { PDFDocument, PDFHexString, PDFName, StandardFonts, degrees, type PDFFont } from 'pdf-lib';
import { printedLines, renderReceipt, type ReceiptSpec } from '@receiptflow/adapters-local/synthetic';

export interface PdfPageSpec {
  spec: ReceiptSpec;
  /** `text`: a text layer; `scan`: the rendered receipt as an image, no text at all. */
  kind: 'text' | 'scan';
  /**
   * The page's /Rotate. The content is drawn turned the other way, so that the page a viewer
   * shows (rotation applied) is the upright receipt: the case a scanner or a mail app produces.
   */
  rotate?: 0 | 90 | 180 | 270;
}

const FONT_SIZE = 10;
const LINE_HEIGHT = 14;
const MARGIN = 20;
const TEXT_PAGE_WIDTH = 260;
/** The synthetic receipt PNG is placed at 144 dpi (2 px a point). */
const SCAN_PIXELS_PER_POINT = 2;

/**
 * A PDF of one receipt per page, as described.
 *
 * @example
 * const pdf = await receiptPdf([{ spec, kind: 'text', rotate: 90 }]);
 */
export async function receiptPdf(
  pages: readonly PdfPageSpec[],
  options: { objectStreams?: boolean } = {},
): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Courier);
  for (const page of pages) {
    if (page.kind === 'text') addTextPage(doc, font, page);
    else await addScanPage(doc, page);
  }
  return doc.save({ useObjectStreams: options.objectStreams ?? true });
}

/** A drawing in the upright page's coordinates (origin bottom-left), whatever the /Rotate. */
type Place = (x: number, y: number) => { x: number; y: number; rotate: ReturnType<typeof degrees> };

/**
 * Adds a page whose upright size is `width` × `height` and returns how to place a point of the
 * upright page in the page's own (unrotated) user space, and the rotation to draw with.
 */
function uprightPage(doc: PDFDocument, width: number, height: number, rotate: number) {
  const sideways = rotate === 90 || rotate === 270;
  const page = doc.addPage(sideways ? [height, width] : [width, height]);
  page.setRotation(degrees(rotate));
  // The viewer turns the page clockwise by `rotate`; draw turned counter-clockwise by as much.
  const place: Place = (x, y) => {
    switch (rotate) {
      case 90:
        return { x: height - y, y: x, rotate: degrees(90) };
      case 180:
        return { x: width - x, y: height - y, rotate: degrees(180) };
      case 270:
        return { x: y, y: width - x, rotate: degrees(270) };
      default:
        return { x, y, rotate: degrees(0) };
    }
  };
  return { page, place };
}

function addTextPage(doc: PDFDocument, font: PDFFont, { spec, rotate = 0 }: PdfPageSpec): void {
  const lines = printedLines(spec);
  const height = MARGIN * 2 + lines.length * LINE_HEIGHT;
  const { page, place } = uprightPage(doc, TEXT_PAGE_WIDTH, height, rotate);
  lines.forEach((text, i) => {
    const at = place(MARGIN, height - MARGIN - (i + 1) * LINE_HEIGHT + 4);
    page.drawText(text, { ...at, size: FONT_SIZE, font });
  });
}

async function addScanPage(doc: PDFDocument, { spec, rotate = 0 }: PdfPageSpec): Promise<void> {
  const rendered = await renderReceipt(spec);
  const image = await doc.embedPng(rendered.png);
  const width = rendered.width / SCAN_PIXELS_PER_POINT;
  const height = rendered.height / SCAN_PIXELS_PER_POINT;
  const { page, place } = uprightPage(doc, width, height, rotate);
  const at = place(0, 0);
  page.drawImage(image, { ...at, width, height });
}

/**
 * A PDF whose trailer names a Standard security handler (RC4, 40-bit): a password-protected PDF
 * as far as any reader can tell. pdf-lib cannot encrypt, so the entry is written by hand.
 *
 * @example
 * const pdf = await encryptedPdf(spec);
 */
export async function encryptedPdf(spec: ReceiptSpec): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  addTextPage(doc, await doc.embedFont(StandardFonts.Courier), { spec, kind: 'text' });
  const encrypt = doc.context.obj({
    Filter: PDFName.of('Standard'),
    V: 1,
    R: 2,
    O: PDFHexString.of('5a'.repeat(32)),
    U: PDFHexString.of('a5'.repeat(32)),
    P: -44,
  });
  doc.context.trailerInfo.Encrypt = doc.context.register(encrypt);
  doc.context.trailerInfo.ID = doc.context.obj([PDFHexString.of('01'.repeat(16)), PDFHexString.of('01'.repeat(16))]);
  return doc.save({ useObjectStreams: false });
}

/**
 * A PDF of `pages` pages of `width` × `height` points (or one page per entry of `sizes`), each
 * with one line of text: for the page count and page size limits (`100_000 × 100_000` is the
 * bomb; nothing is drawn at that size).
 *
 * @example
 * const bomb = await blankPdf({ pages: 1, width: 100_000, height: 100_000 });
 * const bigSecond = await blankPdf({ sizes: [[200, 200], [20_000, 300]] });
 */
export async function blankPdf(options: {
  pages?: number;
  width?: number;
  height?: number;
  sizes?: readonly (readonly [number, number])[];
}): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Courier);
  const sizes =
    options.sizes ??
    Array.from({ length: options.pages ?? 1 }, () => [options.width ?? 200, options.height ?? 200] as const);
  sizes.forEach(([width, height], i) => {
    const page = doc.addPage([width, height]);
    page.drawText(`PAGE ${i + 1}`, { x: 10, y: 10, size: FONT_SIZE, font });
  });
  return doc.save();
}
