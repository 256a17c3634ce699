import { ConditionFailedError } from '@receiptflow/core';
import type { DynamoDbTable } from './dynamodb-table.js';
import { sameRecord, type Item } from './item-codec.js';

/**
 * Conditional create; if the key is taken by an identical record, that is the benign race of a
 * repeated write and succeeds (docs/lessons.md#lesson-11-benign-races-counted-as-failures); a different record is a
 * ConditionFailedError naming `what`.
 */
export async function createOrMatch<T>(
  table: DynamoDbTable,
  item: Item,
  record: T,
  decode: (item: Item) => T,
  what: string,
): Promise<void> {
  if (await table.putIfAbsent(item)) return;
  const existing = await table.get({ PK: item.PK as string, SK: item.SK as string });
  if (existing && sameRecord(decode(existing), record)) return;
  throw new ConditionFailedError(`${what} already exists with different content`);
}
