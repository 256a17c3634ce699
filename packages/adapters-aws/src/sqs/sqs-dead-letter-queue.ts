import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  DependencyError,
  ValidationError,
  type DeadLetter,
  type DeadLetterQueue,
  type QueueDepth,
} from '@receiptflow/core';
import { mapAwsError } from '../errors.js';
import { DEAD_LETTER_NOTE, noteOf } from './dead-letter-note.js';

export interface SqsDeadLetterQueueConfig {
  /** The dead-letter queue. */
  dlqUrl: string;
  /** Its work queue, where redrive sends messages back. */
  sourceUrl: string;
  /** Default: the last segment of each URL. */
  name?: string;
  sourceName?: string;
  /**
   * The wait of each receive while listing or searching, 0..20 s; default 1. A long poll asks
   * every SQS host, so an empty answer means "no more visible messages"; a short poll (0)
   * samples some hosts and may miss messages (fine on an emulator, which has one).
   */
  waitSeconds?: number;
  /**
   * How long a message received while listing or searching stays hidden if this process dies
   * before it gives it back (it gives it back at once otherwise); default 30 s.
   */
  leaseSeconds?: number;
}

const BATCH_LIMIT = 10;
const DEFAULT_REDRIVE_MAX = 1000;
const LONG_POLL_ALLOWANCE_MS = 10_000;

const lastSegment = (url: string) => url.split('/').filter(Boolean).pop() ?? url;

/**
 * The DLQ of an SQS work queue, as an operator works it. SQS has no "peek": `list` receives the
 * messages under a short lease and gives each back (visibility 0) as soon as it has read them, so
 * they stay in the queue (each listing counts one receive on them). `redrive(id)` searches the
 * same way, and on finding the message sends its body to the work queue and THEN deletes it from
 * the DLQ: a crash in between leaves a duplicate (the work queue's handlers are idempotent),
 * never a lost message; a second redrive of the same id finds nothing. `redriveAll` moves
 * batches of 10 the same way (send batch, then delete what was sent). It does not use
 * StartMessageMoveTask: that task runs asynchronously (no count to answer with) and fauxqs,
 * which the contract suite runs on, does not implement it.
 *
 * A message another receiver holds (a concurrent listing, for up to its lease) is not visible,
 * so it is neither listed nor found until it is given back.
 *
 * @example
 * const ocrDlq = new SqsDeadLetterQueue(new SQSClient({}), { dlqUrl: OCR_DLQ_URL, sourceUrl: OCR_QUEUE_URL });
 * const messages = await ocrDlq.list(50); // [{ id, body, receiveCount, sentAt, note: { reason, ... } }]
 * await ocrDlq.redrive(messages[0]!.id); // true
 */
export class SqsDeadLetterQueue implements DeadLetterQueue {
  readonly name: string;
  readonly sourceName: string;
  private readonly waitSeconds: number;
  private readonly leaseSeconds: number;

  constructor(
    private readonly client: SQSClient,
    private readonly config: SqsDeadLetterQueueConfig,
  ) {
    this.name = config.name ?? lastSegment(config.dlqUrl);
    this.sourceName = config.sourceName ?? lastSegment(config.sourceUrl);
    this.waitSeconds = config.waitSeconds ?? 1;
    this.leaseSeconds = config.leaseSeconds ?? 30;
    if (!Number.isInteger(this.waitSeconds) || this.waitSeconds < 0 || this.waitSeconds > 20) {
      throw new ValidationError(`waitSeconds must be an integer in 0..20, got ${this.waitSeconds}`);
    }
    if (!Number.isInteger(this.leaseSeconds) || this.leaseSeconds < 1 || this.leaseSeconds > 43_200) {
      throw new ValidationError(`leaseSeconds must be an integer in 1..43200, got ${this.leaseSeconds}`);
    }
  }

  async depth(): Promise<QueueDepth> {
    const out = await this.call('GetQueueAttributes', () =>
      this.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.config.dlqUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      ),
    );
    return {
      visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  async list(limit: number): Promise<DeadLetter[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new ValidationError(`limit must be an integer in 1..100, got ${limit}`);
    }
    const found = new Map<string, DeadLetter>();
    await this.search((message) => {
      if (!found.has(message.id)) found.set(message.id, message);
      return found.size >= limit ? 'stop' : 'keep';
    });
    return [...found.values()];
  }

  async redrive(id: string): Promise<boolean> {
    let moved = false;
    await this.search(async (message, handle) => {
      if (message.id !== id) return 'keep';
      // Send first, delete second: a crash in between duplicates, never loses.
      await this.call('SendMessage (redrive)', () =>
        this.client.send(new SendMessageCommand({ QueueUrl: this.config.sourceUrl, MessageBody: message.body })),
      );
      await this.call('DeleteMessage (redrive)', () =>
        this.client.send(new DeleteMessageCommand({ QueueUrl: this.config.dlqUrl, ReceiptHandle: handle })),
      );
      moved = true;
      return 'taken';
    });
    return moved;
  }

