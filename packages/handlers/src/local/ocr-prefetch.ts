import { createHash } from 'node:crypto';
import type { OcrDocument, OcrEngine } from '@receiptflow/core';

/**
 * Lets the local runtime start the next receipt's OCR while the current one is still in the
 * later stages (results, stream, compaction), without changing what the pipeline does: the OCR
 * job of that image still runs in turn, and its `recognize` call receives the prefetched
 * document (or the prefetch's error) instead of starting a second read. OCR runs in tesseract's
 * worker thread and the later stages on the main thread, so the two overlap on two cores.
 *
 * Prefetches are matched by content (SHA-256 of the bytes): the job reads the image back from
 * the raw store, a different array with the same bytes. At most `limit` are held; the oldest is
 * dropped beyond that (an upload that turns out a duplicate never runs OCR, so its prefetch is
 * never claimed).
 *
 * @example
 * const ocr = new PrefetchingOcrEngine(tesseract);
 * ocr.prefetch(nextImageBytes); // starts reading now
 * await ocr.recognize(sameBytesReadBack); // the prefetched document, no second read
 */
export class PrefetchingOcrEngine implements OcrEngine {
  private readonly pending = new Map<string, Promise<OcrDocument>>();
  private running = 0;

  constructor(
    private readonly inner: OcrEngine,
    private readonly limit = 2,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  /** Starts recognising `image` now; the next `recognize` of the same bytes takes the result. */
  prefetch(image: Uint8Array): void {
    const key = contentKey(image);
    if (this.pending.has(key)) return;
    this.running++;
    const read = this.inner.recognize(image);
    // Nobody may ever claim it (a duplicate upload): its failure must not be an unhandled rejection.
    read.then(
      () => this.running--,
      () => this.running--,
    );
    this.pending.set(key, read);
    while (this.pending.size > this.limit) this.pending.delete(this.pending.keys().next().value!);
  }

  /** Prefetched reads still running (claimed or not). */
  get inFlight(): number {
    return this.running;
  }

  /** Prefetches not yet claimed by a `recognize`. */
  get held(): number {
    return this.pending.size;
  }

  recognize(image: Uint8Array): Promise<OcrDocument> {
    if (this.pending.size > 0) {
      const key = contentKey(image);
      const read = this.pending.get(key);
      if (read) {
        this.pending.delete(key);
        return read;
      }
    }
    return this.inner.recognize(image);
  }
}

function contentKey(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
