import { z } from 'zod';
import { IdSchema, ReceiptIdSchema, type Collection } from './ids.js';
import type { Transitions } from './state-machine.js';

export const CollectionStateSchema = z.enum(['PENDING', 'PROCESSING', 'COMPLETED', 'FAILED']);
export type CollectionState = z.infer<typeof CollectionStateSchema>;

/** FAILED → PROCESSING lets a retried message try again; COMPLETED is terminal. */
export const COLLECTION_TRANSITIONS: Transitions<CollectionState> = {
  PENDING: ['PROCESSING', 'FAILED'],
  PROCESSING: ['PROCESSING', 'COMPLETED', 'FAILED'],
  COMPLETED: [],
  FAILED: ['PROCESSING'],
};

export const CollectionProgressSchema = z.object({
  state: CollectionStateSchema,
  delta_key: z.string().min(1),
  vector_count: z.number().int().nonnegative(),
  merged_count: z.number().int().nonnegative().nullable(),
  error: z.string().nullable(),
  updated_at: z.string().datetime(),
});
export type CollectionProgress = z.infer<typeof CollectionProgressSchema>;

/** One receipt's pending merge, tracked per collection so lines and words finish independently. */
export const CompactionRunSchema = z.object({
  run_id: IdSchema,
  image_id: IdSchema,
  receipt_id: ReceiptIdSchema,
  /** The OCR job whose results made this run; carried into compaction's log lines. Absent on older rows. */
  job_id: IdSchema.optional(),
  created_at: z.string().datetime(),
  lines: CollectionProgressSchema,
  words: CollectionProgressSchema,
});
export type CompactionRun = z.infer<typeof CompactionRunSchema>;

/**
 * A new run for one receipt: each collection PENDING, pointing at its delta, with the count of
 * vectors it holds. The run id is deterministic (see `deterministicRunId`), so a redelivery
 * builds the same run.
 *
 * @example
 * const run = newCompactionRun({ run_id, image_id, receipt_id, job_id }, { lines: 'deltas/lines/r.json', words: 'deltas/words/r.json' }, { lines: 12, words: 40 }, now);
 */
export function newCompactionRun(
  ids: Pick<CompactionRun, 'run_id' | 'image_id' | 'receipt_id' | 'job_id'>,
  deltaKeys: Record<Collection, string>,
  vectorCounts: Record<Collection, number>,
  now: string,
): CompactionRun {
  const progress = (c: Collection): CollectionProgress => ({
    state: 'PENDING',
    delta_key: deltaKeys[c],
    vector_count: vectorCounts[c],
    merged_count: null,
    error: null,
    updated_at: now,
  });
  return { ...ids, created_at: now, lines: progress('lines'), words: progress('words') };
}
