import type { ChangeRecord } from '@receiptflow/core';
import type { StreamItem } from './stream-processor-handler.js';

/**
 * Turns DynamoDB stream records into stream items. A record that cannot be decoded is not ours to
 * fix by retrying: it becomes an item with no change (logged by the caller's metrics) rather than
 * blocking the shard. Retry identity is the SequenceNumber, as ReportBatchItemFailures expects.
 */
export function toStreamItems<R extends { eventID?: string; dynamodb?: { SequenceNumber?: string } }>(
  records: R[],
  decode: (record: R) => ChangeRecord | null,
): StreamItem[] {
  return records.map((record, i) => {
    const id = record.dynamodb?.SequenceNumber ?? record.eventID ?? String(i);
    try {
      return { id, change: decode(record) };
    } catch {
      return { id, change: null, undecodable: true };
    }
  });
}
