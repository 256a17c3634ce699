import type { DeadLetterNote } from '@receiptflow/core';

/**
 * The message attributes that carry a dead-lettered message's note: SqsQueue's `deadLetter`
 * writes them, and both SqsQueue (a consumer of the DLQ) and SqsDeadLetterQueue (an operator's
 * listing) read them back.
 */
export const DEAD_LETTER_NOTE = {
  reason: 'dead_letter_reason',
  sourceQueue: 'dead_letter_source_queue',
  sourceMessageId: 'dead_letter_source_message_id',
  receiveCount: 'dead_letter_receive_count',
} as const;

/** The note in a message's attributes (the SDK's or Lambda's casing), or undefined when it has none. */
export function noteOf(
  attributes: Record<string, { StringValue?: string | undefined } | undefined>,
): DeadLetterNote | undefined {
  const reason = attributes[DEAD_LETTER_NOTE.reason]?.StringValue;
  if (reason === undefined) return undefined;
  return {
    reason,
    sourceQueue: attributes[DEAD_LETTER_NOTE.sourceQueue]?.StringValue ?? '',
    sourceMessageId: attributes[DEAD_LETTER_NOTE.sourceMessageId]?.StringValue ?? '',
    receiveCount: Number(attributes[DEAD_LETTER_NOTE.receiveCount]?.StringValue ?? 0),
  };
}
