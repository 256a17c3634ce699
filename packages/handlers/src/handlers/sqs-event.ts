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
 * per container would leave a warm container's later invocations with no time (lesson 17).
 */
export function invocationDeadline(now: number, context: InvocationContext | undefined, fallbackMs: number): number {
  const remaining = context?.getRemainingTimeInMillis?.() ?? fallbackMs;
  return now + Math.max(0, remaining - DEADLINE_MARGIN_MS);
}
