import { normaliseField, type MerchantSignals, type SroieFields, type ResolutionTrace } from '@receiptflow/core';

const FIELDS = ['company', 'date', 'address', 'total'] as const;

/** One receipt of an eval run: enough to score the run again without re-running it. */
export interface EvalReceipt {
  id: string;
  truth_place_id: string | null;
  place_id: string | null;
  merchant_name: string | null;
  source: string;
  confidence: number;
  correct: boolean;
  places_calls: number;
  second_call: boolean;
  reason: string;
  fields: SroieFields;
  /** Per field: true when it equals the truth as score-fields.ts compares them. */
  fields_correct: Partial<Record<(typeof FIELDS)[number], boolean>>;
  seconds: number;
}

export interface FieldPrf {
  predicted: number;
  expected: number;
  correct: number;
  precision: number;
  recall: number;
  f1: number;
}

/** Answers given in one confidence band and how many were right. */
export interface ConfidenceBand {
  band: string;
  answers: number;
  right: number;
  accuracy: number | null;
}

/** Confidence bands of the answers: lower bounds, highest first. */
const BANDS: readonly { band: string; min: number; max: number }[] = [
  { band: '0.95-1.00', min: 0.95, max: Infinity },
  { band: '0.90-0.95', min: 0.9, max: 0.95 },
  { band: '0.80-0.90', min: 0.8, max: 0.9 },
  { band: '0.00-0.80', min: 0, max: 0.8 },
];

export function fieldPrf(
  receipts: readonly EvalReceipt[],
  truths: readonly Partial<SroieFields>[],
): Record<string, FieldPrf> {
  const out: Record<string, FieldPrf> = {};
  for (const field of FIELDS) {
    let predicted = 0;
    let expected = 0;
    let correct = 0;
    receipts.forEach((r, i) => {
      const p = r.fields[field];
      const t = truths[i]?.[field];
      if (p) predicted++;
      if (t) expected++;
      if (p && t && normaliseField(p) === normaliseField(t)) correct++;
    });
    const precision = predicted === 0 ? 0 : correct / predicted;
    const recall = expected === 0 ? 0 : correct / expected;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    out[field] = { predicted, expected, correct, precision: round(precision), recall: round(recall), f1: round(f1) };
  }
  return out;
}

export function confidenceBands(receipts: readonly EvalReceipt[]): ConfidenceBand[] {
  return BANDS.map(({ band, min, max }) => {
    const answers = receipts.filter((r) => r.place_id !== null && r.confidence >= min && r.confidence < max);
    const right = answers.filter((r) => r.correct).length;
    return {
      band,
      answers: answers.length,
      right,
      accuracy: answers.length === 0 ? null : round(right / answers.length),
    };
  });
}

/** The trace a resolution logs: core's signals and ResolutionTrace as read back from the log, any part possibly missing. */
export interface LoggedTrace {
  signals?: Partial<MerchantSignals>;
  trace?: Partial<ResolutionTrace>;
}

/** The explanation of one miss: signals read, memory neighbours, Places queries and verdicts. */
export function explainMiss(r: EvalReceipt, logged: LoggedTrace | undefined, truthName: string | null): string[] {
  const out = [
    `${r.correct ? 'PLACES CALL FOR A REPEAT' : 'MISS'} ${r.id}: expected ${r.truth_place_id} (${truthName ?? '?'}), got ${r.place_id ?? 'none'} via ${r.source}: ${r.reason}`,
  ];
  const s = logged?.signals;
  if (!s) return [...out, '  (no resolution trace was logged)'];
  out.push(`  names:   ${JSON.stringify(s.nameCandidates ?? [])}`);
  out.push(
    `  address: ${JSON.stringify(s.addressLines ?? [])}${s.branchLine ? ` branch ${JSON.stringify(s.branchLine)}` : ''}`,
  );
  out.push(
    `  phones ${JSON.stringify(s.phones ?? [])}  tax ids ${JSON.stringify(s.taxIds ?? [])}  registration ${JSON.stringify(s.registrationNos ?? [])}`,
  );
  const memory = logged?.trace?.memory ?? [];
  if (memory.length === 0) out.push('  memory: no remembered place near this receipt');
  for (const m of memory.slice(0, 6)) {
    out.push(
      `  memory ${m.accepted ? 'TAKEN  ' : 'refused'} ${m.place_id} ${m.name} via ${m.via.join('+')} best ${m.best_similarity} strong ${m.strong_lines}: ${m.reason}`,
    );
  }
  for (const p of logged?.trace?.places ?? []) {
    out.push(`  places ${p.kind} "${p.query}" → ${p.candidates.length} candidates`);
    for (const c of p.candidates)
      out.push(`    ${c.accepted ? 'TAKEN  ' : 'refused'} ${c.place_id} ${c.name} | ${c.address ?? ''}: ${c.reason}`);
  }
  return out;
}

export const round = (n: number) => Math.round(n * 1000) / 1000;
