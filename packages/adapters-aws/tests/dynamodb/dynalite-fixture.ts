import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '@receiptflow/core';
import { afterAll, beforeAll } from 'vitest';
import {
  createTable,
  createTestDocumentClient,
  createTestDynamoDbClient,
  startDynalite,
  uniqueResourceName,
  type RunningEmulator,
} from '@receiptflow/devkit/emulators';

/**
 * One dynalite per test file (started before, stopped after); each `freshTable()` creates a new
 * table on it, so every test starts empty.
 */
export function useDynalite() {
  let emulator: RunningEmulator;
  const clients: DynamoDBClient[] = [];
  beforeAll(async () => {
    emulator = await startDynalite();
  });
  afterAll(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await emulator?.stop();
  });
  return {
    get endpoint() {
      return emulator.endpoint;
    },
    /** A new table and a DocumentClient over a new base client (for middleware injection). */
    async freshTable(): Promise<{ tableName: string; client: DynamoDBClient; doc: DynamoDBDocumentClient }> {
      const client = createTestDynamoDbClient(emulator.endpoint);
      clients.push(client);
      const tableName = uniqueResourceName('jobs');
      await createTable(client, tableName);
      return { tableName, client, doc: createTestDocumentClient(client) };
    },
  };
}

/** A clock that only moves when told to (the lock and store read "now" from it). */
export class ManualClock implements Clock {
  constructor(private current = Date.parse('2024-01-01T00:00:00.000Z')) {}
  now(): number {
    return this.current;
  }
  async sleep(ms: number): Promise<void> {
    this.current += ms;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}
