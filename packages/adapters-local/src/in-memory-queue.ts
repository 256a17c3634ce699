import { randomUUID } from 'node:crypto';
import {
  ConditionFailedError,
  ConfigError,
  ValidationError,
  type Clock,
  type DeadLetterNote,
  type LeasedMessage,
  type Queue,
  type QueueBacklog,
  type QueueDepth,
  type QueueGauge,
  type ReceiveOptions,
} from '@receiptflow/core';
import { SystemClock } from './system-clock.js';

export interface InMemoryQueueConfig {
  name: string;
  /** Default visibility timeout, seconds (SQS default 30). */
  visibilityTimeoutSeconds?: number;
  /**
   * The dead-letter queue: `deadLetter(reason)` moves a message there, and with
   * `maxReceiveCount`, a message received that many times moves there on the next receive
   * (SQS redrive).
   */
  deadLetter?: { queue: InMemoryQueue; maxReceiveCount?: number };
  /** Default the system clock; a FakeClock makes timeouts and delays test-controlled. */
  clock?: Clock;
  /**
   * Where every message put on or taken off this queue is recorded before the queue changes
   * (FsDeadLetterJournal keeps a local DLQ on disk); none keeps the queue in memory only.
   */
  journal?: QueueJournal;
  /** Messages to start with, as a journal restored them: visible at once, ids and counts kept. */
  restore?: readonly StoredMessageView[];
}

/**
 * Records a queue's changes durably. Each call must be durable when it returns, and throws if it
 * cannot be; the queue then leaves the message where it was.
 */
export interface QueueJournal {
  added(message: StoredMessageView): void;
  removed(id: string): void;
}

interface StoredMessage {
  id: string;
  body: string;
  receiveCount: number;
  /** Epoch ms from which the message can be received (delay or visibility timeout). */
  visibleAt: number;
  /** The handle of the latest receive; null until first received. */
  handle: string | null;
  /** Arrival order, so that visible messages come out roughly first-in first-out. */
  seq: number;
  /** Set on a message that `deadLetter(reason)` put here. */
  note?: DeadLetterNote;
  /** Epoch ms when it was put on this queue. */
  sentAt: number;
}

/** A message as an operator reads it (see {@link InMemoryQueue.peek}). */
export interface StoredMessageView {
  id: string;
  body: string;
  receiveCount: number;
  sentAt: number;
  note?: DeadLetterNote;
}

const MAX_BODY_BYTES = 262_144;
const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_DELAY_SECONDS = 900;

/**
 * A queue with SQS standard-queue semantics, in memory: at-least-once delivery of leased
 * messages, a lease (visibility timeout) per receive, receive counts, delays, long polls that
 * wake on send, and a dead-letter queue: `deadLetter(reason)` moves a message there with its
 * reason, and with `maxReceiveCount` a message already received that many times is moved on the
 * receive that would exceed it, as SQS redrive does. A stale lease (the message was delivered
 * again since) acks nothing and cannot extend, retry or dead-letter the new delivery.
 *
 * @example
 * const clock = new FakeClock();
 * const dlq = new InMemoryQueue({ name: 'ocr-queue-dlq', clock });
 * const queue = new InMemoryQueue({ name: 'ocr-queue', clock, visibilityTimeoutSeconds: 30, deadLetter: { queue: dlq, maxReceiveCount: 5 } });
 * await queue.send('{"job_id":"j1"}');
 * const [message] = await queue.receive();
 * await message!.deadLetter('job j1 no longer exists');
 * (await dlq.receive())[0]!.deadLettered!.reason; // 'job j1 no longer exists'
 */
export class InMemoryQueue implements Queue, QueueBacklog, QueueGauge {
  readonly name: string;
  private readonly clock: Clock;
  private readonly visibilityTimeoutSeconds: number;
  private readonly deadLetter: InMemoryQueueConfig['deadLetter'];
  private readonly journal: QueueJournal | undefined;
  private readonly messages = new Map<string, StoredMessage>();
  private readonly byHandle = new Map<string, string>();
  private readonly waiters = new Set<() => void>();
  private seq = 0;

  constructor(config: InMemoryQueueConfig) {
    this.name = config.name;
    this.clock = config.clock ?? new SystemClock();
    this.visibilityTimeoutSeconds = config.visibilityTimeoutSeconds ?? 30;
    this.deadLetter = config.deadLetter;
    this.journal = config.journal;
    assertSeconds('visibilityTimeoutSeconds', this.visibilityTimeoutSeconds, MAX_VISIBILITY_SECONDS);
    const maxReceiveCount = this.deadLetter?.maxReceiveCount;
    if (maxReceiveCount !== undefined && !(Number.isInteger(maxReceiveCount) && maxReceiveCount >= 1)) {
      throw new ValidationError(`queue ${this.name}: maxReceiveCount must be a positive integer`);
    }
    for (const m of config.restore ?? []) {
      this.messages.set(m.id, {
        ...m,
        ...(m.note ? { note: { ...m.note } } : {}),
        visibleAt: this.clock.now(),
        handle: null,
        seq: this.seq++,
      });
    }
  }

