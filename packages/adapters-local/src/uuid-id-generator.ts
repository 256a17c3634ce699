import { randomUUID } from 'node:crypto';
import type { IdGenerator } from '@receiptflow/core';

/** Random v4 UUIDs (letters, digits and '-', so they satisfy IdSchema). */
export class UuidIdGenerator implements IdGenerator {
  newId(): string {
    return randomUUID();
  }
}
