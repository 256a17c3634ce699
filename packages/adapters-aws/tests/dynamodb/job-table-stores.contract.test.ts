import { SystemClock } from '@receiptflow/adapters-local';
import {
  describeCompactionRunStoreContract,
  describeOcrJobStoreContract,
  describeReceiptStoreContract,
} from '@receiptflow/core/testing';
import { DynamoDbCompactionRunStore, DynamoDbOcrJobStore, DynamoDbReceiptStore } from '../../src/dynamodb/index.js';
import { useDynalite } from './dynalite-fixture.js';

// One dynalite for the three stores of the job table; each test gets a fresh table.
const dynalite = useDynalite();
const clock = new SystemClock();

describeOcrJobStoreContract('DynamoDbOcrJobStore on dynalite', async () => {
  const { tableName, doc } = await dynalite.freshTable();
  return { subject: new DynamoDbOcrJobStore(doc, { tableName, clock }) };
});

describeReceiptStoreContract('DynamoDbReceiptStore on dynalite', async () => {
  const { tableName, doc } = await dynalite.freshTable();
  return {
    subject: new DynamoDbReceiptStore(doc, { tableName, clock }),
    runs: new DynamoDbCompactionRunStore(doc, { tableName, clock }),
  };
});

describeCompactionRunStoreContract('DynamoDbCompactionRunStore on dynalite', async () => {
  const { tableName, doc } = await dynalite.freshTable();
  return { subject: new DynamoDbCompactionRunStore(doc, { tableName, clock }) };
});
