import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '@receiptflow/core';
import { describeSnapshotStoreContract } from '@receiptflow/core/testing';
import { describe, expect, it } from 'vitest';
import { DynamoDbSnapshotStore } from '../../src/dynamodb/index.js';
import { ManualClock, useDynalite } from './dynalite-fixture.js';

const dynalite = useDynalite();

describeSnapshotStoreContract('DynamoDbSnapshotStore on dynalite', async () => {
  const { tableName, doc } = await dynalite.freshTable();
  return { subject: new DynamoDbSnapshotStore(doc, { tableName, clock: new ManualClock() }) };
});

describe('DynamoDbSnapshotStore stored rows', () => {
  it('reports a pointer row without its fields as a ValidationError naming its key', async () => {
    const { tableName, doc } = await dynalite.freshTable();
    const snapshots = new DynamoDbSnapshotStore(doc, { tableName, clock: new ManualClock() });
    await doc.send(
      new PutCommand({ TableName: tableName, Item: { PK: 'SNAPSHOT#lines', SK: 'SNAPSHOT', entity: 'SNAPSHOT' } }),
    );
    const read = snapshots.current('lines');
    await expect(read).rejects.toBeInstanceOf(ValidationError);
    await expect(read).rejects.toThrow(/stored snapshot pointer SNAPSHOT#lines\/SNAPSHOT is malformed/);
  });
});
