import { randomUUID } from 'node:crypto';
import {
  ConditionFailedError,
  ValidationError,
  type Clock,
  type Queue,
  type QueueMessage,
  type ReceiveOptions,
} from '@receiptflow/core';
import { SystemClock } from './system-clock.js';

export interface InMemoryQueueConfig {
  name: string;
  /** Default visibility timeout, seconds (SQS default 30). */
  visibilityTimeoutSeconds?: number;
  /** Messages received more than `maxReceiveCount` times move to `queue` on the next receive. */
  deadLetter?: { queue: InMemoryQueue; maxReceiveCount: number };
  /** Default the system clock; a FakeClock makes timeouts and delays test-controlled. */
  clock?: Clock;
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
}

const MAX_BODY_BYTES = 262_144;
const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_DELAY_SECONDS = 900;

/**
 * A queue with SQS standard-queue semantics, in memory: at-least-once delivery, a visibility
 * timeout per receive (overridable), ApproximateReceiveCount, delays, changeVisibility, long
 * polls that wake on send, and a dead-letter queue: a message already received
 * `maxReceiveCount` times is moved on the receive that would exceed it, as SQS does.
 * A stale receipt handle deletes nothing (SQS: "succeeds, but the message might not be deleted").
 */
export class InMemoryQueue implements Queue {
  readonly name: string;
  private readonly clock: Clock;
  private readonly visibilityTimeoutSeconds: number;
  private readonly deadLetter: InMemoryQueueConfig['deadLetter'];
  private readonly messages = new Map<string, StoredMessage>();
  private readonly byHandle = new Map<string, string>();
  private readonly waiters = new Set<() => void>();
  private seq = 0;

  constructor(config: InMemoryQueueConfig) {
    this.name = config.name;
    this.clock = config.clock ?? new SystemClock();
    this.visibilityTimeoutSeconds = config.visibilityTimeoutSeconds ?? 30;
    this.deadLetter = config.deadLetter;
    assertSeconds('visibilityTimeoutSeconds', this.visibilityTimeoutSeconds, MAX_VISIBILITY_SECONDS);
    if (this.deadLetter && !(Number.isInteger(this.deadLetter.maxReceiveCount) && this.deadLetter.maxReceiveCount >= 1)) {
      throw new ValidationError(`queue ${this.name}: maxReceiveCount must be a positive integer`);
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

  async receive(options: ReceiveOptions = {}): Promise<QueueMessage[]> {
    const maxMessages = options.maxMessages ?? 1;
    const waitSeconds = options.waitSeconds ?? 0;
    const visibility = options.visibilityTimeoutSeconds ?? this.visibilityTimeoutSeconds;
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

  async delete(receiptHandle: string): Promise<void> {
    const message = this.current(receiptHandle);
    if (!message) return;
    this.messages.delete(message.id);
    this.byHandle.delete(receiptHandle);
  }

  async deleteBatch(receiptHandles: string[]): Promise<{ failed: string[] }> {
    for (const handle of receiptHandles) await this.delete(handle);
    return { failed: [] };
  }

  async changeVisibility(receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void> {
    assertSeconds('visibilityTimeoutSeconds', visibilityTimeoutSeconds, MAX_VISIBILITY_SECONDS);
    const message = this.current(receiptHandle);
    const now = this.clock.now();
    if (!message || message.visibleAt <= now) {
      // SQS: MessageNotInflight / ReceiptHandleIsInvalid.
      throw new ConditionFailedError(
        `queue ${this.name}: receipt handle ${receiptHandle} is stale or its message is not in flight`,
      );
    }
    message.visibleAt = now + visibilityTimeoutSeconds * 1000;
    if (visibilityTimeoutSeconds === 0) this.wakeWaiters();
  }

  async depth(): Promise<{ visible: number; inFlight: number }> {
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

  /** Called by the source queue when it moves a message here; keeps id, body and count. */
  acceptDeadLetter(id: string, body: string, receiveCount: number): void {
    this.enqueue(id, body, receiveCount, this.clock.now());
  }

  private enqueue(id: string, body: string, receiveCount: number, visibleAt: number): void {
    this.messages.set(id, { id, body, receiveCount, visibleAt, handle: null, seq: this.seq++ });
    this.wakeWaiters();
  }

  private take(maxMessages: number, visibilitySeconds: number): QueueMessage[] {
    const now = this.clock.now();
    const ready = [...this.messages.values()]
      .filter((m) => m.visibleAt <= now)
      .sort((a, b) => a.seq - b.seq);
    const out: QueueMessage[] = [];
    for (const message of ready) {
      if (out.length >= maxMessages) break;
      if (message.handle) this.byHandle.delete(message.handle);
      if (this.deadLetter && message.receiveCount >= this.deadLetter.maxReceiveCount) {
        this.messages.delete(message.id);
        this.deadLetter.queue.acceptDeadLetter(message.id, message.body, message.receiveCount);
        continue;
      }
      message.receiveCount++;
      message.handle = randomUUID();
      message.visibleAt = now + visibilitySeconds * 1000;
      this.byHandle.set(message.handle, message.id);
      out.push({ id: message.id, body: message.body, receiptHandle: message.handle, receiveCount: message.receiveCount });
    }
    return out;
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
