import {
  DeadlineExceededError,
  LockBusyError,
  isRetryable,
  noopMetrics,
  withDeadline,
  processOcrResults,
  type LeasedMessage,
  type Logger,
  type Metrics,
  type ProcessOcrResultsDeps,
} from '@receiptflow/core';
import { slowPortsWithin, type CallBudgets } from './call-deadline.js';
import {
  defaultRetryDelaySeconds,
  invocationDeadline,
  isLastDelivery,
  leasedBatch,
  leaseRetryDelaySeconds,
  leaseSourcesOf,
  receiptIdsOf,
  type BatchResponse,
  type InvocationContext,
  type LeaseSources,
  type SqsEvent,
} from './sqs-event.js';

/**
 * A message put back because the invocation had no time left for it is visible again this soon,
 * for an invocation with its whole budget: nothing failed, so no backoff.
 */
export const DEADLINE_RETRY_DELAY_SECONDS = 1;

/**
 * `source`/`sourceOf`: the records' queue, to settle Lambda records for real (see `leasedBatch`);
 * on Lambda, `sourceOf` finds it from each record's `eventSourceARN`.
 */
export interface ProcessOcrResultsHandlerOptions extends LeaseSources {
  /** The queue's redrive maxReceiveCount: a failure on that receive is counted as a DLQ send. */
  maxReceiveCount?: number;
  /** Delay before a failed message comes back, by its receive count (default 1, 2, 4 … 30 s). */
  retryDelaySeconds?: (receiveCount: number) => number;
  /**
   * The worst case of one embed and one Places call. With a Lambda context, a message is not
   * started unless an embed call could still finish, and each embed or Places call is started
   * only if its own worst case fits before the invocation's deadline. Default: no budget, so
   * calls are only cut at the deadline.
   */
  callBudgets?: CallBudgets;
}

/**
 * process-OCR-results over leased messages: `consume(messages)` settles each on its own. Done →
 * `ack`; any failure (poison included) → `retryLater`, so the queue's redrive moves a message
 * that keeps failing to the DLQ after maxReceiveCount rather than dropping it. Redelivery is harmless: the use case
 * resumes from the rows it finds. Called with an SQS event, it returns the partial batch response.
 *
 * Given a Lambda context, it works to that invocation's deadline (its remaining time less
 * `DEADLINE_MARGIN_MS`): a message, or an OpenAI or Places call, whose worst case no longer
 * fits is not started, a message still running at the deadline is abandoned, and either way the
 * message goes back to the queue in {@link DEADLINE_RETRY_DELAY_SECONDS} rather than with the
 * Lambda when it is killed. A message that met another delivery's write lease on its receipt
 * (LockBusyError with `retryAfterMs`) comes back just after that lease runs out
 * (`leaseRetryDelaySeconds`).
 *
 * Metrics per invocation: ReceiptsProcessed, PlacesCalls and MemoryAnswers (merchants decided
 * by this call), Failures, and DlqSends (failures on their last receive).
 *
 * @example
 * const handler = createProcessOcrResultsHandler(deps, { maxReceiveCount: 5 });
 * await handler(sqsEvent);                 // Lambda: { batchItemFailures: [...] }
 * await handler.consume(await queue.receive({ maxMessages: 10 })); // local runtime
 */
export function createProcessOcrResultsHandler(
  deps: ProcessOcrResultsDeps & { logger: Logger; metrics?: Metrics },
  options: ProcessOcrResultsHandlerOptions = {},
) {
  const metrics = deps.metrics ?? noopMetrics;
  const retryDelay = options.retryDelaySeconds ?? defaultRetryDelaySeconds;

  /** The deps of one message: as given, or with the slow ports held to the deadline. */
  function depsWithin(deadline: number | undefined): ProcessOcrResultsDeps {
    if (deadline === undefined) return deps;
    return { ...deps, ...slowPortsWithin(deps, deadline, options.callBudgets ?? { embedMs: 0, placesMs: 0 }) };
  }

  async function settle(message: LeasedMessage, deadline: number | undefined): Promise<void> {
    try {
      if (deadline !== undefined) {
        const left = deadline - deps.clock.now();
        const needs = options.callBudgets?.embedMs ?? 0;
        if (left <= needs)
          throw new DeadlineExceededError(
            `message not started: ${Math.max(0, left)} ms left, an embed call may take ${needs} ms`,
          );
      }
      const outcome = await withDeadline(
        deps.clock,
        deadline,
        'process ocr results',
        processOcrResults(depsWithin(deadline), message.body),
      );
      deps.logger.info('ocr results processed', {
        message_id: message.id,
        image_id: outcome.image_id,
        job_id: outcome.job_id,
        receipts: outcome.receipts.length,
        skipped: outcome.skipped.length,
      });
      metrics.count('ReceiptsProcessed', outcome.receipts.length);
      for (const receipt of outcome.receipts) {
        if (!receipt.resolved) continue;
        metrics.count('PlacesCalls', receipt.resolved.places_calls);
        if (receipt.resolved.source === 'vector') metrics.count('MemoryAnswers');
      }
      await message.ack();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      // Every failure, poison included, is retried: the queue's redrive moves a message that
      // keeps failing to the DLQ after maxReceiveCount (docs/lessons.md#lesson-4-a-dlq-threshold-that-could-never-be-reached).
      const toDlq = isLastDelivery(message, options.maxReceiveCount);
      deps.logger.error('ocr results failed', {
        message_id: message.id,
        ...receiptIdsOf(message.body),
        retryable: isRetryable(error),
        to_dlq: toDlq,
        error: reason,
      });
      metrics.count('Failures');
      if (toDlq) metrics.count('DlqSends');
      await message.retryLater(delayAfter(error, message.receiveCount));
    }
  }

  /**
   * Out of time: back at once. Another delivery holds the receipt's write lease: back when that
   * lease has run out, when sooner would only meet it again. Otherwise the backoff by receive.
   */
  function delayAfter(error: unknown, receiveCount: number): number {
    if (error instanceof DeadlineExceededError) return DEADLINE_RETRY_DELAY_SECONDS;
    if (error instanceof LockBusyError && error.retryAfterMs !== undefined)
      return leaseRetryDelaySeconds(error.retryAfterMs);
    return retryDelay(receiveCount);
  }

  async function consume(messages: LeasedMessage[], context?: InvocationContext): Promise<void> {
    // Read from THIS invocation's context, never cached per container (docs/lessons.md#lesson-17-timeouts-that-did-not-fit).
    const deadline = context?.getRemainingTimeInMillis ? invocationDeadline(deps.clock.now(), context, 0) : undefined;
    for (const name of ['ReceiptsProcessed', 'PlacesCalls', 'MemoryAnswers', 'Failures'] as const)
      metrics.count(name, 0);
    if (options.maxReceiveCount !== undefined) metrics.count('DlqSends', 0);
    try {
      for (const message of messages) await settle(message, deadline);
    } finally {
      metrics.flush();
    }
  }

  async function processOcrResultsHandler(event: SqsEvent, context?: InvocationContext): Promise<BatchResponse> {
    const batch = leasedBatch(event, await leaseSourcesOf(event, options, deps.logger), deps.logger);
    await consume(batch.messages, context);
    return batch.response();
  }
  return Object.assign(processOcrResultsHandler, { consume });
}
