import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  ConditionFailedError,
  LeaseLostError,
  type Clock,
  type CompactionLock,
  type LockLease,
} from '@receiptflow/core';
import { DynamoDbTable } from './dynamodb-table.js';
import { lockKey } from '@receiptflow/job-table';

export interface DynamoDbCompactionLockConfig {
  tableName: string;
  /** "Now" for lease expiry; inject a fake clock in tests. */
  clock: Clock;
}

// OWNER and NAME are DynamoDB reserved words; every attribute goes through a placeholder.
const NAMES = {
  '#owner': 'owner',
  '#token': 'fencing_token',
  '#expires': 'expires_at',
  '#name': 'name',
  '#entity': 'entity',
};

/**
 * A lease lock in one row `LOCK#<name>`. Acquire is a single conditional UpdateItem that
 * succeeds only when the row is absent or its lease has expired, and ADDs 1 to the fencing
 * token in the same write, so every acquisition gets a larger token. Release keeps the row (and
 * its token counter) and only ends the lease.
 */
export class DynamoDbCompactionLock implements CompactionLock {
  private readonly table: DynamoDbTable;
  private readonly clock: Clock;

  /**
   * Keeps the locks as items of the job table; `config.clock` decides lease expiry.
   *
   * @example
   * const lock = new DynamoDbCompactionLock(DynamoDBDocumentClient.from(new DynamoDBClient({})), { tableName, clock });
   * const lease = await lock.acquire('compaction:lines', owner, 60_000);
   */
  constructor(doc: DynamoDBDocumentClient, config: DynamoDbCompactionLockConfig) {
    this.table = new DynamoDbTable(doc, config);
    this.clock = config.clock;
  }

  async acquire(name: string, owner: string, leaseMs: number): Promise<LockLease | null> {
    const now = this.clock.now();
    try {
      const item = await this.table.update({
        Key: lockKey(name),
        UpdateExpression: 'SET #owner = :owner, #expires = :expires, #name = :name, #entity = :entity ADD #token :one',
        ConditionExpression: 'attribute_not_exists(PK) OR #expires <= :now',
        ExpressionAttributeNames: NAMES,
        ExpressionAttributeValues: {
          ':owner': owner,
          ':expires': now + leaseMs,
          ':name': name,
          ':entity': 'LOCK',
          ':one': 1,
          ':now': now,
        },
      });
      return { name, owner, fencing_token: Number(item.fencing_token), expires_at: Number(item.expires_at) };
    } catch (error) {
      if (error instanceof ConditionFailedError) return null;
      throw error;
    }
  }

  async renew(lease: LockLease, leaseMs: number): Promise<LockLease> {
    const now = this.clock.now();
    try {
      const item = await this.table.update({
        Key: lockKey(lease.name),
        UpdateExpression: 'SET #expires = :expires',
        ConditionExpression: '#owner = :owner AND #token = :token AND #expires > :now',
        ExpressionAttributeNames: {
          '#owner': NAMES['#owner'],
          '#token': NAMES['#token'],
          '#expires': NAMES['#expires'],
        },
        ExpressionAttributeValues: {
          ':expires': now + leaseMs,
          ':owner': lease.owner,
          ':token': lease.fencing_token,
          ':now': now,
        },
      });
      return { ...lease, expires_at: Number(item.expires_at) };
    } catch (error) {
      if (error instanceof ConditionFailedError) {
        throw new LeaseLostError(
          `lock ${lease.name}: lease of ${lease.owner} (fencing token ${lease.fencing_token}) expired or was taken over`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  async release(lease: LockLease): Promise<void> {
    try {
      await this.table.update({
        Key: lockKey(lease.name),
        // Expire now instead of deleting: the token counter must survive for the next holder.
        UpdateExpression: 'SET #expires = :zero',
        ConditionExpression: '#owner = :owner AND #token = :token',
        ExpressionAttributeNames: {
          '#owner': NAMES['#owner'],
          '#token': NAMES['#token'],
          '#expires': NAMES['#expires'],
        },
        ExpressionAttributeValues: { ':zero': 0, ':owner': lease.owner, ':token': lease.fencing_token },
      });
    } catch (error) {
      if (error instanceof ConditionFailedError) return; // not ours any more: nothing to release
      throw error;
    }
  }

  async isHeld(lease: LockLease): Promise<boolean> {
    const item = await this.table.get(lockKey(lease.name));
    return (
      item !== null &&
      item.owner === lease.owner &&
      Number(item.fencing_token) === lease.fencing_token &&
      Number(item.expires_at) > this.clock.now()
    );
  }
}
