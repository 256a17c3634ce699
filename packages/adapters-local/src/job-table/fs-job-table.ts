import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { silentLogger, type ChangeRecord, type Logger } from '@receiptflow/core';
import { syncDir } from '../durable/sync-dir.js';
import { CorruptDataFileError, DataStoreWriteError, StoreClosedError } from '../errors.js';
import { InMemoryJobTable } from './in-memory-job-table.js';
import { encodeJournalRecord, JOB_JOURNAL, readJournal } from './job-journal.js';

type FileHandle = Awaited<ReturnType<typeof open>>;

export interface FsJobTableConfig {
  /** Where a dropped torn tail and old-format records are reported; silent by default. */
  logger?: Logger;
  /**
   * fdatasync the journal before an operation resolves (durable against power loss, not only
   * process crashes). Default true. Concurrent operations share one sync (group commit).
   */
  fsync?: boolean;
}

interface PendingAppend {
  bytes: Buffer;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The in-memory job table made durable (the OcrJobStore, ReceiptStore and CompactionRunStore
 * of a local install all sit on one of these): every committed operation is appended to a JSON-lines
 * journal (`<dir>/job-table.jsonl`, one checksummed line per operation holding all of its row
 * changes, see job-journal.ts) and fdatasync'd before the operation resolves, and
 * {@link FsJobTable.open} replays the journal, so a restarted process sees every acknowledged
 * record. One line per operation makes a multi-row write (a receipt with its lines and words)
 * all-or-nothing.
 *
 * Opening checks every line. An incomplete last line is a torn append (a crash mid-write; it was
 * never acknowledged): it is cut off and reported through the logger with its size. Any other
 * damage (a complete line failing its checksum) refuses to open with a
 * {@link CorruptDataFileError} naming the file and byte offset; `receipts fsck --repair` salvages.
 *
 * @example
 * const table = await FsJobTable.open('.data/jobs', { logger });
 * const jobs = new InMemoryOcrJobStore({ table, clock });
 * await jobs.createJob(job); // on disk (and synced) once this resolves
 * await table.close();
 */
export class FsJobTable extends InMemoryJobTable {
  private handle: FileHandle | null = null;
  /** Bytes of complete records on disk; a failed append is cut back to this. */
  private length = 0;
  private pending: PendingAppend[] = [];
  private flushing: Promise<void> | null = null;
  private failure: DataStoreWriteError | null = null;
  private readonly logger: Logger;
  private readonly fsync: boolean;

  private constructor(
    private readonly dir: string,
    config: FsJobTableConfig,
  ) {
    super();
    this.logger = config.logger ?? silentLogger;
    this.fsync = config.fsync ?? true;
  }

  /** Opens (creating if needed) the table in `dir`, replaying its journal. */
  static async open(dir: string, config: FsJobTableConfig = {}): Promise<FsJobTable> {
    await mkdir(dir, { recursive: true });
    const table = new FsJobTable(dir, config);
    await table.replay();
    return table;
  }

  /** The journal's path. */
  get journalPath(): string {
    return join(this.dir, JOB_JOURNAL);
  }

  /** Waits for pending appends and closes the journal; the table (and its stores) must not be used afterwards. */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.handle?.close();
    this.handle = null;
  }

  protected override persist(changes: ChangeRecord[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const bytes = encodeJournalRecord(changes);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ bytes, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.flush().finally(() => {
      this.flushing = null;
      if (this.pending.length > 0) this.kick();
    });
  }

  /**
   * Writes every queued record in commit order with one write and one sync (group commit), then
   * resolves their operations. A failure cuts the file back to its last good length and fails
   * the table: memory already holds those writes, so only a reopen makes the two agree again.
   */
  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      const bytes = batch.length === 1 ? batch[0]!.bytes : Buffer.concat(batch.map((p) => p.bytes));
      try {
        if (this.failure) throw this.failure;
        if (!this.handle) throw new StoreClosedError(`job table ${this.dir}`);
        let written = 0;
        while (written < bytes.length) {
          const { bytesWritten } = await this.handle.write(
            bytes,
            written,
            bytes.length - written,
            this.length + written,
          );
          written += bytesWritten;
        }
        if (this.fsync) await this.handle.datasync();
        this.length += bytes.length;
        for (const p of batch) p.resolve();
      } catch (error) {
        await this.handle?.truncate(this.length).catch(() => undefined);
        this.failure ??= new DataStoreWriteError(this.journalPath, 'journal append failed; reopen the store', {
          cause: error,
        });
        for (const p of batch) p.reject(this.failure);
      }
    }
  }

  private async replay(): Promise<void> {
    const path = this.journalPath;
    const found = await readJournal(path);
    if (!found) {
      this.handle = await open(path, 'wx+');
      await syncDir(this.dir);
      return;
    }
    const { scan } = found;
    const first = scan.damaged[0];
    if (first) {
      const line = found.bytes.subarray(0, first.offset).filter((b) => b === 0x0a).length + 1;
      const more = scan.damaged.length > 1 ? `; ${scan.damaged.length} damaged records in all` : '';
      throw new CorruptDataFileError(path, first.offset, `record on line ${line}: ${first.reason}${more}`);
    }
    for (const record of scan.records) for (const change of record.value) this.restore(change);
    const legacy = scan.records.filter((r) => r.legacy).length;
    if (legacy > 0) {
      this.logger.info('job journal has records without checksums (written by an older version)', {
        file: path,
        records: legacy,
        hint: 'receipts fsck --repair rewrites them with checksums',
      });
    }
    this.handle = await open(path, 'r+');
    this.length = scan.goodLength;
    if (scan.tornTail) {
      // Cut so that new records follow good ones; reported, since it is data that never became durable.
      await this.handle.truncate(scan.goodLength);
      this.logger.warn('job journal: dropped a torn tail left by a crash mid-append', {
        file: path,
        offset: scan.tornTail.offset,
        bytes: scan.tornTail.length,
        records: 1,
      });
    }
  }
}
