import {
  compact,
  noopMetrics,
  type CompactDeps,
  type LeasedMessage,
  type LockBusyError,
  type Logger,
  type Metrics,
} from '@receiptflow/core';
import {
  contentionRetryDelaySeconds,
  defaultRetryDelaySeconds,
  invocationDeadline,
  isLastDelivery,
  leasedBatch,
  leaseSourcesOf,
  receiptIdsOf,
  type BatchResponse,
  type InvocationContext,
  type LeaseSources,
  type SqsEvent,
} from './sqs-event.js';

/** The code of a failure that met another compactor's lock (typed against the class, so a rename breaks the build). */
const LOCK_BUSY: LockBusyError['code'] = 'LOCK_BUSY';

/**
 * `source`/`sourceOf`: the records' queue, to settle Lambda records for real (see `leasedBatch`);
 * on Lambda, `sourceOf` finds it from each record's `eventSourceARN`.
 */
export interface CompactionHandlerOptions extends LeaseSources {
  leaseMs?: number;
  /** Merges allowed per run and collection before it is ABANDONED (default core's DEFAULT_MAX_RUN_ATTEMPTS). */
  maxRunAttempts?: number;
  /** Used when the context has no remaining-time function (local runtime). */
  fallbackBudgetMs?: number;
  /** The queue's redrive maxReceiveCount: a failure on that receive is counted as a DLQ send. */
  maxReceiveCount?: number;
  /** Delay before a failed message comes back, by its receive count (default 1, 2, 4 … 30 s). */
  retryDelaySeconds?: (receiveCount: number) => number;
  /**
   * Delay before a message that met a busy lock comes back, by its receive count (default
   * {@link contentionRetryDelaySeconds}: 5–10 s first, jittered, doubling).
   */
  busyRetryDelaySeconds?: (receiveCount: number) => number;
}

/**
 * Compaction over leased messages: `consume(messages, context)` merges them under the lock, acks
 * what succeeded and retries what failed (`retryLater`). A message that met a busy lock (another
 * compactor is merging its collection) comes back after a short, jittered delay; on Lambda, with
 * the record's queue (`source`/`sourceOf`), that is a ChangeMessageVisibility, not the queue's
 * visibility timeout (which is still what brings it back if that call fails). A message that keeps failing reaches the
 * DLQ through the queue's redrive after maxReceiveCount. If the call fails as a whole, every
 * message is retried and the error rethrown. Called with an SQS event, it returns the partial
 * batch response. Metrics per invocation: Failures, DlqSends (failures on their last receive) and
 * RunsAbandoned (runs' collections marked ABANDONED after their last allowed attempt).
 *
 * @example
 * const handler = createCompactionHandler(deps, { leaseMs: 180_000, maxReceiveCount: 5 });
 * await handler(sqsEvent, lambdaContext);   // Lambda: { batchItemFailures: [...] }
 * await handler.consume(await queue.receive({ maxMessages: 10 })); // local runtime
 */
export function createCompactionHandler(
  deps: CompactDeps & { logger: Logger; metrics?: Metrics },
  options: CompactionHandlerOptions = {},
) {
  const metrics = deps.metrics ?? noopMetrics;
  const retryDelay = options.retryDelaySeconds ?? defaultRetryDelaySeconds;
  const busyDelay = options.busyRetryDelaySeconds ?? contentionRetryDelaySeconds;
  const retry = (message: LeasedMessage) => message.retryLater(retryDelay(message.receiveCount));
  // Another compactor holds this collection's lock: come back soon, not after the visibility timeout.
  const retryWhenFree = (message: LeasedMessage) => message.retryLater(busyDelay(message.receiveCount));

  async function consume(messages: LeasedMessage[], context?: InvocationContext): Promise<void> {
    if (messages.length === 0) return;
    metrics.count('Failures', 0);
    if (options.maxReceiveCount !== undefined) metrics.count('DlqSends', 0);
    metrics.count('RunsAbandoned', 0);
    try {
      const outcome = await compact(
        deps,
        messages.map((m) => ({ id: m.id, body: m.body })),
        {
          owner: context?.awsRequestId ?? `local-${deps.clock.now()}`,
          deadline: invocationDeadline(deps.clock.now(), context, options.fallbackBudgetMs ?? 840_000),
          ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
          ...(options.maxRunAttempts === undefined ? {} : { maxRunAttempts: options.maxRunAttempts }),
        },
      );
      deps.logger.info('compaction batch done', {
        succeeded: outcome.succeeded.length,
        failed: outcome.failed.length,
        merged_lines: outcome.merged.lines,
        merged_words: outcome.merged.words,
        promoted: outcome.promoted,
        abandoned: outcome.abandoned.length,
      });
      // A run given up on after its last allowed attempt: no retry will come, an operator must look.
      metrics.count('RunsAbandoned', outcome.abandoned.length);
      const byId = new Map(messages.map((m) => [m.id, m]));
      for (const id of outcome.succeeded) await byId.get(id)?.ack();
      for (const failure of outcome.failed) {
        const message = byId.get(failure.id);
        const toDlq = message !== undefined && isLastDelivery(message, options.maxReceiveCount);
        // A merge message names its image and job; the line about it carries both.
        deps.logger.warn('compaction message failed', {
          ...(message ? receiptIdsOf(message.body) : {}),
          ...failure,
          to_dlq: toDlq,
        });
        metrics.count('Failures');
        if (toDlq) metrics.count('DlqSends');
        if (message) await (failure.code === LOCK_BUSY ? retryWhenFree(message) : retry(message));
      }
    } catch (error) {
      // The call failed as a whole: every message is retried, and each counts as a failure.
      metrics.count('Failures', messages.length);
      metrics.count('DlqSends', messages.filter((m) => isLastDelivery(m, options.maxReceiveCount)).length);
      for (const message of messages) await retry(message).catch(() => {});
      throw error;
    } finally {
      metrics.flush();
    }
  }

  async function compactionHandler(event: SqsEvent, context?: InvocationContext): Promise<BatchResponse> {
    const batch = leasedBatch(event, await leaseSourcesOf(event, options, deps.logger), deps.logger);
    await consume(batch.messages, context);
    return batch.response();
  }
  return Object.assign(compactionHandler, { consume });
}
