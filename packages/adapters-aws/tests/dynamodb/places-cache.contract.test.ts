import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describePlacesCacheContract, makePlacesCacheEntry } from '@receiptflow/core/testing';
import { describe, expect, it } from 'vitest';
import { DynamoDbPlacesCache } from '../../src/dynamodb/index.js';
import { ManualClock, useDynalite } from './dynalite-fixture.js';

const dynalite = useDynalite();

describePlacesCacheContract('DynamoDbPlacesCache on dynalite', async () => {
  const { tableName, doc } = await dynalite.freshTable();
  return { subject: new DynamoDbPlacesCache(doc, { tableName, clock: new ManualClock() }) };
});

describe('DynamoDbPlacesCache row layout', () => {
  it('stores PLACES_CACHE#<key> with entity and a ttl in epoch seconds 30 days after expiry', async () => {
    const { tableName, doc } = await dynalite.freshTable();
    const cache = new DynamoDbPlacesCache(doc, { tableName, clock: new ManualClock() });
    const entry = makePlacesCacheEntry({ expires_at: '2024-02-01T00:00:00.000Z' });
    await cache.put(entry);
    const out = await doc.send(
      new GetCommand({ TableName: tableName, Key: { PK: `PLACES_CACHE#${entry.key}`, SK: 'PLACES_CACHE' } }),
    );
    expect(out.Item?.entity).toBe('PLACES_CACHE');
    expect(out.Item?.ttl).toBe(Date.parse('2024-02-01T00:00:00.000Z') / 1000 + 30 * 86_400);
  });
});
