import { isRetryable, noopMetrics, processOcrResults, type Logger, type Metrics, type ProcessOcrResultsDeps } from '@receiptflow/core';
import { isLastReceive, receiptIdsOf, type BatchResponse, type SqsEvent } from './sqs-event.js';

export interface ProcessOcrResultsHandlerOptions {
  /** The queue's redrive maxReceiveCount: a failure on that receive is counted as a DLQ send. */
  maxReceiveCount?: number;
}

/**
 * process-OCR-results for an SQS batch. Each record is processed on its own; only the failed
 * ones are returned, so the rest are deleted. Poison messages are failed too, so that SQS redrive
 * moves them to the DLQ after maxReceiveCount rather than dropping them silently.
 *
 * Metrics per invocation: ReceiptsProcessed, PlacesCalls and MemoryAnswers (merchants decided
 * by this call), Failures, and DlqSends (failures on their last receive).
 */
export function createProcessOcrResultsHandler(
  deps: ProcessOcrResultsDeps & { logger: Logger; metrics?: Metrics },
  options: ProcessOcrResultsHandlerOptions = {},
) {
  const metrics = deps.metrics ?? noopMetrics;
  return async function processOcrResultsHandler(event: SqsEvent): Promise<BatchResponse> {
    const failures: { itemIdentifier: string }[] = [];
    for (const name of ['ReceiptsProcessed', 'PlacesCalls', 'MemoryAnswers', 'Failures'] as const) metrics.count(name, 0);
    if (options.maxReceiveCount !== undefined) metrics.count('DlqSends', 0);
    try {
      for (const record of event.Records ?? []) {
        try {
          const outcome = await processOcrResults(deps, record.body);
          deps.logger.info('ocr results processed', {
            message_id: record.messageId,
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
        } catch (error) {
          const toDlq = isLastReceive(record, options.maxReceiveCount);
          deps.logger.error('ocr results failed', {
            message_id: record.messageId,
            ...receiptIdsOf(record.body),
            retryable: isRetryable(error),
            to_dlq: toDlq,
            error: error instanceof Error ? error.message : String(error),
          });
          metrics.count('Failures');
          if (toDlq) metrics.count('DlqSends');
          failures.push({ itemIdentifier: record.messageId });
        }
      }
    } finally {
      metrics.flush();
    }
    return { batchItemFailures: failures };
  };
}
