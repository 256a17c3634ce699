import { expect, it } from 'vitest';
import type { Embedder } from '../ports/index.js';
import { type ContractSubject, defineContract } from './contract-helpers.js';

/** What a contract factory returns: a fresh embedder and how to dispose of it. */
export type EmbedderFixture = ContractSubject<Embedder>;

function dot(a: number[], b: number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/**
 * The behaviour every {@link Embedder} promises. Runs against the offline hashing embedder and
 * against the OpenAI adapter (with a fake server). "Similar" pairs share most characters so that
 * a character n-gram embedder and a semantic one both rank them above unrelated text.
 */
export const describeEmbedderContract = defineContract<Embedder>('Embedder', (embedder) => {
  it('names its model and a positive dimension count', () => {
    expect(embedder.model.length).toBeGreaterThan(0);
    expect(Number.isInteger(embedder.dimensions)).toBe(true);
    expect(embedder.dimensions).toBeGreaterThan(0);
  });

  it('returns one unit-length vector of `dimensions` per input, and counts tokens', async () => {
    const texts = ['WHOLE FOODS MARKET', 'TOTAL 12.99', 'Thank you for shopping!'];
    const result = await embedder.embed(texts);
    expect(result.vectors).toHaveLength(texts.length);
    for (const vector of result.vectors) {
      expect(vector).toHaveLength(embedder.dimensions);
      expect(vector.every((x) => Number.isFinite(x))).toBe(true);
      expect(Math.sqrt(dot(vector, vector))).toBeCloseTo(1, 4);
    }
    expect(result.tokens).toBeGreaterThan(0);
  });

  it('returns no vectors and 0 tokens for empty input', async () => {
    expect(await embedder.embed([])).toEqual({ vectors: [], tokens: 0 });
  });

  it('is deterministic and independent of batch position', async () => {
    const alone = await embedder.embed(['CHEVRON 0204567']);
    const again = await embedder.embed(['CHEVRON 0204567']);
    const inBatch = await embedder.embed(['SUBTOTAL 4.50', 'CHEVRON 0204567', 'CHEVRON 0204567']);
    expect(dot(alone.vectors[0]!, again.vectors[0]!)).toBeGreaterThan(0.9999);
    expect(dot(alone.vectors[0]!, inBatch.vectors[1]!)).toBeGreaterThan(0.9999);
    expect(dot(inBatch.vectors[1]!, inBatch.vectors[2]!)).toBeGreaterThan(0.9999);
    expect(dot(alone.vectors[0]!, inBatch.vectors[0]!)).toBeLessThan(0.99);
  });

  it('scores similar texts higher than unrelated ones', async () => {
    const { vectors } = await embedder.embed([
      'WHOLE FOODS MARKET',
      'Whole Foods Market #10234',
      'CHEVRON GAS STATION',
      'TOTAL 42.17',
      'TOTAL: 42.17',
      'THANK YOU COME AGAIN',
    ]);
    const [wf1, wf2, chevron, total1, total2, thanks] = vectors as [
      number[],
      number[],
      number[],
      number[],
      number[],
      number[],
    ];
    expect(dot(wf1, wf2)).toBeGreaterThan(dot(wf1, chevron));
    expect(dot(wf1, wf2)).toBeGreaterThan(dot(wf1, thanks));
    expect(dot(total1, total2)).toBeGreaterThan(dot(total1, thanks));
    expect(dot(total1, total2)).toBeGreaterThan(dot(total1, wf2));
  });

  it('embeds a large batch (300 texts) in order', async () => {
    const texts = Array.from({ length: 300 }, (_, i) => `ITEM ${i} PRICE ${(i * 1.37).toFixed(2)}`);
    const result = await embedder.embed(texts);
    expect(result.vectors).toHaveLength(300);
    expect(result.tokens).toBeGreaterThan(0);
    for (const vector of result.vectors) expect(vector).toHaveLength(embedder.dimensions);
    // Order survives any internal batching: spot-check against single-text calls.
    for (const i of [0, 149, 299]) {
      const single = await embedder.embed([texts[i]!]);
      expect(dot(single.vectors[0]!, result.vectors[i]!)).toBeGreaterThan(0.9999);
    }
  });

  it('embeds text with unicode, punctuation and odd whitespace', async () => {
    const { vectors } = await embedder.embed(['CAFÉ  crème\t€3,50', '   ', '¯\\_(ツ)_/¯']);
    expect(vectors).toHaveLength(3);
    for (const vector of vectors) {
      expect(vector).toHaveLength(embedder.dimensions);
      expect(vector.every((x) => Number.isFinite(x))).toBe(true);
    }
  });
});
