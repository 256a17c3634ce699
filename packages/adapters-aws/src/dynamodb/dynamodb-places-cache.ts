import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PlacesCacheEntrySchema, type Clock, type PlacesCache, type PlacesCacheEntry } from '@receiptflow/core';
import { DynamoDbTable } from './dynamodb-table.js';
import { decodeItem } from './item-codec.js';
import { placesCacheKey } from '@receiptflow/job-table';

export interface DynamoDbPlacesCacheConfig {
  tableName: string;
  /** Any wait of the table's retries happens on it (SystemClock in production). */
  clock: Clock;
  /**
   * How long DynamoDB keeps a row after its `expires_at`, in days (default 30). Expired rows
   * must stay readable for a while: the caller sees them as expired and overwrites them.
   */
  retainAfterExpiryDays?: number;
}

const SECONDS_PER_DAY = 86_400;

/** Places answers in the job table under `PLACES_CACHE#<key>`, removed later by DynamoDB TTL. */
export class DynamoDbPlacesCache implements PlacesCache {
  private readonly table: DynamoDbTable;
  private readonly retainSeconds: number;

  /**
   * Keeps cache rows in the job table; DynamoDB's TTL removes a row `retainAfterExpiryDays` after it
   * expires.
   *
   * @example
   * const cache = new DynamoDbPlacesCache(DynamoDBDocumentClient.from(new DynamoDBClient({})), { tableName });
   * const hit = await cache.get('phone:+15551234567');
   */
  constructor(doc: DynamoDBDocumentClient, config: DynamoDbPlacesCacheConfig) {
    this.table = new DynamoDbTable(doc, config);
    this.retainSeconds = (config.retainAfterExpiryDays ?? 30) * SECONDS_PER_DAY;
  }

  async get(key: string): Promise<PlacesCacheEntry | null> {
    const item = await this.table.get(placesCacheKey(key));
    return item ? decodeItem(PlacesCacheEntrySchema, item, 'places cache row') : null;
  }

  async put(entry: PlacesCacheEntry): Promise<void> {
    const expiresAtSeconds = Math.floor(Date.parse(entry.expires_at) / 1000);
    await this.table.put({
      ...placesCacheKey(entry.key),
      entity: 'PLACES_CACHE',
      ttl: expiresAtSeconds + this.retainSeconds,
      ...entry,
    });
  }
}
