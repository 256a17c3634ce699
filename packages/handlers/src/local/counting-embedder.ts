import type { Embedder, EmbeddingResult } from '@receiptflow/core';

/** Wraps an embedder to count the tokens it was billed, for eval's cost figures. */
export class CountingEmbedder implements Embedder {
  tokensUsed = 0;
  calls = 0;

  constructor(private readonly inner: Embedder) {}

  get model(): string {
    return this.inner.model;
  }

  get dimensions(): number {
    return this.inner.dimensions;
  }

  async embed(texts: string[]): Promise<EmbeddingResult> {
    const result = await this.inner.embed(texts);
    if (texts.length > 0) this.calls++;
    this.tokensUsed += result.tokens;
    return result;
  }
}
