import {
  isRetryable,
  noopMetrics,
  processOcrResults,
  type LeasedMessage,
  type Logger,
  type Metrics,
  type ProcessOcrResultsDeps,
} from '@receiptflow/core';
import {
  defaultRetryDelaySeconds,
  isLastDelivery,
  leasedBatch,
  receiptIdsOf,
  type BatchResponse,
  type EventLeaseSource,
  type SqsEvent,
} from './sqs-event.js';

export interface ProcessOcrResultsHandlerOptions {
  /** The queue's redrive maxReceiveCount: a failure on that receive is counted as a DLQ send. */
  maxReceiveCount?: number;
  /** The source queue, to settle Lambda records for real (see `leasedBatch`). */
  source?: EventLeaseSource;
  /** Delay before a failed message comes back, by its receive count (default 1, 2, 4 … 30 s). */
  retryDelaySeconds?: (receiveCount: number) => number;
}

/**
 * process-OCR-results over leased messages: `consume(messages)` settles each on its own. Done →
 * `ack`; any failure (poison included) → `retryLater`, so the queue's redrive moves a message
 * that keeps failing to the DLQ after maxReceiveCount rather than dropping it. Redelivery is harmless: the use case
 * resumes from the rows it finds. Called with an SQS event, it returns the partial batch response.
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

  async function settle(message: LeasedMessage): Promise<void> {
    try {
      const outcome = await processOcrResults(deps, message.body);
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
      await message.retryLater(retryDelay(message.receiveCount));
    }
  }

  async function consume(messages: LeasedMessage[]): Promise<void> {
    for (const name of ['ReceiptsProcessed', 'PlacesCalls', 'MemoryAnswers', 'Failures'] as const)
      metrics.count(name, 0);
    if (options.maxReceiveCount !== undefined) metrics.count('DlqSends', 0);
    try {
      for (const message of messages) await settle(message);
    } finally {
      metrics.flush();
    }
  }

  async function processOcrResultsHandler(event: SqsEvent): Promise<BatchResponse> {
    const batch = leasedBatch(event, options.source);
    await consume(batch.messages);
    return batch.response();
  }
  return Object.assign(processOcrResultsHandler, { consume });
}
