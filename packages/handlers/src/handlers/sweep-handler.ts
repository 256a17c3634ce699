import {
  recoverUnfinishedWork,
  ReceiptflowError,
  ValidationError,
  type Clock,
  type Logger,
  type RecoverUnfinishedWorkDeps,
} from '@receiptflow/core';
import * as z from 'zod';
import { schema } from '../config/schema.js';

export interface SweepHandlerOptions {
  /** Work touched more recently than this is presumed in flight. */
  minAgeMs: number;
  /** Only jobs created within this long are examined. */
  lookbackMs: number;
  /** Jobs (or runs) examined per stage. */
  limit: number;
}

/** What one sweep re-sent (the Lambda's return value, visible in test invokes). */
export interface SweepSummary {
  ocr: number;
  results: number;
  merges: number;
  skipped: string[];
}

/**
 * An EventBridge scheduled event, or a manual invoke: `{}`, or `{"lookback_seconds": N}` to look
 * further back once (at most 35 days, DynamoDB's point-in-time window) after an outage.
 */
const SweepEventSchema = /* @__PURE__ */ schema(() =>
  z
    .object({
      'detail-type': z.string().optional(),
      time: z.string().optional(),
      lookback_seconds: z
        .number()
        .int()
        .positive()
        .max(35 * 86_400)
        .optional(),
    })
    .passthrough(),
);

/**
 * The scheduled sweep: re-sends every image stopped short of `compacted` to its first
 * unfinished step (`recoverUnfinishedWork`). The OCR worker can be offline for hours with a
 * legitimate backlog, so OCR is re-sent only while ocr-queue is empty. A failure is logged with
 * its code and rethrown, so the invocation counts as an error; the next sweep tries again.
 */
export function createSweepHandler(
  deps: RecoverUnfinishedWorkDeps & {
    ocrBacklog: NonNullable<RecoverUnfinishedWorkDeps['ocrBacklog']>;
    clock: Clock;
    logger: Logger;
  },
  options: SweepHandlerOptions,
) {
  return async function sweep(event: unknown): Promise<SweepSummary> {
    const parsed = SweepEventSchema.safeParse(event ?? {});
    if (!parsed.success) {
      // A bad override must not silently sweep with the default window instead.
      throw new ValidationError(
        'sweep event',
        parsed.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`),
      );
    }
    const lookbackMs =
      parsed.data.lookback_seconds !== undefined ? parsed.data.lookback_seconds * 1000 : options.lookbackMs;
    try {
      const report = await recoverUnfinishedWork(deps, {
        now: deps.clock.now(),
        olderThanMs: options.minAgeMs,
        lookbackMs,
        limit: options.limit,
        ocrOnlyWhenQueueIdle: true,
      });
      const summary = {
        ocr: report.ocr.length,
        results: report.results.length,
        merges: report.merges,
        skipped: report.skipped,
      };
      deps.logger.info('sweep done', {
        ...summary,
        lookback_seconds: lookbackMs / 1000,
        scheduled_at: parsed.data.time,
      });
      return summary;
    } catch (error) {
      deps.logger.error('sweep failed', {
        error: error instanceof Error ? error.message : String(error),
        code: error instanceof ReceiptflowError ? error.code : undefined,
      });
      throw error;
    }
  };
}
