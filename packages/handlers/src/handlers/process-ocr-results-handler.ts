import { isRetryable, processOcrResults, type Logger, type ProcessOcrResultsDeps } from '@receiptflow/core';
import type { BatchResponse, SqsEvent } from './sqs-event.js';

/**
 * process-OCR-results for an SQS batch. Each record is processed on its own; only the failed
 * ones are returned, so the rest are deleted. Poison messages are failed too, so that SQS redrive
 * moves them to the DLQ after maxReceiveCount rather than dropping them silently.
 */
export function createProcessOcrResultsHandler(deps: ProcessOcrResultsDeps & { logger: Logger }) {
  return async function processOcrResultsHandler(event: SqsEvent): Promise<BatchResponse> {
    const failures: { itemIdentifier: string }[] = [];
    for (const record of event.Records ?? []) {
      try {
        const outcome = await processOcrResults(deps, record.body);
        deps.logger.info('ocr results processed', {
          message_id: record.messageId,
          image_id: outcome.image_id,
          receipts: outcome.receipts.length,
          skipped: outcome.skipped.length,
        });
      } catch (error) {
        deps.logger.error('ocr results failed', {
          message_id: record.messageId,
          retryable: isRetryable(error),
          error: error instanceof Error ? error.message : String(error),
        });
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  };
}
