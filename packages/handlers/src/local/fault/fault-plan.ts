import { ConfigError } from '@receiptflow/core';
import * as z from 'zod';

/**
 * Pipeline events a test can kill `receipts serve` after, in pipeline order. Each fires when the
 * write it names has resolved, so a kill there leaves exactly that much on disk.
 */
export const FAULT_EVENTS = [
  'image-stored', // the raw image bytes are stored (no IMAGE row yet)
  'job-created', // IMAGE and the PENDING OCR_JOB are written (no ocr-queue message yet)
  'ocr-stored', // the OCR JSON is in the artifacts bucket (job still PROCESSING)
  'receipt-rows', // the RECEIPT, LINE and WORD rows are written (no place, deltas or run)
  'delta-lines', // the lines delta is written (the merchant is resolved, not yet stored)
  'delta-words', // the words delta is written
  'place-stored', // the RECEIPT#PLACE row is written (no run yet)
  'run-created', // the CompactionRun is written (its merges not yet routed)
  'merge-lines', // the lines vectors are upserted into the index (not read back, not promoted)
  'promoted-lines', // the lines snapshot pointer is swapped (lines not yet COMPLETED)
  'merge-words', // the same for words, which compaction handles after lines
  'promoted-words',
] as const;
export type FaultEvent = (typeof FAULT_EVENTS)[number];

/** Kill the process the `occurrence`-th time `event` passes (1 = the first time). */
export interface FaultPlan {
  event: FaultEvent;
  occurrence: number;
}

/** The environment variable that arms a fault; test-only, parsed once at the CLI edge. */
export const FAULT_ENV = 'RECEIPTFLOW_FAULT';

const FaultPlanSchema = z
  .string()
  .regex(/^kill-after:[a-z-]+(:\d+)?$/, 'expected kill-after:<event>[:n]')
  .transform((value) => {
    const [, event, n] = value.split(':');
    return { event, occurrence: n === undefined ? 1 : Number(n) };
  })
  .pipe(z.object({ event: z.enum(FAULT_EVENTS), occurrence: z.number().int().positive() }));

/**
 * Parses `RECEIPTFLOW_FAULT` (`kill-after:<event>[:n]`); unset or empty means no fault.
 * Throws ConfigError naming the variable and the events it accepts.
 *
 * @example
 * parseFaultPlan('kill-after:delta-words');   // { event: 'delta-words', occurrence: 1 }
 * parseFaultPlan('kill-after:merge-lines:2'); // the second lines merge
 */
export function parseFaultPlan(value: string | undefined): FaultPlan | null {
  if (value === undefined || value === '') return null;
  const parsed = FaultPlanSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => i.message).join('; ');
  throw new ConfigError(`${FAULT_ENV}="${value}" is invalid (${problems}); events: ${FAULT_EVENTS.join(', ')}`);
}
