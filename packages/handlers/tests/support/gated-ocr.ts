import type { OcrDocument, OcrEngine } from '@receiptflow/core';

/** Holds every recognize until released, counting how many ran at once. */
export class GatedOcr implements OcrEngine {
  readonly name = 'gated';
  inFlight = 0;
  maxInFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private open = false;
  constructor(private readonly inner: OcrEngine) {}

  async recognize(image: Uint8Array): Promise<OcrDocument> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (!this.open) await new Promise<void>((resolve) => this.waiting.push(resolve));
      return await this.inner.recognize(image);
    } finally {
      this.inFlight--;
    }
  }

  release(): void {
    this.open = true;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}
