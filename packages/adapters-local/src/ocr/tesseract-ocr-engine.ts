import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWorker, OEM } from 'tesseract.js';
import type { Page, Worker } from 'tesseract.js';
import { TransientDependencyError, ValidationError } from '@receiptflow/core';
import type { OcrDocument, OcrEngine } from '@receiptflow/core';
import {
  describePreprocess,
  isNoop,
  OcrPreprocessSchema,
  preprocessImage,
  type OcrPreprocess,
} from './preprocess-image.js';
import { readableImage } from './read-image-size.js';
import { betterRead, DEFAULT_RETRY_POLICY, readIsPoor, type OcrRetryPolicy } from './retrying-ocr-engine.js';
import { tesseractPageToOcrDocument } from './tesseract-page-to-ocr-document.js';
import type { ImageSize, TesseractPage } from './tesseract-page-to-ocr-document.js';
import { TesseractWorkerPool } from './tesseract-worker-pool.js';

export interface TesseractOcrEngineConfig {
  /** Workers recognising in parallel (each ~100 MB). Default 1. */
  concurrency?: number;
  /** Directory holding eng.traineddata.gz. Default: the bundled @tesseract.js-data/eng, so no network. */
  langPath?: string;
  /** Where tesseract caches the unpacked model. Default: a fresh temp dir, removed by terminate(). */
  cachePath?: string;
  /** Refuse images above this many pixels before decoding. Default: core's inspectImage limit. */
  maxPixels?: number;
  /** Image steps before recognition (see preprocess-image.ts). Default: none. */
  preprocess?: Partial<OcrPreprocess>;
  /**
   * Tesseract page segmentation mode: 3 fully automatic, 4 one column of text of variable sizes,
   * 6 one uniform block, 11 sparse text. Default 6, the library's own default (the tesseract
   * CLI's is 3, which reads SROIE receipts worse: docs/benchmarks.md).
   */
  psm?: 3 | 4 | 6 | 11;
  /** Let tesseract estimate the skew and straighten the page before reading. Default false. */
  deskew?: boolean;
  /**
   * A second read with other preprocessing when the first one is poor, keeping the better of the
   * two (higher mean word confidence). Default {@link DEFAULT_RETRY}; `false` reads once.
   */
  retry?: OcrRetry | false;
}

/** When a read counts as poor, and how the image is prepared for the second read. */
export interface OcrRetry extends OcrRetryPolicy {
  preprocess: Partial<OcrPreprocess>;
}

/**
 * Faint or unevenly lit receipts defeat tesseract's global threshold; Sauvola's local one reads
 * them (SROIE 600: nothing, then "MEGAH RETAIL SDN BHD"). It costs a second read, so only reads
 * that lost their text get one: 2 of 63 on SROIE dev (docs/benchmarks.md).
 */
export const DEFAULT_RETRY: OcrRetry = { ...DEFAULT_RETRY_POLICY, preprocess: { grey: true, binarize: true } };

const ENGINE_NAME = 'tesseract.js';

/**
 * OcrEngine on tesseract.js 7, fully offline. Emits the core OCR document (normalised,
 * origin bottom-left, lines → words → letters). Call terminate() when done, or the worker
 * threads keep the process alive.
 */
export class TesseractOcrEngine implements OcrEngine {
  readonly name = ENGINE_NAME;
  /** Everything besides the image that decides the output: a cache key part (see FsCachingOcrEngine). */
  readonly settings: string;
  private readonly preprocess: OcrPreprocess;
  private readonly psm: number;
  private readonly deskew: boolean;
  private readonly retry: OcrRetry | null;
  private readonly retryPreprocess: OcrPreprocess | null;
  private readonly pool: TesseractWorkerPool;
  private readonly langPath: string;
  private cachePath: Promise<string> | undefined;
  private readonly ownsCachePath: boolean;

