import { SystemClock } from '@receiptflow/adapters-local';
import {
  describeCompactionRunStoreContract,
  describeOcrJobStoreContract,
  describeReceiptCatalogContract,
  describeReceiptStoreContract,
} from '@receiptflow/core/testing';
import {
  DynamoDbCompactionRunStore,
  DynamoDbOcrJobStore,
  DynamoDbReceiptCatalog,
  DynamoDbReceiptStore,
} from '../../src/dynamodb/index.js';
import { useDynalite } from './dynalite-fixture.js';

// One dynalite for the stores of the job table and its catalog; each test gets a fresh table.
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

describeReceiptCatalogContract('DynamoDbReceiptCatalog on dynalite', async () => {
  const { tableName, doc } = await dynalite.freshTable();
  return {
    subject: new DynamoDbReceiptCatalog(doc, { tableName, clock }),
    receipts: new DynamoDbReceiptStore(doc, { tableName, clock }),
  };
});
