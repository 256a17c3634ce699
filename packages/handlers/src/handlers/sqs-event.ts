/** The parts of an SQS event that the queue handlers read. */
export interface SqsRecord {
  messageId: string;
  receiptHandle?: string;
  body: string;
  attributes?: { ApproximateReceiveCount?: string };
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
