import type { PdfPageReader, PdfPageSize } from '@receiptflow/core';

type PdfLib = typeof import('pdf-lib');
let loaded: Promise<PdfLib> | undefined;

/**
 * Core's PdfPageReader on pdf-lib: parses the document (cross-reference streams and compressed
 * object streams included, which is where most PDFs keep their page tree) and reports each
 * page's visible box (its CropBox within its MediaBox, as pdf.js's `view`) scaled by /UserUnit.
 * Nothing is rendered, no script runs, no form is filled: only the page tree is walked.
 *
 * Why pdf-lib and not pdf.js (which the OCR step reads with): pdf.js in Node needs its worker
 * module too, ~1.7 MB minified together, over the upload Lambda's 1 MiB budget; pdf-lib is ~0.5 MB,
 * pure JavaScript, and is loaded only when a PDF arrives, so an upload Lambda's cold start that
 * sees no PDF never evaluates it.
 *
 * A file pdf-lib cannot parse gives null: the OCR step's pdf.js reader then decides (and refuses
 * with a reason), so a PDF pdf.js reads is never refused here for a pdf-lib quirk.
 *
 * @example
 * const deps = { ...submitDeps, pdfPages: new PdfLibPageReader() };
 * await submitJob(deps, { filename: 'x.pdf', contentType: 'application/pdf', body }); // 11 pages: ValidationError
 */
export class PdfLibPageReader implements PdfPageReader {
  async pageSizes(bytes: Uint8Array): Promise<PdfPageSize[] | null> {
    const { PDFDocument, PDFName, PDFNumber } = await (loaded ??= import('pdf-lib'));
    let doc;
    try {
      // Encryption is refused earlier by core's inspectPdf; the page tree itself is never encrypted.
      doc = await PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false });
    } catch {
      return null;
    }
    try {
      return doc.getPages().map((page) => {
        const media = page.getMediaBox();
        const crop = page.getCropBox();
        const unit = page.node.get(PDFName.of('UserUnit'));
        const scale = unit instanceof PDFNumber && unit.asNumber() > 0 ? unit.asNumber() : 1;
        return {
          width: overlap(media.x, media.width, crop.x, crop.width) * scale,
          height: overlap(media.y, media.height, crop.y, crop.height) * scale,
        };
      });
    } catch {
      return null;
    }
  }
}

/** The length of the overlap of two boxes' spans on one axis (either may have a negative extent). */
function overlap(a: number, aLength: number, b: number, bLength: number): number {
  const [a0, a1] = [Math.min(a, a + aLength), Math.max(a, a + aLength)];
  const [b0, b1] = [Math.min(b, b + bLength), Math.max(b, b + bLength)];
  return Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
}
