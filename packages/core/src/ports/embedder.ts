export interface EmbeddingResult {
  /** One vector per input text, in input order, each of `dimensions` length, unit-normalised. */
  vectors: number[][];
  /** Tokens billed (or estimated) for the call, for cost accounting. */
  tokens: number;
}

export interface Embedder {
  readonly model: string;
  readonly dimensions: number;
  /** Any number of texts; adapters batch. Empty input returns no vectors and makes no call. */
  embed(texts: string[]): Promise<EmbeddingResult>;
}
