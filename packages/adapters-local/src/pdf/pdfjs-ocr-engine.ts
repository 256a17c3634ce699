import { createCanvas } from '@napi-rs/canvas';
import {
  DEFAULT_MAX_PIXELS,
  MAX_PDF_PAGE_POINTS,
  MAX_PDF_PAGES,
  ValidationError,
  inspectPdf,
  isPdf,
  type OcrDocument,
  type OcrEngine,
  type OcrPage,
} from '@receiptflow/core';
import { loadPdfJs, pdfJsDataDirs } from './load-pdfjs.js';
import { textLayerLines, type TextLayerItem } from './text-layer-lines.js';

export interface PdfJsOcrEngineConfig {
  /** Refuse PDFs with more pages than this, default core's {@link MAX_PDF_PAGES}. */
  maxPages?: number;
  /** Refuse a page with a side above this many points, default core's {@link MAX_PDF_PAGE_POINTS}. */
  maxPagePoints?: number;
  /** Refuse PDFs above this many bytes, default core's MAX_PDF_BYTES. */
  maxBytes?: number;
  /** Resolution a page without a text layer is rendered at for OCR, default 200 dpi. */
  renderDpi?: number;
  /**
   * The most pixels one rendered page may have, default 16 MP (64 MB of RGBA): a larger page is
   * rendered at a lower resolution, never at a larger size.
   */
  maxRenderPixels?: number;
  /** Largest image inside a PDF that pdf.js decodes, in pixels, default 50 MP like an upload. */
  maxImagePixels?: number;
  /** Each step on a page (open, read text, render) must finish within this, default 60 s. */
  stepTimeoutMs?: number;
}

/** What a rendered page is OCR'd as: lossless, and every engine reads PNG. */
const RENDER_TYPE = 'image/png';
const POINTS_PER_INCH = 72;

/**
 * OcrEngine for PDFs in front of an image OCR engine: bytes that are a PDF by content (`%PDF-`)
 * are read here, anything else goes to `ocr` untouched (so a JPEG still reaches Apple Vision as
 * it is). Each page becomes a page of the OCR document (`pages`, one receipt each):
 *
 * - a page with a text layer: its lines and words straight from that layer, through pdf.js,
 *   with no OCR at all (`text_source: 'text_layer'`);
 * - a page without one: rendered with pdf.js onto an @napi-rs/canvas and OCR'd by `ocr`
 *   (`text_source: 'ocr'`).
 *
 * Geometry is in the upright page: the page's /Rotate is applied (the viewport turns both the
 * text layer and the rendering), so boxes fit the page as a viewer shows it.
 *
 * Nothing in the PDF is executed: pdf.js's scripting sandbox is never loaded (forms and document
 * JavaScript do not run), `isEvalSupported: false` keeps it from compiling PDF functions with
 * `new Function`, XFA forms are off, and no font, CMap or URL is fetched (data files come from
 * the package on disk). Bounded: the whole file is checked first (core's inspectPdf: truncated,
 * encrypted, too big); then every page's size is checked before any page is read, the page count
 * before that; a rendering is capped in pixels, embedded images are capped in pixels, and every
 * step on a page has a deadline. A refusal is a ValidationError naming the problem (the OCR step
 * marks the job FAILED with it and dead-letters the message).
 *
 * @example
 * const tesseract = new TesseractOcrEngine();
 * const ocr = new PdfJsOcrEngine(tesseract, { maxPages: 10 });
 * const doc = await ocr.recognize(pdfBytes);
 * doc.pages?.map((p) => [p.page, p.text_source]); // [[1, 'text_layer'], [2, 'ocr']]
 */
export class PdfJsOcrEngine implements OcrEngine {
  readonly name: string;
  private readonly maxPages: number;
  private readonly maxPagePoints: number;
  private readonly renderDpi: number;
  private readonly maxRenderPixels: number;
  private readonly maxImagePixels: number;
  private readonly stepTimeoutMs: number;
  /** Pages OCR'd by the image engine since this engine was made (a text layer costs none). */
  private ocrPages = 0;

