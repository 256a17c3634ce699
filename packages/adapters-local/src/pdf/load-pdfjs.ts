import { DOMMatrix, ImageData, Path2D } from '@napi-rs/canvas';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

let loaded: Promise<PdfJs> | undefined;

/**
 * pdf.js's legacy build (the one meant for Node), loaded once and only when a PDF arrives: a
 * worker that never sees a PDF never pays for its ~2 MB of code.
 *
 * pdf.js draws with DOMMatrix, Path2D and ImageData, which Node lacks. They are taken from the
 * same @napi-rs/canvas that the page is rendered on, before pdf.js looks for them (it only fills
 * in what is missing), so a Path2D built by pdf.js is one the canvas can draw.
 */
export function loadPdfJs(): Promise<PdfJs> {
  const g = globalThis as Record<string, unknown>;
  g.DOMMatrix ??= DOMMatrix;
  g.Path2D ??= Path2D;
  g.ImageData ??= ImageData;
  loaded ??= import('pdfjs-dist/legacy/build/pdf.mjs');
  return loaded;
}

/**
 * Where pdf.js's standard-font and CMap data live (files shipped in the package, read from disk,
 * never fetched): a text layer in a CJK font or one of the 14 standard fonts is read with them.
 */
export function pdfJsDataDirs(): { standardFontDataUrl: string; cMapUrl: string } {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('pdfjs-dist/package.json'));
  return { standardFontDataUrl: join(root, 'standard_fonts') + '/', cMapUrl: join(root, 'cmaps') + '/' };
}
