import type { ReceiptFields } from './extract-fields.js';

const FIELDS = ['company', 'date', 'address', 'total'] as const;

/** SROIE-style comparison: case-insensitive, whitespace-insensitive exact match per field. */
export function normaliseField(value: string): string {
  return value.toUpperCase().replace(/\s+/g, '');
}

export interface FieldScore {
  predicted: number;
  expected: number;
  correct: number;
}

/** Counts one receipt's predicted, expected and correct fields. */
export function scoreFields(predicted: ReceiptFields, truth: Partial<ReceiptFields>): FieldScore {
  const score: FieldScore = { predicted: 0, expected: 0, correct: 0 };
  for (const field of FIELDS) {
    const p = predicted[field];
    const t = truth[field];
    if (p) score.predicted++;
    if (t) score.expected++;
    if (p && t && normaliseField(p) === normaliseField(t)) score.correct++;
  }
  return score;
}

/** Harmonic mean of precision and recall over summed field scores. */
export function fieldHmean(scores: readonly FieldScore[]): number {
  const sum = scores.reduce(
    (acc, s) => ({
      predicted: acc.predicted + s.predicted,
      expected: acc.expected + s.expected,
      correct: acc.correct + s.correct,
    }),
    { predicted: 0, expected: 0, correct: 0 },
  );
  const precision = sum.predicted === 0 ? 0 : sum.correct / sum.predicted;
  const recall = sum.expected === 0 ? 0 : sum.correct / sum.expected;
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}
