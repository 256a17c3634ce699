import { describeCompactionLockContract } from '@receiptflow/core/testing';
import { DynamoDbCompactionLock } from '../../src/dynamodb/index.js';
import { ManualClock, useDynalite } from './dynalite-fixture.js';

const dynalite = useDynalite();

describeCompactionLockContract('DynamoDbCompactionLock on dynalite', async () => {
  const { tableName, doc } = await dynalite.freshTable();
  const clock = new ManualClock();
  return {
    subject: new DynamoDbCompactionLock(doc, { tableName, clock }),
    advance: async (ms) => clock.advance(ms),
  };
});
