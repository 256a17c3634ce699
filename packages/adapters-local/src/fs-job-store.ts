import { mkdir, open, readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { ChangeRecordSchema, type ChangeRecord } from '@receiptflow/core';
import { InMemoryJobStore, type InMemoryJobStoreConfig } from './in-memory-job-store.js';

type FileHandle = Awaited<ReturnType<typeof open>>;

const JOURNAL = 'job-table.jsonl';

/**
 * The in-memory job table made durable: every committed operation is appended to a JSON-lines
 * journal (`<dir>/job-table.jsonl`, one line per operation holding all of its row changes) before
 * the operation resolves, and {@link FsJobStore.open} replays the journal, so a restarted process
 * sees every record. One line per operation makes a multi-row write (a receipt with its lines and
 * words) all-or-nothing: a line torn by a crash is cut off at the next open. No fsync: a crash of
 * the machine (not the process) may lose the last operations, which is fine for local use.
 */
export class FsJobStore extends InMemoryJobStore {
  private handle: FileHandle | null = null;
  private appending: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    config: InMemoryJobStoreConfig,
  ) {
    super(config);
  }

  /** Opens (creating if needed) the store in `dir`, replaying its journal. */
  static async open(dir: string, config: InMemoryJobStoreConfig = {}): Promise<FsJobStore> {
    await mkdir(dir, { recursive: true });
    const store = new FsJobStore(dir, config);
    await store.replay();
    store.handle = await open(join(dir, JOURNAL), 'a');
    return store;
  }

  /** Waits for pending appends and closes the journal; the store must not be used afterwards. */
  async close(): Promise<void> {
    await this.appending;
    await this.handle?.close();
    this.handle = null;
  }

  protected override persist(changes: ChangeRecord[]): Promise<void> {
    const line = Buffer.from(`${JSON.stringify({ v: 1, changes })}\n`, 'utf8');
    // Chained so that lines land in commit order even when operations overlap.
    const next = this.appending.then(() => this.append(line));
    this.appending = next.catch(() => {});
    return next;
  }

  private async append(line: Buffer): Promise<void> {
    if (!this.handle) throw new Error(`FsJobStore in ${this.dir} is closed`);
    let offset = 0;
    while (offset < line.length) {
      const { bytesWritten } = await this.handle.write(line, offset, line.length - offset);
      offset += bytesWritten;
    }
  }

  private async replay(): Promise<void> {
    const path = join(this.dir, JOURNAL);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    // Every complete append ends with '\n', so the piece after the last '\n' is a torn tail
    // (a crash mid-append): it is cut off, and its operation never happened.
    const end = text.lastIndexOf('\n') + 1;
    const lines = text.slice(0, end).split('\n').slice(0, -1);
    lines.forEach((line, i) => {
      if (line === '') return;
      let changes: ChangeRecord[];
      try {
        const parsed = JSON.parse(line) as { changes: unknown[] };
        changes = parsed.changes.map((c) => ChangeRecordSchema.parse(c));
      } catch (error) {
        throw new Error(`FsJobStore journal ${path} is corrupt at line ${i + 1}`, { cause: error });
      }
      for (const change of changes) this.restore(change);
    });
    const goodBytes = Buffer.byteLength(text.slice(0, end), 'utf8');
    if (goodBytes < Buffer.byteLength(text, 'utf8')) await truncate(path, goodBytes);
  }
}
