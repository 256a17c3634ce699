import type { Logger, PlaceCandidate, VectorIndex } from '@receiptflow/core';
import { HotPathRig, type PreparedReceipt } from './hot-path.js';
import type { BenchIndexes } from './indexes.js';
import type { PipelinePass } from './pipeline.js';
import type { Plan } from './plan.js';
import { median, ratio } from './stats.js';

export interface HotPathFigures {
  local: { small: number; large: number };
  chroma: { small: number; large: number };
  compactSmall: number;
  compactLarge: number;
  /** Most line vectors in one receipt's delta. */
  deltaLines: number;
  /** Median words-delta size over lines-delta size. */
  wordsPerLine: number;
}

/** The first receipts of the pass whose OCR found text, with their recorded documents. */
export function preparedReceipts(
  pass: PipelinePass,
  images: readonly { filename: string; bytes: Uint8Array }[],
  count: number,
): PreparedReceipt[] {
  const out: PreparedReceipt[] = [];
  for (const image of images) {
    const document = pass.recorder.documentOf(image.bytes);
    if (document && document.lines.length > 0) out.push({ filename: image.filename, bytes: image.bytes, document });
    if (out.length === count) break;
  }
  if (out.length === 0) throw new Error('bench: no OCR document with text to replay for P1');
  return out;
}

/**
 * P1 and P2. Every receipt goes through every index in turn, round after round, so drift on a
 * busy machine hits each index alike; round 0 warms up and is not counted.
 */
export async function measureHotPath(
  indexes: BenchIndexes,
  receipts: PreparedReceipt[],
  catalog: readonly PlaceCandidate[],
  plan: Plan,
  logger: Logger,
): Promise<HotPathFigures> {
  const configs: { key: string; index: VectorIndex; compacts: boolean }[] = [
    { key: 'local.small', index: indexes.local.small, compacts: true },
    { key: 'local.large', index: indexes.local.large, compacts: true },
    ...(indexes.chroma
      ? [
          { key: 'chroma.small', index: indexes.chroma.small as VectorIndex, compacts: false },
          { key: 'chroma.large', index: indexes.chroma.large as VectorIndex, compacts: false },
        ]
      : []),
  ];
  const rigs = new Map<string, HotPathRig>();
  const samples = new Map<string, number[]>();
  let deltaLines = 0;
  const wordsPerLine: number[] = [];
  try {
    for (const c of configs) {
      rigs.set(c.key, await HotPathRig.open(c.index, receipts, catalog, logger));
      samples.set(c.key, []);
      samples.set(`${c.key}.compact`, []);
    }
    for (let round = 0; round <= plan.hotPathRounds; round++) {
      for (const receipt of receipts) {
        for (const c of configs) {
          const rig = rigs.get(c.key)!;
          const { ms, imageId } = await rig.processOne(receipt);
          if (round > 0) samples.get(c.key)!.push(ms);
          if (!c.compacts) continue;
          const compacted = await rig.compactLines(imageId);
          if (round > 0) samples.get(`${c.key}.compact`)!.push(compacted.ms);
          deltaLines = Math.max(deltaLines, compacted.lines);
          wordsPerLine.push(ratio(compacted.words, compacted.lines));
        }
      }
    }
  } finally {
    for (const rig of rigs.values()) await rig.close();
  }
  const med = (key: string) => {
    const xs = samples.get(key);
    return xs && xs.length > 0 ? median(xs) : Number.NaN;
  };
  return {
    local: { small: med('local.small'), large: med('local.large') },
    chroma: { small: med('chroma.small'), large: med('chroma.large') },
    compactSmall: med('local.small.compact'),
    compactLarge: med('local.large.compact'),
    deltaLines,
    wordsPerLine: median(wordsPerLine),
  };
}
