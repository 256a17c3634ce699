import { ConfigError, isRetryable, type LeasedMessage, type Logger } from '@receiptflow/core';

/** The parts of an SQS event that the queue handlers read. */
export interface SqsRecord {
  messageId: string;
  receiptHandle?: string;
  body: string;
  attributes?: { ApproximateReceiveCount?: string };
  messageAttributes?: Record<string, { stringValue?: string } | undefined>;
  /** The queue's ARN, on every record Lambda delivers: the queue the handler settles it on. */
  eventSourceARN?: string;
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
 * The queue a record came from, by the record's `eventSourceARN`: on Lambda, the function's own
 * queue (`SqsQueue.fromArn`). Rejects when the ARN names no queue it can address.
 */
export type EventSourceResolver = (eventSourceArn: string) => Promise<EventLeaseSource>;

/** Where one record is settled: a queue, or none (the partial batch response alone). */
export type LeaseSourceOf = (record: SqsRecord) => EventLeaseSource | undefined;

/** A consumer's ways to its records' queue: one given outright (tests, local), or found per record. */
export interface LeaseSources {
  /** The queue every record is settled on. */
  source?: EventLeaseSource;
  /** The queue of each record's `eventSourceARN`; used when `source` is not given. */
  sourceOf?: EventSourceResolver;
}

/**
 * The queue of each record of `event`, found once per distinct `eventSourceARN`. An ARN that
 * cannot be resolved is logged, and its records are settled by the batch response alone (the
 * queue's visibility timeout brings a failure back): never an error that fails the batch.
 *
 * @example
 * const sourceOf = await leaseSourcesOf(event, { sourceOf: (arn) => SqsQueue.fromArn(sqs, arn) }, logger);
 * const batch = leasedBatch(event, sourceOf, logger);
 */
export async function leaseSourcesOf(
  event: SqsEvent,
  sources: LeaseSources,
  logger: Pick<Logger, 'warn'>,
): Promise<LeaseSourceOf | undefined> {
  const { source, sourceOf } = sources;
  if (source) return () => source;
  if (!sourceOf) return undefined;
  const byArn = new Map<string, EventLeaseSource>();
  const arns = new Set((event.Records ?? []).flatMap((r) => (r.eventSourceARN ? [r.eventSourceARN] : [])));
  for (const arn of arns) {
    try {
      byArn.set(arn, await sourceOf(arn));
    } catch (error) {
      logger.warn('event source queue not resolved: its failed records come back after the visibility timeout', {
        event_source_arn: arn,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return (record) => (record.eventSourceARN ? byArn.get(record.eventSourceARN) : undefined);
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
 * `source` is one queue for every record, or a queue per record (see `leaseSourcesOf`). A
 * `retryLater` whose visibility change fails (the queue unreachable, a timeout) never fails the
 * batch: it is logged and the record reported as a failure, so the queue's visibility timeout
 * brings it back later than asked, and nothing is lost. After a transient failure, the batch's
 * other records skip the call (logged too), so an unreachable queue costs one call's timeout per
 * invocation, not one per record.
 *
 * @example
 * const batch = leasedBatch(event, sqsQueue, logger);
 * for (const message of batch.messages) await message.ack();
 * return batch.response(); // { batchItemFailures: [] }
 */
export function leasedBatch(
  event: SqsEvent,
  source?: EventLeaseSource | LeaseSourceOf,
  logger?: Pick<Logger, 'warn'>,
): { messages: LeasedMessage[]; response(): BatchResponse } {
  const outcomes = new Map<string, 'success' | 'failure'>();
  const records = event.Records ?? [];
  const sourceOf: LeaseSourceOf = typeof source === 'function' ? source : () => source;
  /** Set once a visibility change failed transiently: the queue is unreachable for this batch. */
  let unreachable: string | undefined;
  const messages = records.map((record): LeasedMessage => {
    const report = (outcome: 'success' | 'failure') => void outcomes.set(record.messageId, outcome);
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1;
    const queue = sourceOf(record);
    if (queue) {
      const lease = queue.leaseFromEvent(
        {
          messageId: record.messageId,
          body: record.body,
          receiveCount,
          ...(record.receiptHandle ? { receiptHandle: record.receiptHandle } : {}),
          ...(record.messageAttributes ? { messageAttributes: record.messageAttributes } : {}),
        },
        report,
      );
      const fellBack = (delaySeconds: number, error: string, skipped: boolean) => {
        logger?.warn('visibility not changed: the message comes back after the queue visibility timeout', {
          message_id: record.messageId,
          delay_seconds: delaySeconds,
          skipped,
          error,
        });
        report('failure');
      };
      return {
        ...lease,
        retryLater: async (delaySeconds) => {
          if (unreachable !== undefined) return fellBack(delaySeconds, unreachable, true);
          try {
            await lease.retryLater(delaySeconds);
          } catch (error) {
            const reason = error instanceof Error ? error.message : String(error);
            if (isRetryable(error)) unreachable = reason;
            fellBack(delaySeconds, reason, false);
          }
        },
      };
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

/** The most a message waits for another writer's lease: SQS allows 12 h, a lease is minutes. */
const LEASE_WAIT_CAP_SECONDS = 900;

/**
 * The delay before a message that met another writer's lease is delivered again: just after
 * that lease runs out (`LockBusyError.retryAfterMs`), plus 1–5 s of jitter so that duplicates
 * turned away together do not come back together. By then the writer has committed (the retry
 * finds the receipt done) or died (the retry takes over); sooner, it would only meet the lease
 * again and spend a receive. At most 900 s.
 *
 * @example
 * leaseRetryDelaySeconds(42_300, () => 0); // 44
 */
export function leaseRetryDelaySeconds(retryAfterMs: number, random: () => number = Math.random): number {
  const jitter = 1 + Math.floor(random() * 5);
  return Math.min(LEASE_WAIT_CAP_SECONDS, Math.ceil(Math.max(0, retryAfterMs) / 1000) + jitter);
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
