import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  ConditionFailedError,
  SnapshotPointerSchema,
  StaleFencingTokenError,
  type Clock,
  type Collection,
  type SnapshotPointer,
  type SnapshotStore,
} from '@receiptflow/core';
import { DynamoDbTable } from './dynamodb-table.js';
import { decodeItem, sameRecord } from './item-codec.js';
import { snapshotKey } from '@receiptflow/job-table';

export interface DynamoDbSnapshotStoreConfig {
  tableName: string;
  /** Any wait of the table's retries happens on it (SystemClock in production). */
  clock: Clock;
}

/**
 * Each collection's snapshot pointer in one row `SNAPSHOT#<collection>`, swapped with a single
 * conditional PutItem on both the version read and the fencing token.
 */
export class DynamoDbSnapshotStore implements SnapshotStore {
  private readonly table: DynamoDbTable;

  /**
   * Keeps one pointer item per collection in the job table; `promote` is a conditional write.
   *
   * @example
   * const snapshots = new DynamoDbSnapshotStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), { tableName });
   * const current = await snapshots.current('lines');
   */
  constructor(doc: DynamoDBDocumentClient, config: DynamoDbSnapshotStoreConfig) {
    this.table = new DynamoDbTable(doc, config);
  }

  async current(collection: Collection): Promise<SnapshotPointer | null> {
    const item = await this.table.get(snapshotKey(collection));
    return item ? decodeItem(SnapshotPointerSchema, item, 'snapshot pointer') : null;
  }

  async promote(next: SnapshotPointer, expectedVersion: number): Promise<void> {
    const versionCondition = expectedVersion === 0 ? 'attribute_not_exists(PK)' : '#version = :expected';
    try {
      await this.table.put(
        { ...snapshotKey(next.collection), entity: 'SNAPSHOT', ...next },
        {
          expression: `${versionCondition} AND (attribute_not_exists(PK) OR #token <= :token)`,
          names: { '#token': 'fencing_token', ...(expectedVersion === 0 ? {} : { '#version': 'version' }) },
          values: { ':token': next.fencing_token, ...(expectedVersion === 0 ? {} : { ':expected': expectedVersion }) },
        },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      const stored = await this.current(next.collection);
      // A retried promote whose first attempt landed: the pointer is already what we wanted.
      if (stored && sameRecord(stored, next)) return;
      if (stored && stored.fencing_token > next.fencing_token) {
        throw new StaleFencingTokenError(
          `snapshot ${next.collection}: fencing token ${next.fencing_token} is older than stored ${stored.fencing_token}`,
          { cause: error },
        );
      }
      throw new ConditionFailedError(
        `snapshot ${next.collection}: expected version ${expectedVersion}, stored is ${stored?.version ?? 'none'}`,
        { cause: error },
      );
    }
  }
}
