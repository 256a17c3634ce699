import * as z from 'zod';
import { schema } from '../schema.js';
import { IdSchema, ReceiptIdSchema, type Collection } from './ids.js';
import type { Transitions } from './state-machine.js';

/**
 * ABANDONED: the merge failed on its last allowed attempt (`compact`'s `maxRunAttempts`); no
 * message or sweep retries it any more, and it stays listed as such until an operator re-drives it
 * (docs/operations.md#a-compaction-run-abandoned).
 */
export const CollectionStateSchema = /* @__PURE__ */ schema(() =>
  z.enum(['PENDING', 'PROCESSING', 'COMPLETED', 'FAILED', 'ABANDONED']),
);
export type CollectionState = z.infer<typeof CollectionStateSchema>;

/**
 * FAILED → PROCESSING lets a retried message try again; COMPLETED is terminal; ABANDONED only
 * goes back to FAILED, by an operator's re-drive.
 */
export const COLLECTION_TRANSITIONS: Transitions<CollectionState> = {
  PENDING: ['PROCESSING', 'FAILED', 'ABANDONED'],
  PROCESSING: ['PROCESSING', 'COMPLETED', 'FAILED', 'ABANDONED'],
  COMPLETED: [],
  FAILED: ['PROCESSING', 'ABANDONED'],
  ABANDONED: ['FAILED'],
};

/** States the sweep leaves alone: done, or given up on. */
export function isSettledCollectionState(state: CollectionState): boolean {
  return state === 'COMPLETED' || state === 'ABANDONED';
}

export const CollectionProgressSchema = /* @__PURE__ */ schema(() =>
  z.object({
    state: CollectionStateSchema,
    delta_key: z.string().min(1),
    vector_count: z.number().int().nonnegative(),
    merged_count: z.number().int().nonnegative().nullable(),
    error: z.string().nullable(),
    updated_at: z.string().datetime(),
    /**
     * Merges started (transitions into PROCESSING), counted by the store. Bounded by `compact`'s
     * `maxRunAttempts`; rows written before it was tracked read as 0.
     */
    attempts: z.number().int().nonnegative().default(0),
  }),
);
export type CollectionProgress = z.infer<typeof CollectionProgressSchema>;

/** One receipt's pending merge, tracked per collection so lines and words finish independently. */
export const CompactionRunSchema = /* @__PURE__ */ schema(() =>
  z.object({
    run_id: IdSchema,
    image_id: IdSchema,
    receipt_id: ReceiptIdSchema,
    /** The OCR job whose results made this run; carried into compaction's log lines. Absent on older rows. */
    job_id: IdSchema.optional(),
    created_at: z.string().datetime(),
    lines: CollectionProgressSchema,
    words: CollectionProgressSchema,
  }),
);
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
    attempts: 0,
  });
  return { ...ids, created_at: now, lines: progress('lines'), words: progress('words') };
}
