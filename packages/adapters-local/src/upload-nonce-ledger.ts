import { mkdir, open, readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CorruptDataFileError, PresignedUrlUsedError } from './errors.js';
import { SystemClock } from './system-clock.js';

type FileHandle = Awaited<ReturnType<typeof open>>;

const LINE = /^([0-9a-f]{32}) (\d{1,16})$/;

/**
 * Which presigned upload URLs were used, so each is valid once, also across a restart. Each use
 * is one line `<nonce> <expires-at-ms>` appended and fsynced before the upload is acknowledged.
 * Opening replays the file: a torn last line (a crash mid-append; that upload was never
 * acknowledged) is cut off, any other bad line refuses to open, naming the file and line.
 * Entries past their URL's expiry are not kept in memory: an expired URL is refused anyway.
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
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const end = text.lastIndexOf('\n') + 1;
    const ledger = new UploadNonceLedger(null);
    let offset = 0;
    for (const [i, line] of text.slice(0, end).split('\n').slice(0, -1).entries()) {
      const match = LINE.exec(line);
      if (!match)
        throw new CorruptDataFileError(
          path,
          offset,
          `line ${i + 1} is not "<nonce> <expires-at-ms>": ${JSON.stringify(line.slice(0, 60))}`,
        );
      if (Number(match[2]) >= now) ledger.used.add(match[1]!);
      offset += Buffer.byteLength(line, 'utf8') + 1;
    }
    if (end < text.length) await truncate(path, Buffer.byteLength(text.slice(0, end), 'utf8'));
    ledger.handle = await open(path, 'a', 0o600);
    return ledger;
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