  async send(body: string, options: { delaySeconds?: number } = {}): Promise<{ id: string }> {
    assertBody(this.name, body);
    const delay = options.delaySeconds ?? 0;
    assertSeconds('delaySeconds', delay, MAX_DELAY_SECONDS);
    const id = randomUUID();
    this.enqueue(id, body, 0, this.clock.now() + delay * 1000);
    return { id };
  }

  async sendBatch(bodies: string[]): Promise<{ id: string }[]> {
    for (const body of bodies) assertBody(this.name, body);
    const ids: { id: string }[] = [];
    for (const body of bodies) ids.push(await this.send(body));
    return ids;
  }

  async receive(options: ReceiveOptions = {}): Promise<LeasedMessage[]> {
    const maxMessages = options.maxMessages ?? 1;
    const waitSeconds = options.waitSeconds ?? 0;
    const visibility = options.leaseSeconds ?? this.visibilityTimeoutSeconds;
    if (!Number.isInteger(maxMessages) || maxMessages < 1 || maxMessages > 10) {
      throw new ValidationError(`queue ${this.name}: maxMessages must be 1..10, got ${maxMessages}`);
    }
    assertSeconds('waitSeconds', waitSeconds, 20);
    assertSeconds('visibilityTimeoutSeconds', visibility, MAX_VISIBILITY_SECONDS);
    const deadline = this.clock.now() + waitSeconds * 1000;
    for (;;) {
      const taken = this.take(maxMessages, visibility);
      if (taken.length > 0 || this.clock.now() >= deadline) return taken;
      await this.waitForChange(deadline);
    }
  }

  /** Acks: removes the message if `handle` is its current lease; a stale lease removes nothing. */
  private async ack(handle: string): Promise<void> {
    const message = this.current(handle);
    if (!message) return;
    this.drop(message);
  }

  /** retryLater and extendLease: the message becomes visible `seconds` from now. */
  private async setVisibility(handle: string, seconds: number): Promise<void> {
    assertSeconds('seconds', seconds, MAX_VISIBILITY_SECONDS);
    const message = this.inFlight(handle);
    message.visibleAt = this.clock.now() + seconds * 1000;
    if (seconds === 0) this.wakeWaiters();
  }

  private async moveToDeadLetter(handle: string, reason: string): Promise<void> {
    if (!this.deadLetter)
      throw new ConfigError(`queue ${this.name} has no dead-letter queue; cannot dead-letter a message`);
    const message = this.inFlight(handle);
    this.deadLetter.queue.acceptDeadLetter(randomUUID(), message.body, 0, {
      reason,
      sourceQueue: this.name,
      sourceMessageId: message.id,
      receiveCount: message.receiveCount,
    });
    this.drop(message);
  }

  /** The message `handle` currently leases; ConditionFailedError when the lease is stale or lapsed. */
  private inFlight(handle: string): StoredMessage {
    const message = this.current(handle);
    if (!message || message.visibleAt <= this.clock.now()) {
      // SQS: MessageNotInflight / ReceiptHandleIsInvalid.
      throw new ConditionFailedError(`queue ${this.name}: the lease is stale or its message is not in flight`);
    }
    return message;
  }

  /** Messages waiting or leased, for operations (recovery, bench). */
  async backlog(): Promise<number> {
    const { visible, inFlight } = await this.depth();
    return visible + inFlight;
  }

  async depth(): Promise<QueueDepth> {
    const now = this.clock.now();
    let visible = 0;
    let inFlight = 0;
    for (const m of this.messages.values()) {
      if (m.visibleAt <= now) visible++;
      else if (m.handle !== null) inFlight++;
      // else: delayed, counted by SQS as ApproximateNumberOfMessagesDelayed.
    }
    return { visible, inFlight };
  }

