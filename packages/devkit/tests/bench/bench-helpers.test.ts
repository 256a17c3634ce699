import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { costPer1000, PRICES } from '../../bench/cost-model.js';
import { builtFunctions, externalImports, staticChunkImports } from '../../bench/cold-start.js';
import { judge } from '../../bench/goals.js';
import { parseBenchArgs } from '../../bench/plan.js';
import { verdicts } from '../../bench/report.js';
import { recallAtK, tieAwareRecallAtK } from '../../bench/recall.js';
import { fillerMerchants, receiptLines, seededRandom } from '../../bench/receipt-lines.js';
import { median, percentile, ratio, round } from '../../bench/stats.js';

describe('stats', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(percentile([10, 20, 30, 40, 50], 0.9)).toBeCloseTo(46);
  });

  it('refuses an empty list and a p outside 0..1', () => {
    expect(() => median([])).toThrow(RangeError);
    expect(() => percentile([1], 1.5)).toThrow(RangeError);
  });

  it('gives NaN for a ratio over zero instead of Infinity', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(3, 0)).toBeNaN();
    expect(round(1.23456, 2)).toBe(1.23);
  });
});

describe('recallAtK', () => {
  it('pools hits over queries', () => {
    const exact = [
      ['a', 'b'],
      ['c', 'd'],
    ];
    expect(
      recallAtK(
        [
          ['a', 'x'],
          ['d', 'c'],
        ],
        exact,
        2,
      ),
    ).toBe(0.75);
  });

  it('counts only the first k of each answer and duplicates once', () => {
    expect(recallAtK([['a', 'a', 'b']], [['a', 'b', 'c']], 2)).toBe(0.5);
  });

  it('needs one exact answer per query', () => {
    expect(() => recallAtK([['a']], [], 1)).toThrow(RangeError);
  });
});

describe('tieAwareRecallAtK', () => {
  it('counts a different neighbour as a hit when it ties with the exact k-th', () => {
    // Exact top-2 similarities 0.9, 0.8; the index returned 0.9 and another 0.8 (a tie).
    expect(tieAwareRecallAtK([[0.9, 0.8]], [[0.9, 0.8]], 2)).toBe(1);
  });

  it('counts a neighbour less similar than the exact k-th as a miss, pooled over queries', () => {
    expect(
      tieAwareRecallAtK(
        [
          [0.9, 0.7],
          [0.5, 0.4],
        ],
        [
          [0.9, 0.8],
          [0.5, 0.4],
        ],
        2,
      ),
    ).toBe(0.75);
  });

  it('allows only float rounding as slack', () => {
    expect(tieAwareRecallAtK([[0.8 - 5e-5]], [[0.8]], 1)).toBe(1);
    expect(tieAwareRecallAtK([[0.8 - 5e-3]], [[0.8]], 1)).toBe(0);
  });

  it('needs one exact answer per query and a positive k', () => {
    expect(() => tieAwareRecallAtK([[1]], [], 1)).toThrow(RangeError);
    expect(() => tieAwareRecallAtK([[1]], [[1]], 0)).toThrow(RangeError);
  });
});

describe('costPer1000', () => {
  it('prices Places calls and embedding tokens at the documented rates', () => {
    const cost = costPer1000({ receipts: 100, placesCalls: 50, embeddingTokens: 1_000_000, lambdas: [] });
    // 500 calls per 1,000 receipts at $32 per 1,000; 10M tokens at $0.02 per 1M.
    expect(cost.places_usd).toBeCloseTo(16);
    expect(cost.embeddings_usd).toBeCloseTo(0.2);
    expect(cost.total_usd).toBeCloseTo(16.2);
  });

  it('prices phone lookups at Text Search Enterprise, the rest at Pro', () => {
    const cost = costPer1000({ receipts: 100, placesCalls: 50, placesPhoneCalls: 10, embeddingTokens: 0, lambdas: [] });
    // 400 text searches at $32 and 100 phone lookups at $35 per 1,000 receipts.
    expect(cost.places_usd).toBeCloseTo(12.8 + 3.5);
  });

  it('adds Lambda GB-seconds (billed per whole ms) and requests', () => {
    const cost = costPer1000({
      receipts: 1,
      placesCalls: 0,
      embeddingTokens: 0,
      lambdas: [{ name: 'f', memoryMb: 2048, msPerReceipt: 499.2, invocationsPerReceipt: 0.5 }],
    });
    expect(cost.lambda_gb_seconds).toBeCloseTo(1000 * 2 * 0.5);
    expect(cost.lambda_usd).toBeCloseTo(1000 * PRICES.lambdaGbSecond + 500 * (PRICES.lambdaRequestsPerMillion / 1e6));
  });

  it('refuses zero receipts', () => {
    expect(() => costPer1000({ receipts: 0, placesCalls: 0, embeddingTokens: 0, lambdas: [] })).toThrow(RangeError);
  });
});

