import { describe, expect, it } from 'vitest';
import { UsageError } from '@receiptflow/core';
import { measureP7, parseScale } from '../../bench/p7-scale.js';
import { parseBenchArgs } from '../../bench/plan.js';

describe('P7 --scale', () => {
  it('reads 1m, 100k and plain counts, and nothing else', () => {
    expect(parseScale('1m')).toBe(1_000_000);
    expect(parseScale('100k')).toBe(100_000);
    expect(parseScale('1.5M')).toBe(1_500_000);
    expect(parseScale('250000')).toBe(250_000);
    for (const bad of ['', 'm', '-5', '0', '1g', '0.5', 'lots']) expect(parseScale(bad)).toBeUndefined();
  });

  it('parses --scale and --scale-modes into the bench args, refusing bad ones with a UsageError', () => {
    expect(parseBenchArgs(['--scale', '1m'], '/repo').scale).toEqual({ vectors: 1_000_000, modes: ['none', 'int8'] });
    expect(parseBenchArgs(['--scale', '100k', '--scale-modes', 'int8'], '/repo').scale).toEqual({
      vectors: 100_000,
      modes: ['int8'],
    });
    expect(parseBenchArgs([], '/repo').scale).toBeUndefined();
    expect(() => parseBenchArgs(['--scale', 'huge'], '/repo')).toThrow(UsageError);
    expect(() => parseBenchArgs(['--scale', '1m', '--scale-modes', 'int4'], '/repo')).toThrow(UsageError);
    expect(() => parseBenchArgs(['--scale-modes', 'int8'], '/repo')).toThrow(UsageError);
  });

  // Two child processes (tsx start-up, a 400-vector build each): seconds alone, far more under load.
  it('measures both modes end to end in processes of their own, at a small size', { timeout: 300_000 }, async () => {
    const out = await measureP7(400, ['none', 'int8'], () => undefined);
    expect(out.vectors).toBe(400);
    for (const mode of ['none', 'int8'] as const) {
      const r = out[mode] as Record<string, unknown>;
      // 400 vectors fit in one beam: the answer is an exact scan in both modes, so every result
      // is as near as the exact 10th (ids may differ among equally near repeated lines).
      expect(r.recall_at_10_ties).toBe(1);
      expect(r.recall_at_10).toBeGreaterThan(0.9);
      expect(r.reopened_same_answers).toBe('20/20');
      expect(r.rss_bytes_per_vector).toBeGreaterThan(0);
      expect(r.typed_array_bytes_per_vector).toBeGreaterThanOrEqual(512 * 4);
      expect(r.disk_bytes_per_vector).toBeGreaterThan(512 * 4);
    }
    // int8 keeps a code (a byte a dimension) beside each float32 vector.
    const typed = (mode: string) => (out[mode] as Record<string, number>).typed_array_bytes_per_vector!;
    expect(typed('int8') - typed('none')).toBeGreaterThanOrEqual(512);
  });
});
