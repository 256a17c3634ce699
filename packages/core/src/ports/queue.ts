export interface QueueMessage {
  /** The queue's message id (stable across redeliveries). */
  id: string;
  body: string;
  /** Handle for delete / changeVisibility; a new one per receive. */
  receiptHandle: string;
  /** ApproximateReceiveCount: 1 on first delivery. */
  receiveCount: number;
}

export interface ReceiveOptions {
  /** 1..10, default 1. */
  maxMessages?: number;
  /** Long poll up to this many seconds (0..20), default 0. */
  waitSeconds?: number;
  /** Overrides the queue's visibility timeout for these messages. */
  visibilityTimeoutSeconds?: number;
}

/**
 * A queue with SQS semantics: at-least-once delivery, a visibility timeout, a receive count,
 * and (as queue configuration) a dead-letter queue after maxReceiveCount receives.
 */
export interface Queue {
  readonly name: string;
  send(body: string, options?: { delaySeconds?: number }): Promise<{ id: string }>;
  /** Sends up to any number of bodies, in batches of 10; returns ids in input order. */
  sendBatch(bodies: string[]): Promise<{ id: string }[]>;
  receive(options?: ReceiveOptions): Promise<QueueMessage[]>;
  delete(receiptHandle: string): Promise<void>;
  /** Deletes in batches of 10; an empty list makes no call. Returns the handles that failed. */
  deleteBatch(receiptHandles: string[]): Promise<{ failed: string[] }>;
  /** Heartbeat for a long job, or 0 to release a message for redelivery now. */
  changeVisibility(receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void>;
  /** Approximate visible + in-flight counts. */
  depth(): Promise<{ visible: number; inFlight: number }>;
}
