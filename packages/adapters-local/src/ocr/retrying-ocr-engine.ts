import type { OcrDocument, OcrEngine } from '@receiptflow/core';

/** When a read counts as poor enough to read the image a second time. */
export interface OcrRetryPolicy {
  /**
   * Fewer lines than this: tesseract lost the text, typically faint thermal print that its
   * global threshold turned white. Low confidence alone is no reason: measured on SROIE dev, a
   * second read of low-confidence pages won no merchant and lost one (docs/benchmarks.md).
   */
  whenFewerLines: number;
}

export const DEFAULT_RETRY_POLICY: OcrRetryPolicy = { whenFewerLines: 10 };

/** Mean confidence of the document's words (0 without words). */
export function meanConfidence(document: OcrDocument): number {
  const words = document.lines.flatMap((l) => l.words);
  return words.length === 0 ? 0 : words.reduce((sum, w) => sum + w.confidence, 0) / words.length;
}

export function readIsPoor(document: OcrDocument, policy: OcrRetryPolicy): boolean {
  return document.lines.length < policy.whenFewerLines;
}

/**
 * The better of two reads: mean word confidence, discounted while a read has fewer lines than
 * the policy asks (two confident words are not a receipt).
 */
export function betterRead(first: OcrDocument, second: OcrDocument, policy: OcrRetryPolicy): OcrDocument {
  const quality = (d: OcrDocument) => meanConfidence(d) * Math.min(1, d.lines.length / policy.whenFewerLines);
  return quality(second) > quality(first) ? second : first;
}

/**
 * Reads with `primary`; when the read is poor ({@link readIsPoor}), reads again with `fallback`
 * (another preprocessing) and keeps the better read.
 *
 * @example
 * const ocr = new RetryingOcrEngine(new TesseractOcrEngine({ retry: false }), new TesseractOcrEngine({ retry: false, preprocess: { grey: true, binarize: true } }));
 */
export class RetryingOcrEngine implements OcrEngine {
  readonly name: string;

  /**
   * Reads with `primary`; when the policy finds that read poor, reads again with `fallback` and keeps
   * the better document.
   *
   * @example
   * const ocr = new RetryingOcrEngine(new TesseractOcrEngine({ retry: false }), new TesseractOcrEngine({ preprocess: { binarize: true }, retry: false }));
   */
  constructor(
    private readonly primary: OcrEngine,
    private readonly fallback: OcrEngine,
    private readonly policy: OcrRetryPolicy = DEFAULT_RETRY_POLICY,
  ) {
    this.name = primary.name;
  }

  async recognize(image: Uint8Array): Promise<OcrDocument> {
    const first = await this.primary.recognize(image);
    if (!readIsPoor(first, this.policy)) return first;
    return betterRead(first, await this.fallback.recognize(image), this.policy);
  }
}
