import type { MoneyField, ReceiptFields } from '../domain/receipt-fields.js';
import { locateCompany, type SroieFields } from './extract-fields.js';
import { minorDigits } from './extract-receipt-fields.js';

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

/**
 * What SROIE scores, from a receipt's STORED fields (the one extraction the pipeline runs): the
 * date and total as printed (the total's digits with a printed "$" kept, as SROIE's annotators
 * wrote it), company and address from the resolved place; with no place, company is the first
 * name-like top line, and address is not answered.
 *
 * @example
 * const predicted = sroieFields(details.receipt.fields, details.lines.map((l) => l.text), place);
 * scoreFields(predicted, truth);
 */
export function sroieFields(
  stored: ReceiptFields | undefined,
  lines: readonly string[],
  merchant?: { name: string | null; address: string | null },
): SroieFields {
  return {
    company: merchant?.name ?? locateCompany(lines)?.value ?? null,
    date: stored?.date?.text || null,
    address: merchant?.address ?? null,
    total: stored?.total ? sroieAmount(stored.total) : null,
  };
}

function sroieAmount(total: MoneyField): string {
  const digits = minorDigits(total.currency);
  const plain = String(Math.abs(total.minor)).padStart(digits + 1, '0');
  const amount = digits === 0 ? plain : `${plain.slice(0, -digits)}.${plain.slice(-digits)}`;
  return `${total.text.startsWith('$') ? '$' : ''}${total.minor < 0 ? '-' : ''}${amount}`;
}

/** Counts one receipt's predicted, expected and correct fields. */
export function scoreFields(predicted: SroieFields, truth: Partial<SroieFields>): FieldScore {
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
