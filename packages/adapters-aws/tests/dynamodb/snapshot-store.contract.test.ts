import { describeSnapshotStoreContract } from '@receiptflow/core/testing';
import { DynamoDbSnapshotStore } from '../../src/dynamodb/index.js';
import { ManualClock, useDynalite } from './dynalite-fixture.js';

const dynalite = useDynalite();

describeSnapshotStoreContract('DynamoDbSnapshotStore on dynalite', async () => {
  const { tableName, doc } = await dynalite.freshTable();
  return { subject: new DynamoDbSnapshotStore(doc, { tableName, clock: new ManualClock() }) };
});
