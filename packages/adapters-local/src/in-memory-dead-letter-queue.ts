import { ValidationError, type DeadLetter, type DeadLetterQueue, type Queue, type QueueDepth } from '@receiptflow/core';
import type { InMemoryQueue } from './in-memory-queue.js';

/** The most messages one `redriveAll()` moves unless told otherwise. */
const DEFAULT_REDRIVE_MAX = 1000;

/**
 * The dead-letter queue of an in-memory work queue, as an operator works it: `list` reads the
 * messages in place, `redrive` takes one out and sends its body to the work queue (one step in
 * memory, so nothing can be lost or doubled in between), `redriveAll` does it for each message
 * that was there when it started (a poison message that fails again and comes back is not
 * moved twice by one call).
 *
 * @example
 * const ocrDlq = new InMemoryQueue({ name: 'ocr-queue-dlq' });
 * const ocrQueue = new InMemoryQueue({ name: 'ocr-queue', deadLetter: { queue: ocrDlq, maxReceiveCount: 5 } });
 * const dead = new InMemoryDeadLetterQueue(ocrDlq, ocrQueue);
 * for (const message of await dead.list(50)) console.log(message.id, message.note?.reason);
 * await dead.redriveAll(); // every message back on ocr-queue
 */
export class InMemoryDeadLetterQueue implements DeadLetterQueue {
  readonly name: string;
  readonly sourceName: string;

  constructor(
    private readonly dlq: InMemoryQueue,
    private readonly source: Queue,
  ) {
    this.name = dlq.name;
    this.sourceName = source.name;
  }

  depth(): Promise<QueueDepth> {
    return this.dlq.depth();
  }

  async list(limit: number): Promise<DeadLetter[]> {
    assertLimit(limit);
    return this.dlq.peek(limit).map((m) => ({
      id: m.id,
      body: m.body,
      receiveCount: m.receiveCount,
      sentAt: new Date(m.sentAt).toISOString(),
      ...(m.note ? { note: m.note } : {}),
    }));
  }

  async redrive(id: string): Promise<boolean> {
    const body = this.dlq.remove(id);
    if (body === null) return false;
    await this.source.send(body);
    return true;
  }

  async redriveAll(max = DEFAULT_REDRIVE_MAX): Promise<number> {
    let moved = 0;
    for (const { id } of this.dlq.peek(max)) {
      if (await this.redrive(id)) moved++;
    }
    return moved;
  }
}

function assertLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new ValidationError(`limit must be an integer in 1..100, got ${limit}`);
  }
}
