import { describe, expect, it } from 'vitest';
import { otherBuildRounds } from '../../bench/cold-start.js';
import { parseBenchArgs } from '../../bench/plan.js';

const quick = parseBenchArgs(['--quick'], '/repo').plan;
const full = parseBenchArgs([], '/repo').plan;

describe('the --quick plan (docs/benchmarks.md: under 5 minutes on 2 cores)', () => {
  it('sends a sample of the corpus through the eval pass, enough for every figure taken from it', () => {
    // ~2 s of OCR an image on the slow VM: the whole 63-image corpus was most of the quick run.
    expect([quick.passImages, quick.overheadImages]).toEqual([8, 8]);
    expect(full.passImages).toBe(Number.MAX_SAFE_INTEGER);
    // P3 pairs its first images with raw OCR, P1/P2 replay its first receipts: both need them in the pass.
    expect(quick.overheadImages).toBeLessThanOrEqual(quick.passImages);
    expect(quick.hotPathReceipts).toBeLessThanOrEqual(quick.passImages);
  });

  it('runs one 1-vs-2-workers throughput pair where the full run alternates two', () => {
    expect(quick.scalingPairs).toBe(1);
    expect(full.scalingPairs).toBe(2);
    expect(quick.scalingImages).toBe(8);
  });

  it('times the runtime-SDK build in one round of five, the full run in five of ten', () => {
    expect([quick.coldStartRuns, quick.coldStartOtherRuns]).toEqual([5, 1]);
    expect([full.coldStartRuns, full.coldStartOtherRuns]).toEqual([10, 5]);
    // Processes for the 10 functions: each round the deployed build; the other build and its
    // SDK-only import in its rounds. Before the cut quick started 110.
    const processes = (p: typeof quick) => 10 * (p.coldStartRuns + 2 * p.coldStartOtherRuns);
    expect(processes(quick)).toBe(70);
    expect(processes(full)).toBe(200);
  });

  it('builds a 10k large index beside the 2k small one, and merges 500 vectors for P2 recall', () => {
    expect([quick.smallSize, quick.largeSize]).toEqual([2_000, 10_000]);
    expect(quick.mergeRecallVectors).toBe(500);
    // A larger "large" index is what makes P1/P2/P4 ratios mean anything.
    expect(quick.largeSize / quick.smallSize).toBeGreaterThanOrEqual(5);
  });

  it('sends 8 receipts through receipts serve, the full run 50', () => {
    expect(quick.serveImages).toBe(8);
    expect(full.serveImages).toBe(50);
  });

  it('still takes --large-size over the plan', () => {
    expect(parseBenchArgs(['--quick', '--large-size', '20000'], '/repo').plan.largeSize).toBe(20_000);
  });

  it('keeps the full run at the full sizes', () => {
    expect(full).toMatchObject({
      smallSize: 2_000,
      largeSize: 200_000,
      overheadImages: Number.MAX_SAFE_INTEGER,
      mergeRecallVectors: 1_000,
      scalingImages: 16,
      hotPathReceipts: 10,
    });
    expect(full.vectorStorageSizes).toEqual([20_000, 200_000]);
  });
});

describe('otherBuildRounds', () => {
  it('spreads the other build over the rounds, away from the first', () => {
    expect([...otherBuildRounds(10, 5)]).toEqual([1, 3, 5, 7, 9]);
    expect([...otherBuildRounds(5, 1)]).toEqual([2]);
    expect([...otherBuildRounds(5, 5)]).toEqual([0, 1, 2, 3, 4]);
  });

  it('times the other build at least once and at most every round', () => {
    expect([...otherBuildRounds(3, 0)]).toEqual([1]);
    expect(otherBuildRounds(3, 9).size).toBe(3);
  });
});
