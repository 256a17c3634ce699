import { ValidationError } from '../errors.js';

export const PDF_CONTENT_TYPE = 'application/pdf';

/**
 * The largest PDF accepted, in bytes. E-receipts and invoices are tens of kilobytes; a scanned
 * page a few megabytes. Above this the file is refused at upload, before anything reads it.
 */
export const MAX_PDF_BYTES = 20 * 1024 * 1024;

/**
 * Pages read from one PDF: each page is a receipt, and an e-receipt or invoice is a page or two.
 * A PDF with more pages is refused whole (never half-processed) by the step that reads it.
 */
export const MAX_PDF_PAGES = 10;

/**
 * The largest page side, in points: 14,400 pt (200 inches) is the PDF specification's own limit
 * on a page (ISO 32000-1, annex C). A page declaring more (a 100,000 × 100,000 pt "bomb") is
 * refused before it is rendered or its text is read.
 */
export const MAX_PDF_PAGE_POINTS = 14_400;

/** The PDF header magic: every PDF starts with it. */
const MAGIC = '%PDF-';
/** Readers look for the end-of-file marker in the last kilobyte (as Acrobat does). */
const TAIL_BYTES = 1024;

export interface PdfInfo {
  contentType: typeof PDF_CONTENT_TYPE;
  /** The header's version, e.g. "1.7". */
  version: string;
  sizeBytes: number;
}

export interface InspectPdfOptions {
  /** Refuse PDFs above this many bytes, default {@link MAX_PDF_BYTES}. */
  maxBytes?: number;
}

/** True when the bytes are a PDF by content (they start with `%PDF-`), whatever was declared. */
export function isPdf(bytes: Uint8Array): boolean {
  return startsWithAscii(bytes, MAGIC);
}

/**
 * Checks what can be checked of a PDF without parsing it (pure, linear in its size, so the
 * upload path refuses a bad file before storing or queueing it):
 * - the header (`%PDF-<version>`): anything else is not a PDF;
 * - its size, at most {@link MAX_PDF_BYTES};
 * - the end: `startxref` and `%%EOF` in the last kilobyte, else it is truncated;
 * - encryption: an `/Encrypt` entry (in the trailer or the cross-reference stream, which are
 *   never compressed) means the content cannot be read without a password we do not have.
 *
 * Page count and page size need the document parsed (most PDFs keep their page tree in compressed
 * object streams): the upload path reads them through a PdfPageReader port and
 * {@link checkPdfPages}; the PDF reader of the OCR step checks them again before reading any page.
 * Throws ValidationError naming the problem.
 *
 * @example
 * inspectPdf(bytes); // { contentType: 'application/pdf', version: '1.7', sizeBytes: 1109 }
 * inspectPdf(bytes.subarray(0, 500)); // ValidationError: PDF is truncated (no %%EOF at its end)
 */
export function inspectPdf(bytes: Uint8Array, options: InspectPdfOptions = {}): PdfInfo {
  const maxBytes = options.maxBytes ?? MAX_PDF_BYTES;
  if (!isPdf(bytes)) throw new ValidationError('body is not a PDF (no %PDF- header)');
  if (bytes.length > maxBytes) {
    throw new ValidationError(
      `PDF is ${mib(bytes.length)} MiB, above the ${mib(maxBytes)} MiB limit for a receipt or invoice`,
    );
  }
  const version = /^\d\.\d/.exec(ascii(bytes, MAGIC.length, 3))?.[0];
  if (version === undefined) throw new ValidationError('PDF is malformed (no version in its %PDF- header)');
  const tail = bytes.subarray(Math.max(0, bytes.length - TAIL_BYTES));
  if (indexOfAscii(tail, '%%EOF') < 0 || indexOfAscii(tail, 'startxref') < 0) {
    throw new ValidationError('PDF is truncated (no startxref and %%EOF at its end)');
  }
  if (hasEncryptEntry(bytes)) {
    throw new ValidationError('PDF is encrypted (password-protected); send it without a password');
  }
  return { contentType: PDF_CONTENT_TYPE, version, sizeBytes: bytes.length };
}

export interface CheckPdfPagesOptions {
  /** Refuse PDFs with more pages than this, default {@link MAX_PDF_PAGES}. */
  maxPages?: number;
  /** Refuse a page with a side above this many points, default {@link MAX_PDF_PAGE_POINTS}. */
  maxPagePoints?: number;
}

/**
 * The page limits, applied to page sizes read from a parsed PDF (by a PdfPageReader at upload,
 * by the OCR step's reader before it reads a page): no pages, more than {@link MAX_PDF_PAGES}, a
 * page without area or with a side above {@link MAX_PDF_PAGE_POINTS} is a ValidationError naming
 * the count and the limit, or the page number and its size in points.
 *
 * @example
 * checkPdfPages([{ width: 612, height: 792 }]); // fine
 * checkPdfPages([{ width: 100_000, height: 100_000 }]);
 * // ValidationError: PDF page 1 is 100,000 × 100,000 pt, above the 14400 pt (200 in) limit on a page side
 */
export function checkPdfPages(
  pages: readonly { width: number; height: number }[],
  options: CheckPdfPagesOptions = {},
): void {
  const maxPages = options.maxPages ?? MAX_PDF_PAGES;
  const maxPagePoints = options.maxPagePoints ?? MAX_PDF_PAGE_POINTS;
  if (pages.length < 1) throw new ValidationError('PDF has no pages');
  if (pages.length > maxPages) {
    throw new ValidationError(`PDF has ${pages.length} pages, at most ${maxPages} are read (one receipt each)`);
  }
  pages.forEach(({ width, height }, i) => {
    if (!(width > 0 && height > 0))
      throw new ValidationError(`PDF page ${i + 1} has no area (${width} × ${height} pt)`);
    if (width > maxPagePoints || height > maxPagePoints) {
      throw new ValidationError(
        `PDF page ${i + 1} is ${points(width)} × ${points(height)} pt, above the ${maxPagePoints} pt (200 in) limit on a page side`,
      );
    }
  });
}

function points(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** An `/Encrypt` name followed by a delimiter or space (not `/EncryptMetadata`). */
function hasEncryptEntry(bytes: Uint8Array): boolean {
  for (let at = indexOfAscii(bytes, '/Encrypt'); at >= 0; at = indexOfAscii(bytes, '/Encrypt', at + 1)) {
    const next = bytes[at + '/Encrypt'.length];
    if (next === undefined || !isRegularCharacter(next)) return true;
  }
  return false;
}

/** A PDF "regular" character: anything but whitespace and the delimiters ()<>[]{}/%. */
function isRegularCharacter(byte: number): boolean {
  if (byte === 0 || byte === 9 || byte === 10 || byte === 12 || byte === 13 || byte === 32) return false;
  return !'()<>[]{}/%'.includes(String.fromCharCode(byte));
}

function startsWithAscii(bytes: Uint8Array, text: string): boolean {
  if (bytes.length < text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[i] !== text.charCodeAt(i)) return false;
  return true;
}

function indexOfAscii(bytes: Uint8Array, text: string, from = 0): number {
  const first = text.charCodeAt(0);
  const last = bytes.length - text.length;
  outer: for (let i = bytes.indexOf(first, from); i >= 0 && i <= last; i = bytes.indexOf(first, i + 1)) {
    for (let j = 1; j < text.length; j++) if (bytes[i + j] !== text.charCodeAt(j)) continue outer;
    return i;
  }
  return -1;
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

function mib(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}
