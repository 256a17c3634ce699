import { mkdir, open, readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { replaceFileDurably } from './durable/replace-file.js';
import { CorruptDataFileError, PresignedUrlUsedError } from './errors.js';
import { SystemClock } from './system-clock.js';

type FileHandle = Awaited<ReturnType<typeof open>>;

/** What a ledger file holds, read without changing it (`UploadNonceLedger.scan`). */
export interface UploadLedgerScan {
  uses: { nonce: string; expiresAt: number }[];
  /** Lines that are not `<nonce> <expires-at-ms>`: which URL they recorded is unknown. */
  damaged: { offset: number; length: number; reason: string }[];
  /** An incomplete last line (a crash mid-append; that upload was never acknowledged). */
  tornTail: { offset: number; length: number } | null;
}

const LINE = /^([0-9a-f]{32}) (\d{1,16})$/;
/** Opening rewrites the file without expired lines once they are this many, and most of it. */
const COMPACT_AFTER_EXPIRED = 1_000;

/**
 * Which presigned upload URLs were used, so each is valid once, also across a restart. Each use
 * is one line `<nonce> <expires-at-ms>` appended and fsynced before the upload is acknowledged.
 * Opening replays the file: a torn last line (a crash mid-append; that upload was never
 * acknowledged) is cut off, any other bad line refuses to open, naming the file and line.
 * Entries past their URL's expiry are not kept in memory (an expired URL is refused anyway), and
 * opening drops them from the file once they are most of it.
 *
 * @example
 * const ledger = await UploadNonceLedger.open('.data/uploads-used.log');
 * await ledger.consume(nonce, expiresAt, () => store.put(key, bytes));
 */
export class UploadNonceLedger {
  private readonly used = new Set<string>();
  /** Uses in progress: a second request with the same URL is refused while the first writes. */
  private readonly inFlight = new Set<string>();

  private constructor(private handle: FileHandle | null) {}

  /** A ledger that forgets on exit (in-memory stores, tests). */
  static inMemory(): UploadNonceLedger {
    return new UploadNonceLedger(null);
  }

  /** Opens (creating if needed) the ledger file at `path`, replaying it. */
  static async open(path: string, now = new SystemClock().now()): Promise<UploadNonceLedger> {
    await mkdir(dirname(path), { recursive: true });
    const scan = await UploadNonceLedger.scan(path);
    const damaged = scan?.damaged[0];
    if (damaged) throw new CorruptDataFileError(path, damaged.offset, damaged.reason);
    const ledger = new UploadNonceLedger(null);
    const live = (scan?.uses ?? []).filter((use) => use.expiresAt >= now);
    for (const use of live) ledger.used.add(use.nonce);
    const expired = (scan?.uses.length ?? 0) - live.length;
    if (expired >= COMPACT_AFTER_EXPIRED && expired > live.length) {
      // An expired URL is refused on its expiry alone, so its line is dead weight: without this
      // the file would grow by a line per upload for ever.
      await replaceFileDurably(path, Buffer.from(live.map((use) => `${use.nonce} ${use.expiresAt}\n`).join('')));
    } else if (scan?.tornTail) await truncate(path, scan.tornTail.offset);
    ledger.handle = await open(path, 'a', 0o600);
    return ledger;
  }

  /**
   * Reads the ledger file at `path` without changing it (null when there is none): its uses, the
   * lines that are not `<nonce> <expires-at-ms>` with their byte offsets, and a torn last line.
   * `receipts fsck` reports from it; `open` refuses the first damaged line.
   */
  static async scan(path: string): Promise<UploadLedgerScan | null> {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const scan: UploadLedgerScan = { uses: [], damaged: [], tornTail: null };
    let offset = 0;
    let number = 0;
    while (offset < bytes.length) {
      const newline = bytes.indexOf(0x0a, offset);
      if (newline < 0) {
        // A crash mid-append: that upload was never acknowledged.
        scan.tornTail = { offset, length: bytes.length - offset };
        break;
      }
      number++;
      const line = bytes.toString('utf8', offset, newline);
      const match = LINE.exec(line);
      if (match) scan.uses.push({ nonce: match[1]!, expiresAt: Number(match[2]) });
      else
        scan.damaged.push({
          offset,
          length: newline + 1 - offset,
          reason: `line ${number} is not "<nonce> <expires-at-ms>": ${JSON.stringify(line.slice(0, 60))}`,
        });
      offset = newline + 1;
    }
    return scan;
  }

  isUsed(nonce: string): boolean {
    return this.used.has(nonce) || this.inFlight.has(nonce);
  }

  /**
   * Runs `write` as the one use of `nonce`, then records the use durably. Throws
   * PresignedUrlUsedError when the nonce was used (or is being used) already. A failed write
   * records nothing, so the URL can be tried again.
   */
  async consume(nonce: string, expiresAt: number, write: () => Promise<void>): Promise<void> {
    if (this.isUsed(nonce))
      throw new PresignedUrlUsedError('this presigned upload URL was already used; request a new one');
    this.inFlight.add(nonce);
    try {
      await write();
      if (this.handle) {
        await this.handle.write(`${nonce} ${expiresAt}\n`);
        await this.handle.datasync();
      }
      this.used.add(nonce);
    } finally {
      this.inFlight.delete(nonce);
    }
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = null;
  }
}