  /**
   * @example
   * const ocr = new PdfJsOcrEngine(new TesseractOcrEngine(), { renderDpi: 200, stepTimeoutMs: 60_000 });
   */
  constructor(
    private readonly ocr: OcrEngine,
    private readonly config: PdfJsOcrEngineConfig = {},
  ) {
    this.name = `${ocr.name}+pdf.js`;
    this.maxPages = config.maxPages ?? MAX_PDF_PAGES;
    this.maxPagePoints = config.maxPagePoints ?? MAX_PDF_PAGE_POINTS;
    this.renderDpi = config.renderDpi ?? 200;
    this.maxRenderPixels = config.maxRenderPixels ?? 16_000_000;
    this.maxImagePixels = config.maxImagePixels ?? DEFAULT_MAX_PIXELS;
    this.stepTimeoutMs = config.stepTimeoutMs ?? 60_000;
  }

  /** Pages this engine rendered and sent to the image OCR engine so far. */
  get pagesOcrd(): number {
    return this.ocrPages;
  }

  /** A PDF is read here (ValidationError when refused); any other bytes go to the image engine. */
  async recognize(bytes: Uint8Array): Promise<OcrDocument> {
    if (!isPdf(bytes)) return this.ocr.recognize(bytes);
    inspectPdf(bytes, this.config.maxBytes === undefined ? {} : { maxBytes: this.config.maxBytes });
    const pdfjs = await loadPdfJs();
    const task = pdfjs.getDocument({
      // pdf.js takes ownership of (detaches) the buffer it is given: hand it a copy.
      data: new Uint8Array(bytes),
      isEvalSupported: false,
      enableXfa: false,
      disableFontFace: true,
      useSystemFonts: false,
      useWorkerFetch: false,
      isOffscreenCanvasSupported: false,
      isImageDecoderSupported: false,
      maxImageSize: this.maxImagePixels,
      ...pdfJsDataDirs(),
      cMapPacked: true,
      verbosity: pdfjs.VerbosityLevel.ERRORS,
    });
    try {
      const pdf = await this.step(task.promise, 'open the PDF', () => void task.destroy());
      if (pdf.numPages < 1) throw new ValidationError('PDF has no pages');
      if (pdf.numPages > this.maxPages) {
        throw new ValidationError(
          `PDF has ${pdf.numPages} pages, at most ${this.maxPages} are read (one receipt each)`,
        );
      }
      // Every page's size is checked before any page is read or rendered.
      const pages = [];
      for (let n = 1; n <= pdf.numPages; n++) {
        const page = await this.step(pdf.getPage(n), `open page ${n}`);
        const [x0, y0, x1, y1] = page.view as [number, number, number, number];
        const width = Math.abs(x1 - x0) * page.userUnit;
        const height = Math.abs(y1 - y0) * page.userUnit;
        if (!(width > 0 && height > 0))
          throw new ValidationError(`PDF page ${n} has no area (${width} × ${height} pt)`);
        if (width > this.maxPagePoints || height > this.maxPagePoints) {
          throw new ValidationError(
            `PDF page ${n} is ${fmt(width)} × ${fmt(height)} pt, above the ${this.maxPagePoints} pt (200 in) limit on a page side`,
          );
        }
        pages.push(page);
      }
      const read: OcrPage[] = [];
      for (const page of pages) read.push(await this.readPage(pdfjs, page));
      const first = read[0]!;
      const engines = [...new Set(read.map((p) => p.engine))];
      return {
        engine: engines.join('+'),
        image_width: first.image_width,
        image_height: first.image_height,
        lines: [],
        pages: read,
      };
    } catch (error) {
      throw asValidationError(error);
    } finally {
      await task.destroy().catch(() => undefined);
    }
  }

