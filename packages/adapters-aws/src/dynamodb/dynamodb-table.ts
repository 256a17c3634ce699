import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ConditionFailedError, TransientDependencyError, type Clock } from '@receiptflow/core';
import { awsErrorName, mapAwsError } from '../errors.js';
import type { Item } from './item-codec.js';
import type { TableKey } from '@receiptflow/job-table';

/** How BatchWriteItem's UnprocessedItems are retried before giving up. */
export interface BatchRetryOptions {
  /** Total BatchWriteItem calls per chunk, including the first. Default 8. */
  maxAttempts?: number;
  /** First backoff; doubles each retry, with jitter. Default 50 ms. */
  baseDelayMs?: number;
  /** Backoff cap. Default 2 s. */
  maxDelayMs?: number;
}

export interface DynamoDbTableConfig {
  tableName: string;
  batchRetry?: BatchRetryOptions;
  /**
   * Sleeps the batch-retry backoff: the adapter's own clock (SystemClock from the composition
   * root, a fake in tests), so no wait here happens around the injected clock.
   */
  clock: Pick<Clock, 'sleep'>;
}

/** A ConditionExpression with its placeholders, for `put` and `delete`. */
export interface WriteCondition {
  expression: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

export type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: TableKey } };

/** BatchWriteItem's limit per call. */
export const BATCH_WRITE_LIMIT = 25;

/**
 * The job table's operations with core's error mapping: a failed condition becomes
 * ConditionFailedError, throttling/5xx/unreachable become TransientDependencyError('dynamodb').
 * Shared by the DynamoDB adapters; not exported from the package.
 */