describe('judge', () => {
  it('says by how much a goal was missed', () => {
    expect(judge(1.2, { bound: 1.5, direction: 'max' })).toEqual({ met: true, miss: null });
    expect(judge(1.65, { bound: 1.5, direction: 'max' }).miss).toBe('10% over');
    expect(judge(4.5, { bound: 1.5, direction: 'max' }).miss).toBe('3.0x the bound');
    expect(judge(1.36, { bound: 1.7, direction: 'min' }).miss).toBe('20% under');
    expect(judge(Number.NaN, { bound: 1, direction: 'max' }).met).toBe(false);
  });
});

describe('P5 verdicts', () => {
  it('judges each function the build emitted: folder bytes against 1.5 MiB, init against 150 ms', () => {
    const MiB = 1024 * 1024;
    const judged = verdicts({
      p5_bytes: { upload: 1.4 * MiB, 'receipts-read': 1.6 * MiB },
      p5_init_ms: { upload: 90, 'receipts-read': 160 },
    });
    expect(judged['p5_bytes.upload']).toMatchObject({ met: true, goal: '<= 1572864 B' });
    expect(judged['p5_bytes.receipts-read']).toMatchObject({ met: false, miss: '7% over' });
    expect(judged['p5_init_ms.upload']).toMatchObject({ met: true });
    expect(judged['p5_init_ms.receipts-read']).toMatchObject({ met: false, miss: '7% over' });
  });
});

describe('P8 verdicts', () => {
  it('judges serve throughput against raw OCR and upload p95 while OCR runs, when measured', () => {
    const base = { p5_bytes: {}, p5_init_ms: {} };
    const judged = verdicts({ ...base, p8_throughput_ratio: 0.78, p8_upload_p95_ms: 150 });
    expect(judged.p8_throughput_ratio).toMatchObject({ met: false, goal: '>= 0.9', miss: '13% under' });
    expect(judged.p8_upload_p95_ms).toMatchObject({ met: true, goal: '<= 200 ms' });
    expect(Object.keys(verdicts(base)).some((k) => k.startsWith('p8_'))).toBe(false);
  });
});

describe('bench inputs', () => {
  it('generates the same receipts for the same seed', () => {
    const [merchant] = fillerMerchants(1);
    expect(receiptLines(merchant!, seededRandom(3))).toEqual(receiptLines(merchant!, seededRandom(3)));
    expect(receiptLines(merchant!, seededRandom(3))[0]).toBe(merchant!.name);
  });

  it('finds the runtime-provided packages a bundle imports', () => {
    const bundle =
      'import{a as b}from"@aws-sdk/client-s3";import "@smithy/types";from"./local.js";import("@chroma-core/x")';
    expect(externalImports(bundle)).toEqual(['@aws-sdk/client-s3', '@smithy/types']);
  });

  it('follows a bundle to the chunks init loads, not those behind import()', () => {
    const code = 'import{a as b}from"./chunk-A.mjs";import"./chunk-B.mjs";const c=()=>import("./chunk-C.mjs");';
    expect(staticChunkImports(code).sort()).toEqual(['chunk-A.mjs', 'chunk-B.mjs']);
  });

  it('measures every function the build emitted, a new one included, and only folders with an index.mjs', async () => {
    const dist = await mkdtemp(join(tmpdir(), 'bench-dist-'));
    try {
      await expect(builtFunctions(dist)).rejects.toThrow(/no Lambda bundle/);
      for (const name of ['upload', 'sweep', 'receipts-read']) {
        await mkdir(join(dist, name));
        await writeFile(join(dist, name, 'index.mjs'), 'export const handler = () => {};');
      }
      await mkdir(join(dist, 'not-a-function'));
      await writeFile(join(dist, 'sizes.json'), '{}');
      expect(await builtFunctions(dist)).toEqual(['receipts-read', 'sweep', 'upload']);
    } finally {
      await rm(dist, { recursive: true, force: true });
    }
  });
});

describe('parseBenchArgs --only', () => {
  it('takes vector_storage, p8, p2 or p5, and names what it takes when given anything else', () => {
    expect(parseBenchArgs(['--only', 'p8', '--quick'], '/repo').only).toBe('p8');
    expect(parseBenchArgs(['--only', 'p5'], '/repo').only).toBe('p5');
    expect(parseBenchArgs(['--only', 'p2', '--large-size', '50000'], '/repo')).toMatchObject({
      only: 'p2',
      plan: { largeSize: 50_000 },
    });
    expect(parseBenchArgs(['--only', 'vector_storage'], '/repo').only).toBe('vector_storage');
    expect(parseBenchArgs([], '/repo').only).toBeUndefined();
    expect(() => parseBenchArgs(['--only', 'p9'], '/repo')).toThrow(/vector_storage, p8, p2 or p5, got p9/);
  });
});