  /**
   * Up to `limit` messages, in arrival order, leased or not, left in place: what an operator
   * reads (InMemoryDeadLetterQueue lists a DLQ with it).
   */
  peek(limit: number): StoredMessageView[] {
    return [...this.messages.values()]
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit)
      .map((m) => ({
        id: m.id,
        body: m.body,
        receiveCount: m.receiveCount,
        sentAt: m.sentAt,
        ...(m.note ? { note: { ...m.note } } : {}),
      }));
  }

  /**
   * Removes a message by id whatever its lease (an operator's redrive), returning its body, or
   * null when it is not here. A lease on it no longer settles anything.
   */
  remove(id: string): string | null {
    const message = this.messages.get(id);
    if (!message) return null;
    this.drop(message);
    return message.body;
  }

  /** Called by the source queue when it moves a message here (redrive keeps id, body and count). */
  acceptDeadLetter(id: string, body: string, receiveCount: number, note?: DeadLetterNote): void {
    this.enqueue(id, body, receiveCount, this.clock.now(), note);
  }

  private enqueue(id: string, body: string, receiveCount: number, visibleAt: number, note?: DeadLetterNote): void {
    const sentAt = this.clock.now();
    this.journal?.added({ id, body, receiveCount, sentAt, ...(note ? { note } : {}) });
    this.messages.set(id, {
      id,
      body,
      receiveCount,
      visibleAt,
      handle: null,
      seq: this.seq++,
      sentAt,
      ...(note ? { note } : {}),
    });
    this.wakeWaiters();
  }

  /** Takes a message off the queue, journal first: a journal that cannot record it keeps it here. */
  private drop(message: StoredMessage): void {
    this.journal?.removed(message.id);
    this.messages.delete(message.id);
    if (message.handle) this.byHandle.delete(message.handle);
  }

  private take(maxMessages: number, visibilitySeconds: number): LeasedMessage[] {
    const now = this.clock.now();
    const ready = [...this.messages.values()].filter((m) => m.visibleAt <= now).sort((a, b) => a.seq - b.seq);
    const out: LeasedMessage[] = [];
    for (const message of ready) {
      if (out.length >= maxMessages) break;
      if (message.handle) this.byHandle.delete(message.handle);
      const maxReceiveCount = this.deadLetter?.maxReceiveCount;
      if (this.deadLetter && maxReceiveCount !== undefined && message.receiveCount >= maxReceiveCount) {
        // The dead-letter queue first: if it cannot take the message (its journal failed), the
        // message stays here rather than being lost between the two.
        this.deadLetter.queue.acceptDeadLetter(message.id, message.body, message.receiveCount);
        this.drop(message);
        continue;
      }
      message.receiveCount++;
      message.handle = randomUUID();
      message.visibleAt = now + visibilitySeconds * 1000;
      this.byHandle.set(message.handle, message.id);
      out.push(this.lease(message, message.handle));
    }
    return out;
  }

  private lease(message: StoredMessage, handle: string): LeasedMessage {
    return {
      id: message.id,
      body: message.body,
      receiveCount: message.receiveCount,
      ...(message.note ? { deadLettered: { ...message.note } } : {}),
      ack: () => this.ack(handle),
      retryLater: (delaySeconds) => this.setVisibility(handle, delaySeconds),
      deadLetter: (reason) => this.moveToDeadLetter(handle, reason),
      extendLease: (seconds) => this.setVisibility(handle, seconds),
    };
  }

  /** The message whose LATEST handle this is; undefined for unknown or superseded handles. */
  private current(receiptHandle: string): StoredMessage | undefined {
    const id = this.byHandle.get(receiptHandle);
    const message = id === undefined ? undefined : this.messages.get(id);
    return message && message.handle === receiptHandle ? message : undefined;
  }

  /** Sleeps until a send, a visibility change, the next delayed/invisible message, or the deadline. */
  private waitForChange(deadline: number): Promise<void> {
    const now = this.clock.now();
    let until = deadline;
    for (const m of this.messages.values()) if (m.visibleAt > now && m.visibleAt < until) until = m.visibleAt;
    const abort = new AbortController();
    return new Promise<void>((resolve) => {
      const wake = () => {
        this.waiters.delete(wake);
        abort.abort();
        resolve();
      };
      this.waiters.add(wake);
      this.clock.sleep(until - now, abort.signal).then(wake, () => {});
    });
  }

  private wakeWaiters(): void {
    for (const wake of [...this.waiters]) wake();
  }
}

function assertBody(queue: string, body: string): void {
  if (typeof body !== 'string' || body.length === 0) {
    throw new ValidationError(`queue ${queue}: message body is empty`);
  }
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_BODY_BYTES) {
    throw new ValidationError(`queue ${queue}: message body is ${bytes} bytes, above SQS's ${MAX_BODY_BYTES}`);
  }
}

function assertSeconds(what: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new ValidationError(`${what} must be an integer 0..${max}, got ${value}`);
  }
}
