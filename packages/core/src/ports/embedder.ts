export interface EmbeddingResult {
  /** One vector per input text, in input order, each of `dimensions` length, unit-normalised. */
  vectors: number[][];
  /** Tokens billed (or estimated) for the call, for cost accounting. */
  tokens: number;
}

/**
 * Turns texts (receipt lines, words) into unit vectors for the vector memory. `model` and
 * `dimensions` are stored with each vector, so an index is never queried with another model's.
 *
 * @example
 * const { vectors, tokens } = await embedder.embed(lines.map((l) => l.text));
 * // vectors[i].length === embedder.dimensions, one per line, in line order
 */
export interface Embedder {
  readonly model: string;
  readonly dimensions: number;
  /** Any number of texts; adapters batch. Empty input returns no vectors and makes no call. */
  embed(texts: string[]): Promise<EmbeddingResult>;
}
