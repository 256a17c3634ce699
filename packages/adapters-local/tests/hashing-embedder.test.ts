import { describe, expect, it } from 'vitest';
import { describeEmbedderContract } from '@receiptflow/core/testing';
import { HashingEmbedder } from '../src/hashing-embedder.js';

describeEmbedderContract('HashingEmbedder', async () => ({ subject: new HashingEmbedder() }));
describeEmbedderContract('HashingEmbedder (64 dimensions)', async () => ({
  subject: new HashingEmbedder({ dimensions: 64 }),
}));

const dot = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);

describe('HashingEmbedder', () => {
  const embedder = new HashingEmbedder();
  const one = async (text: string) => (await embedder.embed([text])).vectors[0]!;

  it('names its model hashing-ngram-v1 and defaults to 512 dimensions', () => {
    expect(embedder.model).toBe('hashing-ngram-v1');
    expect(embedder.dimensions).toBe(512);
  });

  it('ignores case and extra whitespace', async () => {
    expect(dot(await one('Whole  Foods\tMarket '), await one('WHOLE FOODS MARKET'))).toBeCloseTo(1, 10);
  });

  it('keeps OCR-misread text close to the original, closer than another merchant', async () => {
    const original = await one('WHOLE FOODS MARKET');
    const misread = await one('WH0LE F00DS MARKFT');
    expect(dot(original, misread)).toBeGreaterThan(0.3);
    expect(dot(original, misread)).toBeGreaterThan(dot(original, await one('TRADER JOES')) + 0.2);
  });

  it('gives whitespace-only text a unit vector, not NaN or zeros', async () => {
    const vector = await one('   ');
    expect(Math.sqrt(dot(vector, vector))).toBeCloseTo(1, 10);
  });

  it('estimates tokens from length, about four characters each and at least one a text', async () => {
    expect((await embedder.embed(['12345678'])).tokens).toBe(2);
    expect((await embedder.embed(['a', 'b'])).tokens).toBe(2);
    expect((await embedder.embed(['x'.repeat(401)])).tokens).toBe(101);
  });

  it('produces identical vectors across instances (no hidden state)', async () => {
    const other = new HashingEmbedder();
    expect((await other.embed(['TOTAL 9.99'])).vectors).toEqual(
      await embedder.embed(['TOTAL 9.99']).then((r) => r.vectors),
    );
  });
});
