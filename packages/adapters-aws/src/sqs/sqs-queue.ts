import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type BatchResultErrorEntry,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  ConfigError,
  DependencyError,
  TransientDependencyError,
  ValidationError,
  type LeasedMessage,
  type Queue,
  type QueueBacklog,
  type QueueDepth,
  type QueueGauge,
  type ReceiveOptions,
} from '@receiptflow/core';
import { mapAwsError } from '../errors.js';
import { DEAD_LETTER_NOTE as NOTE, noteOf } from './dead-letter-note.js';
import { parseSqsQueueArn, sqsQueueUrlOf, type SqsQueueArn } from './sqs-queue-arn.js';

export interface SqsQueueConfig {
  queueUrl: string;
  /** Defaults to the last segment of the queue URL. */
  name?: string;
  /**
   * The queue's dead-letter queue, where `deadLetter(reason)` sends a message. Without it,
   * `deadLetter` throws ConfigError (the redrive policy still moves messages after maxReceiveCount).
   */
  deadLetterQueueUrl?: string;
  /**
   * The long poll of a `receive()` that names no `waitSeconds`, 0..20. Default 20, SQS's
   * maximum: a short poll (0) samples a few servers and can answer empty while messages wait,
   * and an idle poller pays one call per poll instead of one per 20 s.
   */
  waitSeconds?: number;
}

/** {@link SqsQueue.fromArn}'s settings: those of the queue, less its URL, which the ARN gives. */
export interface SqsQueueFromArnConfig extends Omit<SqsQueueConfig, 'queueUrl'> {
  /**
   * The queue's URL from its ARN, for an emulator that names queues its own way (fauxqs:
   * `http://sqs.<region>.<host>:<port>/…`). Default: `sqsQueueUrlOf`, the client's endpoint.
   */
  queueUrlOf?: (arn: SqsQueueArn) => string;
}

/**
 * One delivery made by a Lambda event source mapping rather than by `receive()`: the record's
 * id, body, receipt handle, receive count and message attributes.
 */
export interface SqsDelivery {
  messageId: string;
  body: string;
  receiptHandle?: string;
  receiveCount: number;
  /** Lambda's shape: `{ name: { stringValue, dataType } }`. */
  messageAttributes?: Record<string, { stringValue?: string } | undefined>;
}

/** How the event source mapping is told the fate of a record: success (deleted) or failure (retried). */
export type DeliveryReport = (outcome: 'success' | 'failure') => void;

/** SQS message attributes are part of the 256 KiB message; a reason is a line, not a dump. */
const MAX_REASON_CHARS = 1_000;

/** SQS's limit on entries per batch call and messages per receive. */
const BATCH_LIMIT = 10;
const MAX_VISIBILITY_SECONDS = 43_200;
/** SQS's longest long poll, and the default of `receive()`. */
const MAX_WAIT_SECONDS = 20;
/**
 * A long poll answers only after its wait, so its request may take that long on top of the
 * client's own request timeout (which is sized for calls that answer at once).
 */
const LONG_POLL_ALLOWANCE_MS = 10_000;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function assertIntegerIn(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(`${what} must be an integer in ${min}..${max}, got ${value}`);
  }
}

/**
 * Queue over one SQS queue. A lease is a receipt handle: `ack` deletes the message,
 * `retryLater`/`extendLease` change its visibility, and `deadLetter(reason)` sends the body to
 * `deadLetterQueueUrl` with the reason, source queue, original id and receive count as message
 * attributes, THEN deletes the original. That order is crash-safe: a crash between the two
 * leaves a duplicate in the DLQ (the original is redelivered and dead-lettered again), never a
 * lost message. sendBatch is split into 10s; entries that fail inside a batch are retried once.
 *
 * `receive()` long-polls (20 s unless the config or the call names another wait), so an idle
 * poller makes one call per 20 s and never gets a short poll's false "empty"; its request may
 * take the wait plus 10 s, whatever the client's own requestTimeout.
 *
 * A stale lease is a receipt handle of an earlier delivery. SQS cannot always tell it from the
 * current one: a delete with it "succeeds, but the message might not be deleted" (and sometimes
 * is), so callers must not settle a message whose lease they lost.
 *
 * @example
 * const queue = new SqsQueue(new SQSClient({}), { queueUrl: OCR_QUEUE_URL, deadLetterQueueUrl: OCR_DLQ_URL });
 * for (const message of await queue.receive({ maxMessages: 10, waitSeconds: 20, leaseSeconds: 120 })) {
 *   await message.ack();
 * }
 */
export class SqsQueue implements Queue, QueueBacklog, QueueGauge {
  readonly name: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string | undefined;
  private readonly waitSeconds: number;

