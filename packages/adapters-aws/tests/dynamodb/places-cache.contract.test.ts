import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '@receiptflow/core';
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

  it('reports a stored row that is not a cache entry as a ValidationError naming its key', async () => {
    const { tableName, doc } = await dynalite.freshTable();
    const cache = new DynamoDbPlacesCache(doc, { tableName, clock: new ManualClock() });
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { PK: 'PLACES_CACHE#phone:+1555', SK: 'PLACES_CACHE', entity: 'PLACES_CACHE', key: 'phone:+1555' },
      }),
    );
    const read = cache.get('phone:+1555');
    await expect(read).rejects.toBeInstanceOf(ValidationError);
    await expect(read).rejects.toThrow(/stored places cache row PLACES_CACHE#phone:\+1555\/PLACES_CACHE is malformed/);
  });
});
