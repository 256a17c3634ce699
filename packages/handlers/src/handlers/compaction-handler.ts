import { compact, type CompactDeps, type Logger } from '@receiptflow/core';
import { invocationDeadline, type BatchResponse, type InvocationContext, type SqsEvent } from './sqs-event.js';

export interface CompactionHandlerOptions {
  leaseMs?: number;
  /** Used when the context has no remaining-time function (local runtime). */
  fallbackBudgetMs?: number;
}

/** Compaction for an SQS batch: merges under the lock, returns the messages to retry. */
export function createCompactionHandler(deps: CompactDeps & { logger: Logger }, options: CompactionHandlerOptions = {}) {
  return async function compactionHandler(event: SqsEvent, context?: InvocationContext): Promise<BatchResponse> {
    const records = event.Records ?? [];
    if (records.length === 0) return { batchItemFailures: [] };
    const outcome = await compact(
      deps,
      records.map((r) => ({ id: r.messageId, body: r.body })),
      {
        owner: context?.awsRequestId ?? `local-${deps.clock.now()}`,
        deadline: invocationDeadline(deps.clock.now(), context, options.fallbackBudgetMs ?? 840_000),
        ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
      },
    );
    deps.logger.info('compaction batch done', {
      succeeded: outcome.succeeded.length,
      failed: outcome.failed.length,
      merged_lines: outcome.merged.lines,
      merged_words: outcome.merged.words,
      promoted: outcome.promoted,
    });
    for (const failure of outcome.failed) deps.logger.warn('compaction message failed', failure);
    return { batchItemFailures: outcome.failed.map((f) => ({ itemIdentifier: f.id })) };
  };
}
