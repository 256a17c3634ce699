import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type BatchResultErrorEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  DependencyError,
  TransientDependencyError,
  ValidationError,
  type Queue,
  type QueueMessage,
  type ReceiveOptions,
} from '@receiptflow/core';
import { mapAwsError } from '../errors.js';

export interface SqsQueueConfig {
  queueUrl: string;
  /** Defaults to the last segment of the queue URL. */
  name?: string;
}

/** SQS's limit on entries per batch call and messages per receive. */
const BATCH_LIMIT = 10;
const MAX_VISIBILITY_SECONDS = 43_200;

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
 * Queue over one SQS queue. Batch calls are split into 10s; entries that fail inside a batch
 * are retried once, and what still fails is reported (deleteBatch) or thrown (sendBatch).
 */
export class SqsQueue implements Queue {
  readonly name: string;
  readonly queueUrl: string;

  constructor(
    private readonly client: SQSClient,
    config: SqsQueueConfig,
  ) {
    this.queueUrl = config.queueUrl;
    this.name = config.name ?? config.queueUrl.split('/').filter(Boolean).pop() ?? config.queueUrl;
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

  async receive(options: ReceiveOptions = {}): Promise<QueueMessage[]> {
    const maxMessages = options.maxMessages ?? 1;
    const waitSeconds = options.waitSeconds ?? 0;
    assertIntegerIn(maxMessages, 1, BATCH_LIMIT, 'maxMessages');
    assertIntegerIn(waitSeconds, 0, 20, 'waitSeconds');
    if (options.visibilityTimeoutSeconds !== undefined) {
      assertIntegerIn(options.visibilityTimeoutSeconds, 0, MAX_VISIBILITY_SECONDS, 'visibilityTimeoutSeconds');
    }
    const out = await this.call('ReceiveMessage', () =>
      this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: maxMessages,
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          ...(options.visibilityTimeoutSeconds !== undefined
            ? { VisibilityTimeout: options.visibilityTimeoutSeconds }
            : {}),
        }),
      ),
    );
    return (out.Messages ?? []).map((m) => ({
      id: requireId(m.MessageId, this.name),
      body: m.Body ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? '1'),
    }));
  }

  async delete(receiptHandle: string): Promise<void> {
    await this.call('DeleteMessage', () =>
      this.client.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle })),
    );
  }

  async deleteBatch(receiptHandles: string[]): Promise<{ failed: string[] }> {
    const failed: string[] = [];
    for (const [chunkIndex, chunk] of chunks(receiptHandles, BATCH_LIMIT).entries()) {
      let pending = chunk.map((handle, i) => ({ Id: String(chunkIndex * BATCH_LIMIT + i), ReceiptHandle: handle }));
      for (let attempt = 0; attempt < 2 && pending.length > 0; attempt++) {
        const entries = pending;
        const out = await this.call('DeleteMessageBatch', () =>
          this.client.send(new DeleteMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries })),
        );
        const failedIds = new Set((out.Failed ?? []).map((f) => f.Id));
        pending = entries.filter((e) => failedIds.has(e.Id));
      }
      failed.push(...pending.map((e) => e.ReceiptHandle));
    }
    return { failed };
  }

  async changeVisibility(receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void> {
    assertIntegerIn(visibilityTimeoutSeconds, 0, MAX_VISIBILITY_SECONDS, 'visibilityTimeoutSeconds');
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

  async depth(): Promise<{ visible: number; inFlight: number }> {
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
