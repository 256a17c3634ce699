import { routeChange, type ChangeRecord, type Logger, type Queue } from '@receiptflow/core';

/** One change-feed record: where it came from (for retries) and what it says in domain terms. */
export interface StreamItem {
  /** The stream sequence number (DynamoDB) or the local feed's id. */
  id: string;
  /** Null when the record is not one of ours (another table entity, a TTL row). */
  change: ChangeRecord | null;
  /** The record could not be decoded; it is logged and skipped, never retried forever. */
  undecodable?: boolean;
}

export interface StreamBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/**
 * Turns job-table changes into compaction messages. Records are handled in order and the first
 * failure stops the batch (stream semantics: everything after it is retried).
 */
export function createStreamProcessor(deps: { compactionQueue: Queue; logger: Logger }) {
  return async function processStream(items: StreamItem[]): Promise<StreamBatchResponse> {
    for (const item of items) {
      if (item.undecodable) deps.logger.error('stream record could not be decoded; skipped', { id: item.id });
      try {
        const messages = item.change ? routeChange(item.change) : [];
        if (messages.length > 0) await deps.compactionQueue.sendBatch(messages.map((m) => JSON.stringify(m)));
      } catch (error) {
        deps.logger.error('stream record failed', {
          id: item.id,
          error: error instanceof Error ? error.message : String(error),
        });
        return { batchItemFailures: [{ itemIdentifier: item.id }] };
      }
    }
    return { batchItemFailures: [] };
  };
}
