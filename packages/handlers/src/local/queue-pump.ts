import type { Queue } from '@receiptflow/core';
import type { BatchResponse, SqsEvent } from '../handlers/sqs-event.js';

/**
 * Feeds one receive of a local queue to a Lambda-style SQS handler and settles it the way the
 * Lambda event source mapping does: delete what succeeded, leave failures to reappear (after a
 * short backoff that grows with the receive count, so the DLQ is reached in seconds locally).
 * Returns how many messages were received.
 */
export async function pumpQueue(
  queue: Queue,
  handler: (event: SqsEvent) => Promise<BatchResponse>,
  options: { maxMessages?: number; waitSeconds?: number } = {},
): Promise<number> {
  const messages = await queue.receive({ maxMessages: options.maxMessages ?? 10, waitSeconds: options.waitSeconds ?? 0 });
  if (messages.length === 0) return 0;
  const response = await handler({
    Records: messages.map((m) => ({
      messageId: m.id,
      receiptHandle: m.receiptHandle,
      body: m.body,
      attributes: { ApproximateReceiveCount: String(m.receiveCount) },
    })),
  });
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  await queue.deleteBatch(messages.filter((m) => !failed.has(m.id)).map((m) => m.receiptHandle));
  for (const m of messages.filter((m) => failed.has(m.id))) {
    await queue.changeVisibility(m.receiptHandle, Math.min(30, 2 ** (m.receiveCount - 1)));
  }
  return messages.length;
}
