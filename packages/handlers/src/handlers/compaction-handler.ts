import { compact, noopMetrics, type CompactDeps, type Logger, type Metrics } from '@receiptflow/core';
import { invocationDeadline, isLastReceive, receiptIdsOf, type BatchResponse, type InvocationContext, type SqsEvent } from './sqs-event.js';

export interface CompactionHandlerOptions {
  leaseMs?: number;
  /** Used when the context has no remaining-time function (local runtime). */
  fallbackBudgetMs?: number;
  /** The queue's redrive maxReceiveCount: a failure on that receive is counted as a DLQ send. */
  maxReceiveCount?: number;
}

/**
 * Compaction for an SQS batch: merges under the lock, returns the messages to retry.
 * Metrics per invocation: Failures and DlqSends (failures on their last receive).
 */
export function createCompactionHandler(deps: CompactDeps & { logger: Logger; metrics?: Metrics }, options: CompactionHandlerOptions = {}) {
  const metrics = deps.metrics ?? noopMetrics;
  return async function compactionHandler(event: SqsEvent, context?: InvocationContext): Promise<BatchResponse> {
    const records = event.Records ?? [];
    if (records.length === 0) return { batchItemFailures: [] };
    metrics.count('Failures', 0);
    if (options.maxReceiveCount !== undefined) metrics.count('DlqSends', 0);
    try {
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
      const byId = new Map(records.map((r) => [r.messageId, r]));
      for (const failure of outcome.failed) {
        const record = byId.get(failure.id);
        const toDlq = record !== undefined && isLastReceive(record, options.maxReceiveCount);
        // A merge message names its image and job; the line about it carries both.
        deps.logger.warn('compaction message failed', { ...(record ? receiptIdsOf(record.body) : {}), ...failure, to_dlq: toDlq });
        metrics.count('Failures');
        if (toDlq) metrics.count('DlqSends');
      }
      return { batchItemFailures: outcome.failed.map((f) => ({ itemIdentifier: f.id })) };
    } catch (error) {
      // The invocation fails as a whole: every message is retried, and each counts as a failure.
      metrics.count('Failures', records.length);
      metrics.count('DlqSends', records.filter((r) => isLastReceive(r, options.maxReceiveCount)).length);
      throw error;
    } finally {
      metrics.flush();
    }
  };
}
