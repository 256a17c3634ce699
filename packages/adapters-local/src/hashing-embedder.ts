import type { Embedder, EmbeddingResult } from '@receiptflow/core';
import { yieldToEventLoop } from './yield-to-event-loop.js';

/** Texts embedded between two turns of the event loop (tens of ms of work at most). */
const EMBED_SLICE = 64;

export interface HashingEmbedderOptions {
  /** Vector length. Default 512, like the production embedding. */
  dimensions?: number;
}

/** Word boundary markers, so that "^to" (a word start) and "to$" (a word end) differ from "to". */
const START = '\u0002';
const END = '\u0003';
const MIN_GRAM = 2;
const MAX_GRAM = 4;
/** The one feature of a text with no characters, so that even it has a unit vector. */
const EMPTY_FEATURE = '\u0000empty';

/**
 * A deterministic offline {@link Embedder}: character 2–4-grams of each word (with word
 * boundaries marked) plus the whole word, hashed into `dimensions` buckets with a hashed sign
 * (so collisions cancel rather than pile up), then L2-normalised. Text is case-folded and
 * whitespace-collapsed first. Because most n-grams of an OCR-misread word survive, a misread
 * ("WH0LE F00DS") still lands near the original. No network, no model files.
 */
export class HashingEmbedder implements Embedder {
  readonly model = 'hashing-ngram-v1';
  readonly dimensions: number;

  /**
   * A deterministic, offline embedder (hashed character n-grams): same text, same vector.
   *
   * @example
   * const embedder = new HashingEmbedder({ dimensions: 512 });
   * const { vectors } = await embedder.embed(['HARBOR LANE GROCERY']);
   */
  constructor(options: HashingEmbedderOptions = {}) {
    this.dimensions = options.dimensions ?? 512;
  }

  async embed(texts: string[]): Promise<EmbeddingResult> {
    let tokens = 0;
    const vectors: number[][] = [];
    for (let i = 0; i < texts.length; i++) {
      // The embedding API this stands in for answers over the network, which lets the event
      // loop turn; so does this, every EMBED_SLICE texts (a receipt's words are hundreds).
      if (i % EMBED_SLICE === 0) await yieldToEventLoop();
      tokens += estimateTokens(texts[i]!);
      vectors.push(this.vectorOf(texts[i]!));
    }
    return { vectors, tokens };
  }

  private vectorOf(text: string): number[] {
    const sums = new Float64Array(this.dimensions);
    const words = normalise(text)
      .split(' ')
      .filter((w) => w.length > 0);
    if (words.length === 0) this.add(sums, EMPTY_FEATURE, 1);
    for (const word of words) {
      const marked = `${START}${word}${END}`;
      this.add(sums, `w:${word}`, 1);
      for (let n = MIN_GRAM; n <= MAX_GRAM; n++) {
        for (let i = 0; i + n <= marked.length; i++) this.add(sums, marked.slice(i, i + n), 1);
      }
    }
    let norm = 0;
    for (let i = 0; i < sums.length; i++) norm += sums[i]! * sums[i]!;
    norm = Math.sqrt(norm);
    // Every non-empty feature set hashes somewhere; a zero norm needs all features to cancel.
    if (norm === 0) return Array.from(sums, (_, i) => (i === 0 ? 1 : 0));
    return Array.from(sums, (x) => x / norm);
  }

  private add(sums: Float64Array, feature: string, weight: number): void {
    const hash = hashString(feature);
    const bucket = hash % this.dimensions;
    // The sign comes from bits the bucket does not use (for power-of-two dimensions).
    const sign = Math.imul(hash, 0x9e3779b1) >>> 31 === 0 ? 1 : -1;
    sums[bucket]! += sign * weight;
  }
}

/** Unicode-normalised, lower-cased, whitespace collapsed to single spaces. */
function normalise(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** A rough count of tokens for cost accounting: about four characters a token, at least one. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** FNV-1a over UTF-16 code units, finished with murmur3's avalanche so low bits mix well. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