export class DynamoDbTable {
  readonly tableName: string;
  private readonly retry: Required<BatchRetryOptions>;
  private readonly clock: Pick<Clock, 'sleep'>;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    config: DynamoDbTableConfig,
  ) {
    this.tableName = config.tableName;
    this.clock = config.clock;
    this.retry = {
      maxAttempts: config.batchRetry?.maxAttempts ?? 8,
      baseDelayMs: config.batchRetry?.baseDelayMs ?? 50,
      maxDelayMs: config.batchRetry?.maxDelayMs ?? 2_000,
    };
  }

  async get(key: TableKey): Promise<Item | null> {
    const out = await this.call('GetItem', () =>
      this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })),
    );
    return (out.Item as Item | undefined) ?? null;
  }

  /** Puts the item; with a condition, a failed one throws ConditionFailedError. */
  async put(item: Item, condition?: WriteCondition): Promise<void> {
    await this.call('PutItem', () =>
      this.doc.send(new PutCommand({ TableName: this.tableName, Item: item, ...conditionInput(condition) })),
    );
  }

  /** Put if no row has this key; false (and nothing written) if one does. */
  async putIfAbsent(item: Item): Promise<boolean> {
    try {
      await this.put(item, { expression: 'attribute_not_exists(PK)' });
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  /** UpdateItem returning the whole new item. */
  async update(input: Omit<UpdateCommandInput, 'TableName' | 'ReturnValues'>): Promise<Item> {
    const out = await this.call('UpdateItem', () =>
      this.doc.send(new UpdateCommand({ ...input, TableName: this.tableName, ReturnValues: 'ALL_NEW' })),
    );
    return (out.Attributes as Item | undefined) ?? {};
  }

  async delete(key: TableKey, condition?: WriteCondition): Promise<void> {
    await this.call('DeleteItem', () =>
      this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: key, ...conditionInput(condition) })),
    );
  }

  /** Every page of a query, stopping once `limit` items are collected. */
  async query(input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>, limit = Infinity): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.call('Query', () =>
        this.doc.send(
          new QueryCommand({
            ...input,
            TableName: this.tableName,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        ),
      );
      items.push(...((out.Items as Item[] | undefined) ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined && items.length < limit);
    return items.slice(0, limit);
  }

  /**
   * How many items a query matches (`Select: COUNT`: no item is returned, though DynamoDB still
   * reads them), page by page until there are no more or `cap` is reached: `capped` then says
   * there may be more.
   */
  async count(
    input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey' | 'Select'>,
    cap: number,
  ): Promise<{ count: number; capped: boolean }> {
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.call('Query (count)', () =>
        this.doc.send(
          new QueryCommand({
            ...input,
            TableName: this.tableName,
            Select: 'COUNT',
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        ),
      );
      count += out.Count ?? 0;
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined && count < cap);
    return { count: Math.min(count, cap), capped: count > cap || (count >= cap && startKey !== undefined) };
  }

  /** Rows whose SK starts with `prefix` under one PK, in SK order, strongly consistent. */
  queryPrefix(pk: string, prefix: string, projection?: string[]): Promise<Item[]> {
    return this.query({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: {
        '#pk': 'PK',
        '#sk': 'SK',
        ...(projection ? Object.fromEntries(projection.map((p, i) => [`#p${i}`, p])) : {}),
      },
      ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
      ConsistentRead: true,
      ...(projection ? { ProjectionExpression: projection.map((_, i) => `#p${i}`).join(', ') } : {}),
    });
  }

  /**
   * Writes every request, 25 per BatchWriteItem, retrying UnprocessedItems with backoff. Never
   * drops a request silently: if some stay unprocessed after the last attempt it throws
   * TransientDependencyError saying how many.
   *
   * `concurrency` chunks are in flight at once (default 1). Every chunk is settled before this
   * returns or throws (the first failure is rethrown), so a caller that cleans up after a
   * failure never races a write that is still on its way. `beforeCall` runs before every
   * BatchWriteItem call, retries included; if it throws, that chunk stops there.
   */
  async batchWrite(
    requests: WriteRequest[],
    { concurrency = 1, beforeCall }: { concurrency?: number; beforeCall?: () => Promise<void> } = {},
  ): Promise<void> {
    const chunks: WriteRequest[][] = [];
    for (let i = 0; i < requests.length; i += BATCH_WRITE_LIMIT) chunks.push(requests.slice(i, i + BATCH_WRITE_LIMIT));
    let next = 0;
    let failure: { error: unknown } | undefined;
    const worker = async (): Promise<void> => {
      // After a failure no new chunk starts; the ones in flight finish.
      while (!failure && next < chunks.length) {
        const chunk = chunks[next++]!;
        try {
          await this.batchWriteChunk(chunk, beforeCall);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, chunks.length)) }, worker));
    if (failure) throw failure.error;
  }

  private async batchWriteChunk(chunk: WriteRequest[], beforeCall?: () => Promise<void>): Promise<void> {
    let pending = chunk;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > this.retry.maxAttempts) {
        throw new TransientDependencyError(
          'dynamodb',
          `BatchWriteItem on table ${this.tableName}: ${pending.length} of ${chunk.length} writes still unprocessed after ${this.retry.maxAttempts} attempts`,
        );
      }
      if (attempt > 1) await this.clock.sleep(this.backoff(attempt - 1));
      await beforeCall?.();
      const out = await this.call('BatchWriteItem', () =>
        this.doc.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } })),
      );
      pending = (out.UnprocessedItems?.[this.tableName] as WriteRequest[] | undefined) ?? [];
    }
  }

  private backoff(retry: number): number {
    const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (retry - 1));
    // Full jitter: concurrent writers that were throttled together do not retry together.
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (awsErrorName(error) === 'ConditionalCheckFailedException') {
        throw new ConditionFailedError(`${operation} on table ${this.tableName}: condition failed`, {
          cause: error,
        });
      }
      throw mapAwsError('dynamodb', `${operation} on table ${this.tableName}`, error);
    }
  }
}

/** The request attributes of an optional write condition (none without one). */
function conditionInput(condition: WriteCondition | undefined): {
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
} {
  if (!condition) return {};
  return {
    ConditionExpression: condition.expression,
    ...(condition.names ? { ExpressionAttributeNames: condition.names } : {}),
    ...(condition.values ? { ExpressionAttributeValues: condition.values } : {}),
  };
}
