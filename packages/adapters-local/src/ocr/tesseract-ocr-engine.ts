import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorker, OEM } from 'tesseract.js';
import type { Page, Worker } from 'tesseract.js';
import { TransientDependencyError, ValidationError } from '@receiptflow/core';
import type { OcrDocument, OcrEngine } from '@receiptflow/core';
import { readImageSize } from './read-image-size.js';
import { tesseractPageToOcrDocument } from './tesseract-page-to-ocr-document.js';
import type { TesseractPage } from './tesseract-page-to-ocr-document.js';
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
}

const ENGINE_NAME = 'tesseract.js';

/**
 * OcrEngine on tesseract.js 7, fully offline. Emits the core OCR document (normalised,
 * origin bottom-left, lines → words → letters). Call terminate() when done, or the worker
 * threads keep the process alive.
 */
export class TesseractOcrEngine implements OcrEngine {
  readonly name = ENGINE_NAME;
  private readonly pool: TesseractWorkerPool;
  private readonly langPath: string;
  private cachePath: Promise<string> | undefined;
  private readonly ownsCachePath: boolean;

  constructor(private readonly config: TesseractOcrEngineConfig = {}) {
    this.langPath = config.langPath ?? bundledEnglishLangPath();
    this.ownsCachePath = config.cachePath === undefined;
    this.cachePath = config.cachePath === undefined ? undefined : Promise.resolve(config.cachePath);
    this.pool = new TesseractWorkerPool(config.concurrency ?? 1, () => this.startWorker());
  }

  /** Throws ValidationError for bytes that are not a decodable image, before running OCR. */
  async recognize(image: Uint8Array): Promise<OcrDocument> {
    const size = await readImageSize(image, this.config.maxPixels);
    const page = await this.pool.use(async (worker) => {
      try {
        const result = await worker.recognize(Buffer.from(image), {}, { blocks: true, text: false });
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
      return await createWorker('eng', OEM.LSTM_ONLY, {
        langPath: this.langPath,
        gzip: true,
        cachePath,
        // Without a handler, tesseract.js THROWS job failures from an event listener, which
        // crashes the process; with one, the job's promise rejects and we map the error.
        errorHandler: () => undefined,
      });
    } catch (error) {
      throw new TransientDependencyError('tesseract', `worker failed to start: ${message(error)}`, { cause: error });
    }
  }
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