  async redriveAll(max = DEFAULT_REDRIVE_MAX): Promise<number> {
    if (!Number.isInteger(max) || max < 1) throw new ValidationError(`max must be a positive integer, got ${max}`);
    let moved = 0;
    while (moved < max) {
      const messages = await this.receive(Math.min(BATCH_LIMIT, max - moved));
      if (messages.length === 0) break;
      const entries = messages.map((m, i) => ({ Id: String(i), MessageBody: m.Body ?? '' }));
      const sent = await this.call('SendMessageBatch (redrive)', () =>
        this.client.send(new SendMessageBatchCommand({ QueueUrl: this.config.sourceUrl, Entries: entries })),
      );
      const ok = (sent.Successful ?? []).map((s) => Number(s.Id));
      if (ok.length > 0) {
        // Only what reached the work queue leaves the DLQ; the rest reappears after the lease.
        await this.call('DeleteMessageBatch (redrive)', () =>
          this.client.send(
            new DeleteMessageBatchCommand({
              QueueUrl: this.config.dlqUrl,
              Entries: ok.map((i) => ({ Id: String(i), ReceiptHandle: messages[i]!.ReceiptHandle! })),
            }),
          ),
        );
      }
      moved += ok.length;
      const failed = sent.Failed ?? [];
      if (failed.length > 0) {
        const detail = failed.map((f) => `${f.Code} ${f.Message ?? ''}`.trim()).join('; ');
        throw new DependencyError(
          'sqs',
          `redrive of ${this.name} to ${this.sourceName}: ${moved} moved, then ${failed.length} not sent (${detail}); they stay in the DLQ`,
        );
      }
    }
    return moved;
  }

  /**
   * Receives the DLQ's visible messages batch by batch, handing each to `visit`, until `visit`
   * says stop, a message was taken (deleted by `visit`), or no unseen message comes. Every
   * message received and not taken is given back (visibility 0) before returning.
   */
  private async search(
    visit: (message: DeadLetter, handle: string) => 'keep' | 'stop' | 'taken' | Promise<'keep' | 'taken'>,
  ): Promise<void> {
    const held: string[] = [];
    const seen = new Set<string>();
    try {
      for (;;) {
        const batch = await this.receive(BATCH_LIMIT);
        let unseen = 0;
        for (const m of batch) {
          const message = deadLetterOf(m, this.name);
          const handle = m.ReceiptHandle ?? '';
          if (!seen.has(message.id)) unseen++;
          seen.add(message.id);
          const verdict = await visit(message, handle);
          // A taken message is deleted already; every other one received is held until released.
          if (verdict !== 'taken') held.push(handle);
          if (verdict !== 'keep') {
            held.push(...batch.slice(batch.indexOf(m) + 1).map((other) => other.ReceiptHandle ?? ''));
            return;
          }
        }
        if (unseen === 0) return;
      }
    } finally {
      await this.release(held.filter(Boolean));
    }
  }

  private async receive(maxMessages: number): Promise<Message[]> {
    const out = await this.call('ReceiveMessage', () =>
      this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.config.dlqUrl,
          MaxNumberOfMessages: maxMessages,
          WaitTimeSeconds: this.waitSeconds,
          VisibilityTimeout: this.leaseSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          MessageAttributeNames: Object.values(DEAD_LETTER_NOTE),
        }),
        { requestTimeout: this.waitSeconds * 1000 + LONG_POLL_ALLOWANCE_MS },
      ),
    );
    return out.Messages ?? [];
  }

  /** Gives leased messages back at once (visibility 0), ten per call. */
  private async release(handles: string[]): Promise<void> {
    for (let i = 0; i < handles.length; i += BATCH_LIMIT) {
      const chunk = handles.slice(i, i + BATCH_LIMIT);
      await this.call('ChangeMessageVisibilityBatch (release)', () =>
        this.client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.config.dlqUrl,
            Entries: chunk.map((handle, j) => ({ Id: String(j), ReceiptHandle: handle, VisibilityTimeout: 0 })),
          }),
        ),
      );
    }
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw mapAwsError('sqs', `${operation} on queue ${this.name}`, error);
    }
  }
}

function deadLetterOf(m: Message, queue: string): DeadLetter {
  if (!m.MessageId) throw new DependencyError('sqs', `queue ${queue} returned a message without a MessageId`);
  const sent = Number(m.Attributes?.SentTimestamp);
  const note = noteOf(m.MessageAttributes ?? {});
  return {
    id: m.MessageId,
    body: m.Body ?? '',
    receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
    sentAt: Number.isFinite(sent) && sent > 0 ? new Date(sent).toISOString() : null,
    ...(note ? { note } : {}),
  };
}
