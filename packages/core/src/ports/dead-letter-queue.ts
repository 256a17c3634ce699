import type { DeadLetterNote } from './queue.js';

/** How many messages a queue holds, as the queue itself counts them (approximate on SQS). */
export interface QueueDepth {
  /** Waiting to be received. */
  visible: number;
  /** Received and leased, not settled yet. */
  inFlight: number;
}

/**
 * A queue's depth, for operators (the pipeline view, doctor), never for consuming.
 *
 * @example
 * const { visible, inFlight } = await ocrQueue.depth();
 */
export interface QueueGauge {
  readonly name: string;
  depth(): Promise<QueueDepth>;
}

/** One message resting in a dead-letter queue, as an operator reads it. */
export interface DeadLetter {
  /** The dead-letter queue's id of the message: what {@link DeadLetterQueue.redrive} takes. */
  id: string;
  body: string;
  /**
   * Deliveries so far as the queue counts them. SQS keeps the source queue's count when its
   * redrive moves a message, and counts every receive from the DLQ too (a listing included).
   */
  receiveCount: number;
  /** When the message was sent to the queue it is on (ISO), when the queue says. */
  sentAt: string | null;
  /** Why it was put there, when its consumer said so through `deadLetter(reason)`. */
  note?: DeadLetterNote;
}

/**
 * The dead-letter queue of one work queue, as an operator works it: how deep it is, what is in
 * it (without taking anything out), and redrive (back to the work queue it came from), one
 * message or all of them.
 *
 * Promises every adapter keeps (proved by `describeDeadLetterQueueContract`):
 * - `list` leaves every message in place: listing twice shows the same messages, and the depth
 *   is unchanged;
 * - `redrive(id)` moves that message only, once: its body arrives on the work queue, it leaves
 *   the DLQ, and a second `redrive(id)` finds nothing (`false`) and sends nothing;
 * - `redriveAll()` moves every message that was in the DLQ when it started, and says how many;
 * - a message is never lost: a crash between the send and the delete leaves a duplicate on the
 *   work queue (its handlers are idempotent), never neither.
 *
 * @example
 * const [first] = await ocrDlq.list(50);
 * if (first) await ocrDlq.redrive(first.id); // true: back on ocr-queue
 * await ocrDlq.redriveAll(); // 3
 */
export interface DeadLetterQueue extends QueueGauge {
  /** The work queue whose dead letters these are, where redrive sends them (`ocr-queue`). */
  readonly sourceName: string;
  /** Up to `limit` messages (1..100), each once, leaving them all in the queue. */
  list(limit: number): Promise<DeadLetter[]>;
  /** Moves one message back to the work queue; false when it is not (or no longer) here. */
  redrive(id: string): Promise<boolean>;
  /** Moves every message back to the work queue (at most `max`, default 1000); how many moved. */
  redriveAll(max?: number): Promise<number>;
}