  constructor(
    private readonly client: SQSClient,
    config: SqsQueueConfig,
  ) {
    this.queueUrl = config.queueUrl;
    this.deadLetterQueueUrl = config.deadLetterQueueUrl;
    this.waitSeconds = config.waitSeconds ?? MAX_WAIT_SECONDS;
    assertIntegerIn(this.waitSeconds, 0, MAX_WAIT_SECONDS, 'waitSeconds');
    this.name = config.name ?? config.queueUrl.split('/').filter(Boolean).pop() ?? config.queueUrl;
  }

  /**
   * The queue an ARN names (a Lambda record's `eventSourceARN`), addressed through `client`'s
   * own endpoint (see `sqsQueueUrlOf`): on AWS, the SDK's endpoint for the ARN's region; on an
   * emulator, the client's custom endpoint. ValidationError when the ARN is not a queue's.
   *
   * @example
   * const queue = await SqsQueue.fromArn(new SQSClient({}), record.eventSourceARN);
   * queue.queueUrl; // 'https://sqs.eu-west-1.amazonaws.com/123456789012/ocr-results-queue'
   */
  static async fromArn(client: SQSClient, arn: string, config: SqsQueueFromArnConfig = {}): Promise<SqsQueue> {
    const parsed = parseSqsQueueArn(arn);
    const { queueUrlOf, ...rest } = config;
    const queueUrl = queueUrlOf ? queueUrlOf(parsed) : await sqsQueueUrlOf(client, parsed);
    return new SqsQueue(client, { name: parsed.name, ...rest, queueUrl });
  }

