import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import * as z from 'zod';
import { encodeCheckedLine } from './durable/checked-line.js';
import { scanLineLog, type LogDamage } from './durable/line-log.js';
import { replaceFileDurably } from './durable/replace-file.js';
import { readWholeIfAny } from './durable/whole-file.js';
import { CorruptDataFileError, DataStoreWriteError } from './errors.js';
import type { QueueJournal, StoredMessageView } from './in-memory-queue.js';

const NoteSchema = z.object({
  reason: z.string(),
  sourceQueue: z.string(),
  sourceMessageId: z.string(),
  receiveCount: z.number().int().nonnegative(),
});

/** One line of a dead-letter journal: a message put on the queue, or taken off it. */
const EntrySchema = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('add'),
    id: z.string().min(1),
    body: z.string(),
    receiveCount: z.number().int().nonnegative(),
    sentAt: z.number().int().nonnegative(),
    note: NoteSchema.optional(),
  }),
  z.object({ op: z.literal('remove'), id: z.string().min(1) }),
]);
type Entry = z.infer<typeof EntrySchema>;

/** What {@link FsDeadLetterJournal.read} finds in a journal file. */
export interface DeadLetterJournalScan {
  /** The messages still on the queue, in the order they arrived. */
  messages: StoredMessageView[];
  /** Complete lines that fail their checksum or are not journal entries. */
  damaged: LogDamage[];
  /** An append torn by a crash (never acknowledged), or null. */
  tornTail: LogDamage | null;
}

/** What {@link FsDeadLetterJournal.open} restored, for the caller to put back on the queue. */
export interface OpenedDeadLetterJournal {
  journal: FsDeadLetterJournal;
  messages: StoredMessageView[];
  /** A torn last append that was cut off (nothing acknowledged was in it), or null. */
  droppedTail: LogDamage | null;
}

/**
 * Keeps a local dead-letter queue on disk, so that a poison message survives a restart or a
 * kill -9 of `receipts serve` as it survives in an SQS DLQ (14 days). Each message put on the queue
 * and each one taken off (redrive, ack) is one checked line (CRC-32 per line, as the job journal),
 * appended and fsynced before the queue changes in memory. The writes are synchronous on
 * purpose: a dead letter is rare, and a synchronous append keeps the queue's move of a message
 * one step, with no await between the journal and the memory.
 *
 * Opening replays the file: a torn last line (a crash mid-append) is cut off, any other bad line
 * refuses to open with a {@link CorruptDataFileError} naming the file and byte
 * (`receipts fsck --repair` salvages the good lines). The file is then rewritten with only the
 * messages still queued, so it never grows past the queue itself.
 *
 * @example
 * const { journal, messages } = await FsDeadLetterJournal.open('.data/dead-letters/ocr-queue-dlq.log');
 * const dlq = new InMemoryQueue({ name: 'ocr-queue-dlq', journal, restore: messages });
 */
export class FsDeadLetterJournal implements QueueJournal {
  private fd: number | null;
  /** Set by a failed append: memory and disk may disagree, so nothing more is written. */
  private failed: string | null = null;

  private constructor(
    readonly path: string,
    fd: number,
    private readonly fsync: boolean,
  ) {
    this.fd = fd;
  }

  /** Reads a journal file without changing it (fsck); undefined when there is none. */
  static async read(path: string): Promise<DeadLetterJournalScan | undefined> {
    const bytes = await readWholeIfAny(path);
    if (bytes === undefined) return undefined;
    const scan = scanLineLog<Entry>(bytes, (text) => EntrySchema.parse(JSON.parse(text)));
    const live = new Map<string, StoredMessageView>();
    for (const { value } of scan.records) {
      if (value.op === 'remove') live.delete(value.id);
      else
        live.set(value.id, {
          id: value.id,
          body: value.body,
          receiveCount: value.receiveCount,
          sentAt: value.sentAt,
          ...(value.note ? { note: value.note } : {}),
        });
    }
    return { messages: [...live.values()], damaged: scan.damaged, tornTail: scan.tornTail };
  }

  /**
   * Writes `messages` as a fresh journal at `path`, atomically (temp file, fsync, rename): what
   * opening does to compact the file, and what fsck's repair does with the good lines.
   */
  static async rewrite(path: string, messages: readonly StoredMessageView[]): Promise<void> {
    await replaceFileDurably(path, Buffer.concat(messages.map((m) => encodeEntry({ op: 'add', ...m }))));
  }

  /**
   * Opens (creating if needed) the journal at `path` and returns the messages it holds.
   * `fsync: false` is for tests and benches only.
   */
  static async open(path: string, options: { fsync?: boolean } = {}): Promise<OpenedDeadLetterJournal> {
    const scan = await FsDeadLetterJournal.read(path);
    const first = scan?.damaged[0];
    if (first) throw new CorruptDataFileError(path, first.offset, first.reason);
    const messages = scan?.messages ?? [];
    await FsDeadLetterJournal.rewrite(path, messages);
    const journal = new FsDeadLetterJournal(path, openSync(path, 'a', 0o600), options.fsync ?? true);
    return { journal, messages, droppedTail: scan?.tornTail ?? null };
  }

  added(message: StoredMessageView): void {
    this.append(encodeEntry({ op: 'add', ...message }));
  }

  removed(id: string): void {
    this.append(encodeEntry({ op: 'remove', id }));
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private append(line: Buffer): void {
    if (this.failed !== null)
      throw new DataStoreWriteError(
        this.path,
        `refuses writes after a failed append (${this.failed}); restart to reload it`,
      );
    if (this.fd === null) throw new DataStoreWriteError(this.path, 'the dead-letter journal is closed');
    try {
      for (let at = 0; at < line.length;) at += writeSync(this.fd, line, at, line.length - at);
      if (this.fsync) fsyncSync(this.fd);
    } catch (error) {
      this.failed = String(error);
      throw new DataStoreWriteError(this.path, `could not append to the dead-letter journal: ${String(error)}`, {
        cause: error,
      });
    }
  }
}

function encodeEntry(entry: Entry): Buffer {
  return encodeCheckedLine(JSON.stringify(entry));
}
