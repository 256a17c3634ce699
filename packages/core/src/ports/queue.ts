/**
 * Why and from where a message was put on a dead-letter queue by {@link LeasedMessage.deadLetter}.
 * Present only on messages received FROM a dead-letter queue; messages that SQS redrive moved
 * there (after maxReceiveCount) carry none, since SQS records no reason.
 */
export interface DeadLetterNote {
  /** The reason given to `deadLetter(reason)`. */
  reason: string;
  /** The queue the message was dead-lettered from. */
  sourceQueue: string;
  /** Its id on that queue. */
  sourceMessageId: string;
  /** How many times that queue had delivered it. */
  receiveCount: number;
}

/**
 * One delivery of a message, leased to the receiver until it settles it or the lease lapses.
 *
 * Settle it exactly once: `ack()` when the work is done, `retryLater(s)` to have it delivered
 * again, or `deadLetter(reason)` when it can never succeed. A message never settled is delivered
 * again when its lease lapses (at-least-once), so every consumer must be idempotent.
 *
 * A lease belongs to ONE delivery. After the lease lapsed and the message was delivered again,
 * the old lease cannot settle the new delivery: the in-memory queue ignores its `ack()` and
 * rejects its `extendLease()` with ConditionFailedError. SQS cannot always tell: its documentation
 * says a delete with an old receipt handle "succeeds, but the message might not be deleted", and
 * in practice it sometimes is. So a consumer that lost its lease (a job past its deadline) must
 * not settle the message at all, and redelivered work must be harmless (idempotent handlers).
 *
 * @example
 * for (const message of await queue.receive({ maxMessages: 10, leaseSeconds: 120 })) {
 *   try {
 *     await handle(message.body);
 *     await message.ack();
 *   } catch (error) {
 *     if (error instanceof PoisonMessageError) await message.deadLetter(error.message);
 *     else await message.retryLater(30);
 *   }
 * }
 */
export interface LeasedMessage {
  /** The queue's message id, stable across redeliveries. */
  readonly id: string;
  readonly body: string;
  /** Deliveries so far, this one included: 1 on the first delivery. */
  readonly receiveCount: number;
  /** Set when this message was put on this (dead-letter) queue by `deadLetter(reason)`. */
  readonly deadLettered?: DeadLetterNote;
  /** Done: the message is removed from the queue. */
  ack(): Promise<void>;
  /** Not done yet: deliver it again in `delaySeconds` (0 = now), not before. */
  retryLater(delaySeconds: number): Promise<void>;
  /**
   * Can never succeed: move it to the queue's dead-letter queue with `reason`, where an operator
   * can read the body, the reason, the original id and receive count, and redrive it. Throws
   * ConfigError when the queue was built without a dead-letter queue.
   */
  deadLetter(reason: string): Promise<void>;
  /** Heartbeat of a long job: keep the message invisible for `seconds` more, counted from now. */
  extendLease(seconds: number): Promise<void>;
}

export interface ReceiveOptions {
  /** 1..10, default 1. */
  maxMessages?: number;
  /**
   * Long poll up to this many seconds (0..20). Default: the queue's own (SqsQueue: 20, a long
   * poll, unless built with another; InMemoryQueue: 0).
   */
  waitSeconds?: number;
  /** The lease of these messages; default the queue's own (its visibility timeout). */
  leaseSeconds?: number;
}

/**
 * A work queue: at-least-once delivery of leased messages, with a dead-letter queue for
 * messages that cannot succeed (explicitly through `deadLetter`, or after too many deliveries
 * as queue configuration).
 *
 * @example
 * await queue.send(JSON.stringify({ job_id, image_id }));
 * const [message] = await queue.receive({ waitSeconds: 20 });
 * if (message) await message.ack();
 */
export interface Queue {
  readonly name: string;
  send(body: string, options?: { delaySeconds?: number }): Promise<{ id: string }>;
  /** Sends any number of bodies; returns their ids in input order. */
  sendBatch(bodies: string[]): Promise<{ id: string }[]>;
  /** Leases up to `maxMessages` messages; an empty array when none came within `waitSeconds`. */
  receive(options?: ReceiveOptions): Promise<LeasedMessage[]>;
}

/**
 * How much work waits on a queue: for operations (recovery, doctor, bench), never for consuming.
 *
 * @example
 * if ((await ocrBacklog.backlog()) === 0) await resendStuckOcrJobs();
 */
export interface QueueBacklog {
  readonly name: string;
  /** Approximate count of messages waiting or leased (SQS: visible + not visible). */
  backlog(): Promise<number>;
}
