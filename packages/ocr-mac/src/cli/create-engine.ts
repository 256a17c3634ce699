import { access, constants } from 'node:fs/promises';
import type { OcrEngine } from '@receiptflow/core';
import { UsageError } from '@receiptflow/core';
import { VisionOcrEngine } from '../vision/vision-ocr-engine.js';
import type { CliConfig } from './args.js';

export interface EngineHandle {
  engine: OcrEngine;
  /** Frees the engine (tesseract worker threads would keep the process alive). */
  close(): Promise<void>;
}

/**
 * Builds the OCR engine chosen by `--engine`, behind the PDF reader (PdfJsOcrEngine): a PDF's
 * text layer is read without OCR, a page without one is rendered and given to the chosen engine,
 * and any image goes to it untouched (Vision reads HEIC itself). A missing Vision helper is
 * reported now, naming the flag, rather than failing every job. tesseract.js is imported only
 * when chosen: a Mac running Vision never loads it; pdf.js itself loads on the first PDF.
 */
export async function createEngine(config: CliConfig): Promise<EngineHandle> {
  const { engine, close } = await imageEngine(config);
  const { PdfJsOcrEngine } = await import('@receiptflow/adapters-local/pdf');
  return { engine: new PdfJsOcrEngine(engine), close };
}

async function imageEngine(config: CliConfig): Promise<EngineHandle> {
  if (config.engine === 'vision') {
    try {
      await access(config.visionHelperPath, constants.X_OK);
    } catch {
      throw new UsageError(
        `--vision-helper: no executable at ${config.visionHelperPath}; build it on macOS with ` +
          'packages/ocr-mac/swift/build.sh, or pass --engine tesseract',
      );
    }
    const engine = new VisionOcrEngine({ helperPath: config.visionHelperPath, timeoutMs: config.visionTimeoutMs });
    return { engine, close: async () => {} };
  }
  const { TesseractOcrEngine } = await import('@receiptflow/adapters-local/ocr');
  const engine = new TesseractOcrEngine({ concurrency: config.concurrency });
  return { engine, close: () => engine.terminate() };
}
