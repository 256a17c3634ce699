import { describeJobStoreContract } from '@receiptflow/core/testing';
import { DynamoDbJobStore } from '../../src/dynamodb/index.js';
import { useDynalite } from './dynalite-fixture.js';

const dynalite = useDynalite();

describeJobStoreContract('DynamoDbJobStore on dynalite', async () => {
  const { tableName, doc } = await dynalite.freshTable();
  return { subject: new DynamoDbJobStore(doc, { tableName }) };
});