  /**
   * Workers start on the first `recognize`, from the bundled English model (no network); call
   * `terminate()` when done.
   *
   * @example
   * const ocr = new TesseractOcrEngine({ concurrency: 2, psm: 6 });
   * try {
   *   const doc = await ocr.recognize(pngBytes);
   * } finally {
   *   await ocr.terminate();
   * }
   */
  constructor(private readonly config: TesseractOcrEngineConfig = {}) {
    this.langPath = config.langPath ?? bundledEnglishLangPath();
    this.ownsCachePath = config.cachePath === undefined;
    this.cachePath = config.cachePath === undefined ? undefined : Promise.resolve(config.cachePath);
    this.preprocess = OcrPreprocessSchema.parse(config.preprocess ?? {});
    this.psm = config.psm ?? 6;
    this.deskew = config.deskew ?? false;
    this.retry = config.retry === false ? null : (config.retry ?? DEFAULT_RETRY);
    this.retryPreprocess = this.retry ? OcrPreprocessSchema.parse(this.retry.preprocess) : null;
    const retry = this.retry
      ? `:retry(<${this.retry.whenFewerLines}:${describePreprocess(this.retryPreprocess!)})`
      : '';
    this.settings = `${ENGINE_NAME}@7.0.0:lstm:psm${this.psm}:${describePreprocess(this.preprocess)}${this.deskew ? ':deskew' : ''}${retry}`;
    this.pool = new TesseractWorkerPool(config.concurrency ?? 1, () => this.startWorker());
  }

  /**
   * Throws ValidationError for bytes that are not a decodable image, before running OCR. HEIC is
   * decoded to upright pixels first (tesseract cannot read it); other formats go as they came.
   */
  async recognize(original: Uint8Array): Promise<OcrDocument> {
    const { bytes: image, size } = await readableImage(original, this.config.maxPixels);
    const first = await this.read(image, size, this.preprocess);
    if (!this.retry || !this.retryPreprocess || !readIsPoor(first, this.retry)) return first;
    return betterRead(first, await this.read(image, size, this.retryPreprocess), this.retry);
  }

  private async read(image: Uint8Array, original: ImageSize, preprocess: OcrPreprocess): Promise<OcrDocument> {
    let size = original;
    let input: Buffer = Buffer.from(image);
    if (!isNoop(preprocess)) {
      const prepared = await preprocessImage(image, preprocess);
      input = prepared.png;
      size = prepared.size;
    }
    const options = { tessedit_pageseg_mode: String(this.psm), ...(this.deskew ? { rotateAuto: true } : {}) } as Record<
      string,
      unknown
    >;
    const page = await this.pool.use(async (worker) => {
      try {
        const result = await worker.recognize(input, options, { blocks: true, text: false });
        return result.data;
      } catch (error) {
        throw mapTesseractError(error);
      }
    });
    return tesseractPageToOcrDocument(asTesseractPage(page), size, ENGINE_NAME);
  }

  /** Stops all workers and removes the temp cache dir it created. Later calls start afresh. */
  async terminate(): Promise<void> {
    await this.pool.terminate();
    if (this.ownsCachePath && this.cachePath) {
      const dir = await this.cachePath.catch(() => undefined);
      this.cachePath = undefined;
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }

  private async startWorker(): Promise<Worker> {
    this.cachePath ??= mkdtemp(join(tmpdir(), 'receiptflow-tesseract-'));
    const cachePath = await this.cachePath;
    try {
      const worker = await createWorker('eng', OEM.LSTM_ONLY, {
        langPath: this.langPath,
        gzip: true,
        cachePath,
        workerPath: quietWorkerPath(),
        // Without a handler, tesseract.js THROWS job failures from an event listener, which
        // crashes the process; with one, the job's promise rejects and we map the error.
        errorHandler: () => undefined,
      });
      // Tesseract's own diagnostics ("Image too small to scale!!") go to its debug file rather
      // than being formatted for a stderr that the quiet worker discards anyway.
      await worker.setParameters({ debug_file: '/dev/null' } as Record<string, string>);
      return worker;
    } catch (error) {
      throw new TransientDependencyError('tesseract', `worker failed to start: ${message(error)}`, { cause: error });
    }
  }
}

/** tesseract.js's node worker script behind a wrapper that silences its stderr (see the file). */
function quietWorkerPath(): string {
  return fileURLToPath(new URL('./quiet-tesseract-worker.cjs', import.meta.url));
}

function bundledEnglishLangPath(): string {
  // The data package is CommonJS without types: { code, gzip, langPath }.
  const require = createRequire(import.meta.url);
  const data = require('@tesseract.js-data/eng') as { langPath: string };
  return data.langPath;
}

function mapTesseractError(error: unknown): Error {
  const text = message(error);
  // Leptonica refuses what the canvas decoder tolerated (a truncated PNG, say).
  if (/read image|pixRead|Unknown format|image file/i.test(text)) {
    return new ValidationError('image could not be decoded', [text], { cause: error });
  }
  return new TransientDependencyError('tesseract', `recognition failed: ${text}`, { cause: error });
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** tesseract.js's declared Page matches the structure we read; the cast only narrows it. */
function asTesseractPage(page: Page): TesseractPage {
  return page as unknown as TesseractPage;
}
