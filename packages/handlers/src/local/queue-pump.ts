import type { LeasedMessage, Queue } from '@receiptflow/core';

/** A queue handler's consumer: settles every message it is given (ack, retryLater or deadLetter). */
export interface MessageConsumer {
  consume(messages: LeasedMessage[]): Promise<void>;
}

/**
 * Feeds one receive of a local queue to a handler's consumer, which settles each leased message
 * itself, as it does in Lambda through the event's lease view. Returns how many messages were
 * received.
 *
 * @example
 * while (await pumpQueue(resultsQueue, resultsHandler, { waitSeconds: 1 }) > 0) {}
 */
export async function pumpQueue(
  queue: Queue,
  consumer: MessageConsumer,
  options: { maxMessages?: number; waitSeconds?: number } = {},
): Promise<number> {
  const messages = await queue.receive({
    maxMessages: options.maxMessages ?? 10,
    waitSeconds: options.waitSeconds ?? 0,
  });
  if (messages.length > 0) await consumer.consume(messages);
  return messages.length;
}
