import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '@receiptflow/core';
import { writeReport } from '../../bench/out-file.js';
import { measureP7, parseScale } from '../../bench/p7-scale.js';
import { defaultScaleOut, parseBenchArgs } from '../../bench/plan.js';

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

  it('writes a --scale run to .tmp/bench by default, named by size and modes; --out FILE for any run', () => {
    expect(parseBenchArgs(['--scale', '1m'], '/repo').out).toBe('/repo/.tmp/bench/p7-1m-none-int8.json');
    expect(parseBenchArgs(['--scale', '100k', '--scale-modes', 'int8'], '/repo').out).toBe(
      '/repo/.tmp/bench/p7-100k-int8.json',
    );
    expect(defaultScaleOut(250_500, ['none'])).toBe('.tmp/bench/p7-250500-none.json');
    expect(defaultScaleOut(2_500_000, ['none'])).toBe('.tmp/bench/p7-2500k-none.json');
    expect(parseBenchArgs(['--scale', '1m', '--out', 'runs/p7.json'], '/repo').out).toBe('/repo/runs/p7.json');
    expect(parseBenchArgs(['--quick', '--out', '/tmp/q.json'], '/repo').out).toBe('/tmp/q.json');
    // Without --out, the other runs print only.
    expect(parseBenchArgs(['--quick'], '/repo').out).toBeUndefined();
  });

  it('writes a report whole, creating its folder, and replaces it on the next write', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-out-'));
    try {
      const file = join(dir, 'nested', 'p7.json');
      await writeReport(file, { p7: { none: { build_s: 1 } }, complete: false });
      await writeReport(file, { p7: { none: { build_s: 1 }, int8: { build_s: 2 } }, complete: true });
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
        p7: { none: { build_s: 1 }, int8: { build_s: 2 } },
        complete: true,
      });
      expect(await readdir(join(dir, 'nested'))).toEqual(['p7.json']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // Two child processes (tsx start-up, a 400-vector build each): seconds alone, far more under load.
  it('measures both modes end to end in processes of their own, at a small size', { timeout: 300_000 }, async () => {
    // What the bench saves after each mode: the figures so far.
    const saved: string[][] = [];
    const out = await measureP7(
      400,
      ['none', 'int8'],
      () => undefined,
      async (soFar) => {
        saved.push(['none', 'int8'].filter((m) => m in soFar));
      },
    );
    expect(saved).toEqual([['none'], ['none', 'int8']]);
    expect(out.vectors).toBe(400);
    for (const mode of ['none', 'int8'] as const) {
      const r = out[mode] as Record<string, unknown>;
      // 400 vectors fit in one beam: the answer is an exact scan in both modes, so every result
      // is as near as the exact 10th (ids may differ among equally near repeated lines).
      expect(r.recall_at_10_ties).toBe(1);
      expect(r.recall_at_10).toBeGreaterThan(0.9);
      expect(r.reopened_same_answers).toBe('20/20');
      // Measured, but not necessarily above the baseline: 400 vectors are ~0.8 MB, and the RSS
      // sampled during the build can stay at the baseline's (which holds start-up garbage a GC
      // then frees); it failed that way under load. The figure means something at scale.
      expect(r.peak_rss_mb).toBeGreaterThan(0);
      expect(r.rss_bytes_per_vector).toBeGreaterThanOrEqual(0);
      expect(r.typed_array_bytes_per_vector).toBeGreaterThanOrEqual(512 * 4);
      expect(r.disk_bytes_per_vector).toBeGreaterThan(512 * 4);
    }
    // int8 keeps a code (a byte a dimension, 512 + a 4-byte scale) beside each float32 vector.
    // The figure is the process's whole ArrayBuffer memory, so at 400 vectors a few KB of other
    // buffers (file I/O) move it by tens of bytes a vector: it came out 496 once in CI. Without
    // the codes the difference would be about 0, so three quarters of a code still tells.
    const typed = (mode: string) => (out[mode] as Record<string, number>).typed_array_bytes_per_vector!;
    expect(typed('int8') - typed('none')).toBeGreaterThanOrEqual(512 * 0.75);
  });
});
