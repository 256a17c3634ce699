import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '@receiptflow/core';
import { DynamoDbTable, type DynamoDbTableConfig } from './dynamodb-table.js';

/** What the DynamoDB job-table stores need: the table, a clock, and list paging. */
export interface DynamoDbStoreConfig extends DynamoDbTableConfig {
  /** Stamps `updated_at` on transitions (and times batch-retry backoff). */
  clock: Clock;
  /** Default page size of list queries without a limit. Default 100. */
  defaultListLimit?: number;
}

/**
 * What the stores over the DynamoDB job table that stamp transitions and page lists hold.
 *
 * @example
 * class DynamoDbThingStore extends DynamoDbJobTableStore {
 *   async list(pk: string) { return this.table.queryPrefix(pk, 'THING#'); }
 * }
 */
export abstract class DynamoDbJobTableStore {
  protected readonly table: DynamoDbTable;
  protected readonly clock: Clock;
  protected readonly defaultListLimit: number;

  constructor(doc: DynamoDBDocumentClient, config: DynamoDbStoreConfig) {
    this.table = new DynamoDbTable(doc, config);
    this.clock = config.clock;
    this.defaultListLimit = config.defaultListLimit ?? 100;
  }
}
