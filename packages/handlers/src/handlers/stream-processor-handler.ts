import { noopMetrics, routeChange, type ChangeRecord, type Logger, type Metrics, type Queue } from '@receiptflow/core';

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
 * Metrics per invocation: Failures (a failed record, or one that could not be decoded).
 */
export function createStreamProcessor(deps: { compactionQueue: Queue; logger: Logger; metrics?: Metrics }) {
  const metrics = deps.metrics ?? noopMetrics;
  return async function processStream(items: StreamItem[]): Promise<StreamBatchResponse> {
    metrics.count('Failures', 0);
    try {
      for (const item of items) {
        if (item.undecodable) {
          deps.logger.error('stream record could not be decoded; skipped', { id: item.id });
          metrics.count('Failures');
        }
        try {
          const messages = item.change ? routeChange(item.change) : [];
          if (messages.length > 0) await deps.compactionQueue.sendBatch(messages.map((m) => JSON.stringify(m)));
        } catch (error) {
          deps.logger.error('stream record failed', {
            id: item.id,
            ...receiptIdsOfChange(item.change),
            error: error instanceof Error ? error.message : String(error),
          });
          metrics.count('Failures');
          return { batchItemFailures: [{ itemIdentifier: item.id }] };
        }
      }
      return { batchItemFailures: [] };
    } finally {
      metrics.flush();
    }
  };
}

/** The image (and, for compaction runs, job) a change is about, for its log lines. */
function receiptIdsOfChange(change: ChangeRecord | null): { image_id?: unknown; job_id?: unknown } {
  const image = change?.new_image ?? change?.old_image;
  if (!image) return {};
  return {
    ...('image_id' in image ? { image_id: image.image_id } : {}),
    ...('job_id' in image ? { job_id: image.job_id } : {}),
  };
}