  async send(body: string, options: { delaySeconds?: number } = {}): Promise<{ id: string }> {
    if (options.delaySeconds !== undefined) assertIntegerIn(options.delaySeconds, 0, 900, 'delaySeconds');
    const out = await this.call('SendMessage', () =>
      this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: body,
          ...(options.delaySeconds !== undefined ? { DelaySeconds: options.delaySeconds } : {}),
        }),
      ),
    );
    return { id: requireId(out.MessageId, this.name) };
  }

  async sendBatch(bodies: string[]): Promise<{ id: string }[]> {
    const ids: string[] = new Array<string>(bodies.length);
    for (const [chunkIndex, chunk] of chunks(bodies, BATCH_LIMIT).entries()) {
      // Entry ids are input indexes, so results map back to input order.
      let pending = chunk.map((body, i) => ({ Id: String(chunkIndex * BATCH_LIMIT + i), MessageBody: body }));
      let failures: BatchResultErrorEntry[] = [];
      for (let attempt = 0; attempt < 2 && pending.length > 0; attempt++) {
        const entries = pending;
        const out = await this.call('SendMessageBatch', () =>
          this.client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries })),
        );
        for (const ok of out.Successful ?? []) ids[Number(ok.Id)] = requireId(ok.MessageId, this.name);
        failures = out.Failed ?? [];
        const failedIds = new Set(failures.map((f) => f.Id));
        // Sender faults (bad input) will fail again; retry only the service's own failures.
        pending = entries.filter((e) => failedIds.has(e.Id) && !failures.find((f) => f.Id === e.Id)?.SenderFault);
        if (failures.some((f) => f.SenderFault)) break;
      }
      if (failures.length > 0) {
        const detail = failures.map((f) => `#${f.Id}: ${f.Code} ${f.Message ?? ''}`.trim()).join('; ');
        const message = `SendMessageBatch to ${this.name}: ${failures.length} of ${bodies.length} messages not sent (${detail})`;
        throw failures.some((f) => f.SenderFault)
          ? new DependencyError('sqs', message)
          : new TransientDependencyError('sqs', message);
      }
    }
    return ids.map((id) => ({ id }));
  }

  async receive(options: ReceiveOptions = {}): Promise<LeasedMessage[]> {
    const maxMessages = options.maxMessages ?? 1;
    const waitSeconds = options.waitSeconds ?? this.waitSeconds;
    assertIntegerIn(maxMessages, 1, BATCH_LIMIT, 'maxMessages');
    assertIntegerIn(waitSeconds, 0, MAX_WAIT_SECONDS, 'waitSeconds');
    if (options.leaseSeconds !== undefined)
      assertIntegerIn(options.leaseSeconds, 0, MAX_VISIBILITY_SECONDS, 'leaseSeconds');
    const out = await this.call('ReceiveMessage', () =>
      this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: maxMessages,
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          MessageAttributeNames: Object.values(NOTE),
          ...(options.leaseSeconds !== undefined ? { VisibilityTimeout: options.leaseSeconds } : {}),
        }),
        // Per request: the client's requestTimeout stays short for the calls that answer at once.
        { requestTimeout: waitSeconds * 1000 + LONG_POLL_ALLOWANCE_MS },
      ),
    );
    return (out.Messages ?? []).map((m) => this.leaseOf(m));
  }

  /**
   * The LeasedMessage view of a record that a Lambda event source mapping delivered, so that a
   * handler settles it as the worker does: `ack` reports success (the mapping deletes it),
   * `retryLater` changes its visibility and reports a failure, `deadLetter` sends it to the DLQ
   * and reports success, `extendLease` changes its visibility.
   *
   * @example
   * const failures: string[] = [];
   * const message = queue.leaseFromEvent(
   *   { messageId: r.messageId, body: r.body, receiptHandle: r.receiptHandle, receiveCount: Number(r.attributes.ApproximateReceiveCount) },
   *   (outcome) => { if (outcome === 'failure') failures.push(r.messageId); },
   * );
   */
  leaseFromEvent(delivery: SqsDelivery, report: DeliveryReport): LeasedMessage {
    const handle = delivery.receiptHandle ?? '';
    const attributes = Object.fromEntries(
      Object.entries(delivery.messageAttributes ?? {}).map(([k, v]) => [k, { StringValue: v?.stringValue }]),
    );
    const note = noteOf(attributes);
    const needHandle = () => {
      if (!handle)
        throw new ValidationError(`record ${delivery.messageId} of queue ${this.name} has no receipt handle`);
      return handle;
    };
    return {
      id: delivery.messageId,
      body: delivery.body,
      receiveCount: delivery.receiveCount,
      ...(note ? { deadLettered: note } : {}),
      ack: async () => report('success'),
      retryLater: async (delaySeconds) => {
        await this.changeVisibility(needHandle(), delaySeconds);
        report('failure');
      },
      deadLetter: async (reason) => {
        await this.sendToDeadLetter(delivery.messageId, delivery.body, delivery.receiveCount, reason);
        report('success');
      },
      extendLease: (seconds) => this.changeVisibility(needHandle(), seconds),
    };
  }

  private leaseOf(m: Message): LeasedMessage {
    const id = requireId(m.MessageId, this.name);
    const body = m.Body ?? '';
    const handle = m.ReceiptHandle ?? '';
    const receiveCount = Number(m.Attributes?.ApproximateReceiveCount ?? '1');
    const note = noteOf(m.MessageAttributes ?? {});
    return {
      id,
      body,
      receiveCount,
      ...(note ? { deadLettered: note } : {}),
      ack: () => this.deleteMessage(handle),
      retryLater: (delaySeconds) => this.changeVisibility(handle, delaySeconds),
      deadLetter: async (reason) => {
        // Send first, delete second: a crash in between duplicates into the DLQ, never loses.
        await this.sendToDeadLetter(id, body, receiveCount, reason);
        await this.deleteMessage(handle);
      },
      extendLease: (seconds) => this.changeVisibility(handle, seconds),
    };
  }

  private async sendToDeadLetter(id: string, body: string, receiveCount: number, reason: string): Promise<void> {
    const dlqUrl = this.deadLetterQueueUrl;
    if (!dlqUrl)
      throw new ConfigError(
        `queue ${this.name} was built without deadLetterQueueUrl; cannot dead-letter message ${id}`,
      );
    const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });
    await this.call('SendMessage (dead letter)', () =>
      this.client.send(
        new SendMessageCommand({
          QueueUrl: dlqUrl,
          MessageBody: body,
          MessageAttributes: {
            [NOTE.reason]: text(reason.slice(0, MAX_REASON_CHARS) || 'no reason given'),
            [NOTE.sourceQueue]: text(this.name),
            [NOTE.sourceMessageId]: text(id),
            [NOTE.receiveCount]: { DataType: 'Number', StringValue: String(receiveCount) },
          },
        }),
      ),
    );
  }

  private async deleteMessage(receiptHandle: string): Promise<void> {
    await this.call('DeleteMessage', () =>
      this.client.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle })),
    );
  }

  private async changeVisibility(receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void> {
    assertIntegerIn(visibilityTimeoutSeconds, 0, MAX_VISIBILITY_SECONDS, 'seconds');
    await this.call('ChangeMessageVisibility', () =>
      this.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: visibilityTimeoutSeconds,
        }),
      ),
    );
  }

  /** Messages waiting or in flight (approximate), for operations. */
  async backlog(): Promise<number> {
    const { visible, inFlight } = await this.depth();
    return visible + inFlight;
  }

  /** Approximate visible and in-flight counts (GetQueueAttributes), for bench, doctor and ops. */
  async depth(): Promise<QueueDepth> {
    const out = await this.call('GetQueueAttributes', () =>
      this.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      ),
    );
    return {
      visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw mapAwsError('sqs', `${operation} on queue ${this.name}`, error);
    }
  }
}

function requireId(id: string | undefined, queue: string): string {
  if (!id) throw new DependencyError('sqs', `queue ${queue} returned a message without a MessageId`);
  return id;
}
