import { FsJobTable, type FsJobTableConfig } from './job-table/fs-job-table.js';
import { InMemoryJobStore, type InMemoryJobStoreConfig } from './in-memory-job-store.js';

export interface FsJobStoreConfig extends InMemoryJobStoreConfig, FsJobTableConfig {}

/** @deprecated The three in-memory stores over an FsJobTable; kept only while callers move. */
export class FsJobStore extends InMemoryJobStore {
  private constructor(config: FsJobStoreConfig, private readonly fsTable: FsJobTable) {
    super(config, fsTable);
  }

  static async open(dir: string, config: FsJobStoreConfig = {}): Promise<FsJobStore> {
    return new FsJobStore(config, await FsJobTable.open(dir, config));
  }

  get journalPath(): string {
    return this.fsTable.journalPath;
  }

  close(): Promise<void> {
    return this.fsTable.close();
  }
}