  private async readPage(pdfjs: Awaited<ReturnType<typeof loadPdfJs>>, page: PdfPage): Promise<OcrPage> {
    const n = page.pageNumber;
    const rotation = normaliseRotation(page.rotate);
    const viewport = page.getViewport({ scale: page.userUnit });
    const content = await this.step(page.getTextContent(), `read the text of page ${n}`);
    const items = content.items.filter((i): i is TextLayerItem & (typeof content.items)[number] => 'str' in i);
    if (items.some((i) => i.str.trim() !== '')) {
      return {
        page: n,
        image_width: Math.max(1, Math.round(viewport.width)),
        image_height: Math.max(1, Math.round(viewport.height)),
        rotation,
        text_source: 'text_layer',
        engine: 'pdf.js',
        lines: textLayerLines(items, viewport),
      };
    }
    const png = await this.render(pdfjs, page);
    this.ocrPages++;
    // The image engine's own errors (an outage) keep their meaning: not re-labelled as a bad PDF.
    let doc: OcrDocument;
    try {
      doc = await this.ocr.recognize(png);
    } catch (error) {
      throw new OcrEngineFailure(error);
    }
    return {
      page: n,
      image_width: doc.image_width,
      image_height: doc.image_height,
      rotation,
      text_source: 'ocr',
      engine: doc.engine,
      lines: doc.lines,
    };
  }

  /** The upright page as PNG, at {@link PdfJsOcrEngineConfig.renderDpi} unless that exceeds the pixel cap. */
  private async render(pdfjs: Awaited<ReturnType<typeof loadPdfJs>>, page: PdfPage): Promise<Uint8Array> {
    const upright = page.getViewport({ scale: page.userUnit });
    const wanted = this.renderDpi / POINTS_PER_INCH;
    const capped = Math.sqrt(this.maxRenderPixels / (upright.width * upright.height));
    const viewport = page.getViewport({ scale: page.userUnit * Math.min(wanted, capped) });
    const canvas = createCanvas(Math.max(1, Math.floor(viewport.width)), Math.max(1, Math.floor(viewport.height)));
    const context = canvas.getContext('2d');
    context.fillStyle = 'white';
    context.fillRect(0, 0, canvas.width, canvas.height);
    const task = page.render({
      canvas: canvas as unknown as Parameters<PdfPage['render']>[0]['canvas'],
      viewport,
      // Appearance streams of annotations are drawn as printed; forms are not made interactive.
      annotationMode: pdfjs.AnnotationMode.ENABLE,
      background: 'white',
    });
    await this.step(task.promise, `render page ${page.pageNumber}`, () => task.cancel());
    const png = canvas.toBuffer(RENDER_TYPE);
    page.cleanup();
    return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
  }

  /** `work` within the step deadline; on expiry `abandon` stops it and the PDF is refused. */
  private async step<T>(work: Promise<T>, what: string, abandon?: () => void): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    let overdue: ValidationError | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        overdue = new ValidationError(`PDF took longer than ${this.stepTimeoutMs / 1000} s to ${what}`);
        reject(overdue);
        // Cancelling rejects `work` too (pdf.js's RenderingCancelledException), sometimes synchronously;
        // the deadline is the reason, so that rejection must never be the one reported.
        abandon?.();
      }, this.stepTimeoutMs);
    });
    try {
      return await Promise.race([work, expired]);
    } catch (error) {
      throw overdue ?? error;
    } finally {
      clearTimeout(timer);
      work.catch(() => undefined);
    }
  }
}

type PdfPage = Awaited<
  ReturnType<Awaited<ReturnType<Awaited<ReturnType<typeof loadPdfJs>>['getDocument']>['promise']>['getPage']>
>;

/** Wraps an error of the image OCR engine so the PDF error mapping lets it through unchanged. */
class OcrEngineFailure extends Error {
  constructor(readonly original: unknown) {
    super('image OCR engine failed');
  }
}

function normaliseRotation(rotate: number): OcrPage['rotation'] {
  const r = (((Math.round(rotate / 90) * 90) % 360) + 360) % 360;
  return r as OcrPage['rotation'];
}

/** pdf.js's exceptions (malformed structure, a password, bad streams) as a named refusal. */
function asValidationError(error: unknown): unknown {
  if (error instanceof OcrEngineFailure) return error.original;
  if (error instanceof ValidationError) return error;
  const name = error instanceof Error ? error.name : '';
  const text = error instanceof Error ? error.message : String(error);
  if (name === 'PasswordException') {
    return new ValidationError('PDF is encrypted (password-protected); send it without a password', [], {
      cause: error,
    });
  }
  return new ValidationError('PDF is malformed and cannot be read', [text], { cause: error });
}

function fmt(points: number): string {
  return Math.round(points).toLocaleString('en-US');
}
