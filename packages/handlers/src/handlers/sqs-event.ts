import { ConfigError, type LeasedMessage } from '@receiptflow/core';

/** The parts of an SQS event that the queue handlers read. */
export interface SqsRecord {
  messageId: string;
  receiptHandle?: string;
  body: string;
  attributes?: { ApproximateReceiveCount?: string };
  messageAttributes?: Record<string, { stringValue?: string } | undefined>;
}

export interface SqsEvent {
  Records: SqsRecord[];
}

/** Partial batch response: only the listed messages are retried. */
export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/** The slice of the Lambda context the handlers use. */
export interface InvocationContext {
  awsRequestId?: string;
  getRemainingTimeInMillis?: () => number;
}

/** Margin kept before the Lambda timeout, so failures are reported rather than killed. */
export const DEADLINE_MARGIN_MS = 10_000;

/**
 * The deadline of THIS invocation, read from its context every time: a deadline computed once
 * per container would leave a warm container's later invocations with no time (docs/lessons.md#lesson-17-timeouts-that-did-not-fit).
 */
export function invocationDeadline(now: number, context: InvocationContext | undefined, fallbackMs: number): number {
  const remaining = context?.getRemainingTimeInMillis?.() ?? fallbackMs;
  return now + Math.max(0, remaining - DEADLINE_MARGIN_MS);
}

/**
 * True when a failed record was on its last receive: with `maxReceiveCount` as on the queue's
 * redrive policy, SQS moves it to the DLQ instead of delivering it again. Unknown counts
 * (no attribute, no configured maximum) are never the last.
 */
export function isLastReceive(record: SqsRecord, maxReceiveCount: number | undefined): boolean {
  const received = Number(record.attributes?.ApproximateReceiveCount);
  return maxReceiveCount !== undefined && Number.isFinite(received) && received >= maxReceiveCount;
}

/**
 * The image and job a queue body names, for log lines about a message that failed before (or
 * while) it was parsed; each id absent when the body does not carry it.
 */
export function receiptIdsOf(body: string): { image_id?: string; job_id?: string } {
  try {
    const parsed: unknown = JSON.parse(body);
    if (!parsed || typeof parsed !== 'object') return {};
    const { image_id, job_id } = parsed as Record<string, unknown>;
    return { ...(typeof image_id === 'string' ? { image_id } : {}), ...(typeof job_id === 'string' ? { job_id } : {}) };
  } catch {
    return {};
  }
}

/**
 * Where a Lambda's records can be settled for real: the source queue's adapter (SqsQueue's
 * `leaseFromEvent`), which changes visibility for `retryLater` and sends to the DLQ for
 * `deadLetter`.
 */
export interface EventLeaseSource {
  leaseFromEvent(
    delivery: {
      messageId: string;
      body: string;
      receiptHandle?: string;
      receiveCount: number;
      messageAttributes?: SqsRecord['messageAttributes'];
    },
    report: (outcome: 'success' | 'failure') => void,
  ): LeasedMessage;
}

/**
 * The records of a Lambda SQS event as LeasedMessages, so that a handler settles them as the
 * worker settles what it receives. The event source mapping deletes what the partial batch
 * response does not list, so `ack` and `deadLetter` report success, `retryLater` a failure.
 * Without a `source`, `retryLater` leaves the delay to the queue's visibility timeout,
 * `deadLetter` rejects with ConfigError (the caller then retries it, and the queue's redrive
 * policy moves it after maxReceiveCount), and `extendLease` does nothing. A message
 * left unsettled is reported as a failure: not settled means not done.
 *
 * @example
 * const batch = leasedBatch(event, sqsQueue);
 * for (const message of batch.messages) await message.ack();
 * return batch.response(); // { batchItemFailures: [] }
 */
export function leasedBatch(
  event: SqsEvent,
  source?: EventLeaseSource,
): { messages: LeasedMessage[]; response(): BatchResponse } {
  const outcomes = new Map<string, 'success' | 'failure'>();
  const records = event.Records ?? [];
  const messages = records.map((record): LeasedMessage => {
    const report = (outcome: 'success' | 'failure') => void outcomes.set(record.messageId, outcome);
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1;
    if (source) {
      return source.leaseFromEvent(
        {
          messageId: record.messageId,
          body: record.body,
          receiveCount,
          ...(record.receiptHandle ? { receiptHandle: record.receiptHandle } : {}),
          ...(record.messageAttributes ? { messageAttributes: record.messageAttributes } : {}),
        },
        report,
      );
    }
    return {
      id: record.messageId,
      body: record.body,
      receiveCount,
      ack: async () => report('success'),
      retryLater: async () => report('failure'),
      deadLetter: async () => {
        throw new ConfigError(
          'this handler was given no source queue to dead-letter to; the redrive policy will move the message',
        );
      },
      extendLease: async () => {},
    };
  });
  return {
    messages,
    response: () => ({
      batchItemFailures: records
        .filter((r) => outcomes.get(r.messageId) !== 'success')
        .map((r) => ({ itemIdentifier: r.messageId })),
    }),
  };
}

/** True when this delivery is the last before the queue's redrive moves the message to its DLQ. */
export function isLastDelivery(message: { receiveCount: number }, maxReceiveCount: number | undefined): boolean {
  return maxReceiveCount !== undefined && message.receiveCount >= maxReceiveCount;
}

/** The default delay before a failed message is delivered again: 1, 2, 4 … 30 s by receive count. */
export function defaultRetryDelaySeconds(receiveCount: number): number {
  return Math.min(30, 2 ** Math.max(0, receiveCount - 1));
}

/** First step of {@link contentionRetryDelaySeconds}, doubled per receive, and its cap. */
const CONTENTION_BASE_SECONDS = 5;
const CONTENTION_CAP_SECONDS = 120;

/**
 * The delay before a message that met a busy lock is delivered again: short, since the holder
 * usually finishes within a minute, and jittered, so that two pollers turned away together do
 * not come back together. 5–10 s on the first receive, then doubling (10–20, 20–40 …) up to
 * 120–240 s. Four busy receives in a row wait 75–150 s in all before the fifth; the queue's
 * visibility timeout (an hour for compaction) is never what brings the message back.
 *
 * @example
 * contentionRetryDelaySeconds(1, () => 0); // 5
 * contentionRetryDelaySeconds(3, () => 0.5); // 30
 */
export function contentionRetryDelaySeconds(receiveCount: number, random: () => number = Math.random): number {
  const step = Math.min(CONTENTION_CAP_SECONDS, CONTENTION_BASE_SECONDS * 2 ** Math.max(0, receiveCount - 1));
  return step + Math.floor(random() * step);
}
