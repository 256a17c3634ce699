import type { Clock } from '@receiptflow/core';
import { SystemClock } from '../system-clock.js';
import { InMemoryJobTable } from './in-memory-job-table.js';

/** Where an in-memory store keeps its rows, and the clock that stamps `updated_at`. */
export interface InMemoryStoreOptions {
  /** The table shared with the other stores (and its change feed / journal); default a new one. */
  table?: InMemoryJobTable;
  /** Stamps `updated_at` on transitions; default the system clock. */
  clock?: Clock;
}

/**
 * What the in-memory job-table stores that stamp transitions hold: the shared table and the clock.
 *
 * @example
 * class InMemoryThingStore extends InMemoryJobTableStore {
 *   async touch(key: TableKey) { ... isoNow(this.clock) ... }
 * }
 */
export abstract class InMemoryJobTableStore {
  protected readonly table: InMemoryJobTable;
  protected readonly clock: Clock;

  constructor(options: InMemoryStoreOptions = {}) {
    this.table = options.table ?? new InMemoryJobTable();
    this.clock = options.clock ?? new SystemClock();
  }
}
