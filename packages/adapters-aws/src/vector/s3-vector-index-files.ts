import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  ConditionFailedError,
  NotFoundError,
  type SnapshotFile,
  type VectorIndexFiles,
  type VersionedFile,
} from '@receiptflow/core';
import { awsErrorName } from '../errors.js';
import { httpStatusOf, s3Error } from '../s3/s3-error.js';

export interface S3VectorIndexFilesConfig {
  bucket: string;
  /** The index root inside the bucket, without a trailing slash (`vectors/index/lines`). */
  prefix: string;
  /** A large file (a snapshot) is fetched in ranges of this many bytes. Default 8 MiB. */
  partBytes?: number;
  /** Ranged GETs (and segment GETs) in flight at once. Default 8. */
  parallelReads?: number;
}

/** A log's marker object: present from `createLog` until `removeLog`, so an empty log exists. */
const LOG_MARKER = '.log';
/** A snapshot's completion marker, written after all its files. */
const SNAPSHOT_COMPLETE = '.complete';
const SNAPSHOTS = 'snapshots';
const LOG_NAME = /^(lines|words)\.\d+\.log$/;
const SEGMENT = /^(\d{16})-(\d{16})$/;

interface Segment {
  key: string;
  offset: number;
  writer: number;
  size: number;
}

/**
 * {@link VectorIndexFiles} over an S3 prefix (the `s3` vector storage mode). S3 has no append,
 * so a log is a folder of immutable segment objects, `<log>/<offset>-<fencing token>` (both
 * zero-padded to 16 digits), one per append; reading from an offset is one LIST and GETs of the
 * segments past it (a ranged GET for a segment the offset falls inside). Two writers never write
 * the same key (their tokens differ); where a paused stale writer left a segment at an offset
 * the live writer also wrote, the higher token's segment is the log. A large file (a snapshot)
 * is fetched with parallel ranged GETs: a cold instance's load is bounded by bandwidth, not by
 * one stream. A snapshot is its files plus a `.complete` marker written last.
 *
 * The manifest's version is its ETag. A swap checks it (HEAD) and sends `If-Match` (or
 * `If-None-Match: *` to create), and appends send `If-None-Match: *`: real S3 enforces those
 * conditions atomically (HTTP 412, mapped to `ConditionFailedError`); the HEAD is what enforces
 * them against an emulator that ignores conditions on PUT (fauxqs 1.9.2), where the check and
 * the PUT are two steps (docs/vector-storage.md).
 *
 * @example
 * const files = new S3VectorIndexFiles(new S3Client({}), { bucket: 'receiptflow-vectors', prefix: 'vectors/index/lines' });
 * const follower = new HnswFollowerVectorIndex({ files, dimensions: 512 });
 */
export class S3VectorIndexFiles implements VectorIndexFiles {
  readonly location: string;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partBytes: number;
  private readonly parallelReads: number;

  constructor(
    private readonly client: S3Client,
    config: S3VectorIndexFilesConfig,
  ) {
    this.bucket = config.bucket;
    this.prefix = config.prefix.replace(/\/+$/, '');
    this.partBytes = config.partBytes ?? 8 * 1024 * 1024;
    this.parallelReads = config.parallelReads ?? 8;
    this.location = `s3://${this.bucket}/${this.prefix}`;
  }

  async read(path: string): Promise<Uint8Array | undefined> {
    return this.getWhole(this.key(path));
  }

  async readVersioned(path: string): Promise<VersionedFile | undefined> {
    const key = this.key(path);
    const out = await this.call('GetObject', key, () =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })),
    ).catch(notFoundAsUndefined);
    if (!out) return undefined;
    const bytes = out.Body ? await out.Body.transformToByteArray() : new Uint8Array(0);
    return { bytes, version: out.ETag ?? '' };
  }

  async replace(path: string, bytes: Uint8Array, expected: string | null): Promise<string> {
    const key = this.key(path);
    const head = await this.call('HeadObject', key, () =>
      this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })),
    ).catch(notFoundAsUndefined);
    const found = head ? (head.ETag ?? '') : null;
    if (found !== expected)
      throw new ConditionFailedError(
        `${this.location}/${path}: expected ${expected === null ? 'no object' : `ETag ${expected}`}, found ${found === null ? 'none' : `ETag ${found}`}`,
      );
    const out = await this.put(key, bytes, expected === null ? { IfNoneMatch: '*' } : { IfMatch: expected });
    return out.ETag ?? '';
  }

  async createLog(log: string): Promise<void> {
    await this.put(this.key(`${log}/${LOG_MARKER}`), new Uint8Array(0));
  }

  async readLog(log: string, offset: number): Promise<Uint8Array | undefined> {
    const listed = await this.listLog(log);
    if (!listed.exists) return undefined;
    const wanted = listed.chain.filter((s) => s.offset + s.size > offset);
    const parts = await inParallel(wanted, this.parallelReads, async (segment) => {
      const skip = Math.max(0, offset - segment.offset);
      const body =
        skip === 0
          ? await this.getWhole(segment.key)
          : await this.getRange(segment.key, skip, segment.size - 1).catch(notFoundAsUndefined);
      return body;
    });
    // A segment pruned between the LIST and its GET: the log is gone, start over.
    if (parts.some((part) => part === undefined)) return undefined;
    return concat(parts as Uint8Array[]);
  }

  async appendLog(log: string, offset: number, bytes: Uint8Array, writer: number): Promise<void> {
    await this.put(this.key(`${log}/${pad(offset)}-${pad(writer)}`), bytes, { IfNoneMatch: '*' });
  }

  async cutLog(log: string, length: number): Promise<number> {
    const { chain } = await this.listLog(log);
    let dropped = 0;
    for (const segment of chain) {
      const end = segment.offset + segment.size;
      if (end <= length) continue;
      if (segment.offset >= length) {
        await this.remove(segment.key);
        dropped += segment.size;
      } else {
        // Segments are whole appends, so this only happens for a cut inside one: keep its head.
        const kept = (await this.getRange(segment.key, 0, length - segment.offset - 1))!;
        await this.put(segment.key, kept);
        dropped += end - length;
      }
    }
    return dropped;
  }

  async listLogs(): Promise<{ name: string; size: number }[]> {
    const byLog = new Map<string, string[]>();
    for (const { key, size } of await this.list(`${this.prefix}/`)) {
      const [log, rest] = splitOnce(key.slice(this.prefix.length + 1));
      if (rest === undefined || !LOG_NAME.test(log)) continue;
      const entries = byLog.get(log) ?? [];
      entries.push(`${rest}\u0000${size}`);
      byLog.set(log, entries);
    }
    const out: { name: string; size: number }[] = [];
    for (const [name, entries] of byLog) {
      const listed = logOf(
        this.key(name),
        entries.map((e) => {
          const [rest, size] = e.split('\u0000') as [string, string];
          return { key: `${this.key(name)}/${rest}`, size: Number(size) };
        }),
      );
      if (listed.exists) out.push({ name, size: listed.chain.reduce((sum, s) => sum + s.size, 0) });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async removeLog(log: string): Promise<void> {
    // The marker first: a reader that lists after it is gone sees no log, never a shortened one.
    await this.remove(this.key(`${log}/${LOG_MARKER}`));
    const rest = await this.list(`${this.key(log)}/`);
    await inParallel(rest, this.parallelReads, (object) => this.remove(object.key));
  }

  async writeSnapshot(name: string, files: readonly SnapshotFile[]): Promise<void> {
    const dir = `${SNAPSHOTS}/${name}`;
    const body = files.slice(0, -1);
    const last = files.at(-1);
    await inParallel(body, this.parallelReads, (file) => this.put(this.key(`${dir}/${file.name}`), file.bytes));
    if (last) await this.put(this.key(`${dir}/${last.name}`), last.bytes);
    await this.put(this.key(`${dir}/${SNAPSHOT_COMPLETE}`), new Uint8Array(0));
  }

  async listSnapshots(): Promise<{ name: string; complete: boolean }[]> {
    const root = this.key(`${SNAPSHOTS}/`);
    const found = new Map<string, boolean>();
    for (const { key } of await this.list(root)) {
      const [name, rest] = splitOnce(key.slice(root.length));
      if (rest === undefined) continue;
      found.set(name, (found.get(name) ?? false) || rest === SNAPSHOT_COMPLETE);
    }
    return [...found.keys()].sort().map((name) => ({ name, complete: found.get(name)! }));
  }

  async removeSnapshot(name: string): Promise<void> {
    const dir = this.key(`${SNAPSHOTS}/${name}`);
    // The marker first: from then on nobody lists it as a snapshot.
    await this.remove(`${dir}/${SNAPSHOT_COMPLETE}`);
    const rest = await this.list(`${dir}/`);
    await inParallel(rest, this.parallelReads, (object) => this.remove(object.key));
  }

  async close(): Promise<void> {
    // Nothing is held open.
  }

  private key(path: string): string {
    return `${this.prefix}/${path}`;
  }

  private async listLog(log: string): Promise<{ exists: boolean; chain: Segment[] }> {
    return logOf(this.key(log), await this.list(`${this.key(log)}/`));
  }

  /** A whole object with parallel ranged GETs past the first part, or undefined when absent. */
  private async getWhole(key: string): Promise<Uint8Array | undefined> {
    const first = await this.call('GetObject', key, () =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=0-${this.partBytes - 1}` })),
    ).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      // An empty object has no byte 0: S3 answers 416 to any range.
      if (awsErrorName((error as { cause?: unknown }).cause) === 'InvalidRange') return 'empty' as const;
      throw error;
    });
    if (first === undefined) return undefined;
    if (first === 'empty') return new Uint8Array(0);
    const head = first.Body ? await first.Body.transformToByteArray() : new Uint8Array(0);
    const total = totalOf(first.ContentRange) ?? head.length;
    if (total <= head.length) return head;
    const out = new Uint8Array(total);
    out.set(head, 0);
    const starts: number[] = [];
    for (let start = head.length; start < total; start += this.partBytes) starts.push(start);
    const parts = await inParallel(starts, this.parallelReads, async (start) => {
      const end = Math.min(total, start + this.partBytes) - 1;
      return { start, bytes: await this.getRange(key, start, end) };
    });
    for (const { start, bytes } of parts) out.set(bytes, start);
    return out;
  }

  private async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    const out = await this.call('GetObject', key, () =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${start}-${end}` })),
    );
    return out.Body ? await out.Body.transformToByteArray() : new Uint8Array(0);
  }

  private async put(key: string, bytes: Uint8Array, condition: { IfMatch?: string; IfNoneMatch?: string } = {}) {
    return this.call('PutObject', key, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentLength: bytes.length,
          ...condition,
        }),
      ),
    );
  }

  private async remove(key: string): Promise<void> {
    await this.call('DeleteObject', key, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })),
    );
  }

  private async list(prefix: string): Promise<{ key: string; size: number }[]> {
    const out: { key: string; size: number }[] = [];
    let token: string | undefined;
    do {
      const page = await this.call('ListObjectsV2', prefix, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        ),
      );
      for (const object of page.Contents ?? [])
        if (object.Key !== undefined) out.push({ key: object.Key, size: object.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out;
  }

  private async call<T>(operation: string, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (awsErrorName(error) === 'PreconditionFailed' || httpStatusOf(error) === 412)
        throw new ConditionFailedError(`${operation} s3://${this.bucket}/${key}: the object changed (HTTP 412)`, {
          cause: error,
        });
      throw s3Error(error, operation, this.bucket, key);
    }
  }
}

/**
 * The log a listing holds: whether its marker exists, and its chain of segments from offset 0,
 * contiguous, taking at each offset the segment of the highest fencing token (a stale writer's
 * segment at the same offset loses to the live one's).
 */
function logOf(logKey: string, objects: { key: string; size: number }[]): { exists: boolean; chain: Segment[] } {
  let exists = false;
  const byOffset = new Map<number, Segment>();
  for (const { key, size } of objects) {
    const name = key.slice(logKey.length + 1);
    if (name === LOG_MARKER) {
      exists = true;
      continue;
    }
    const match = SEGMENT.exec(name);
    if (!match) continue;
    const segment = { key, offset: Number(match[1]), writer: Number(match[2]), size };
    const other = byOffset.get(segment.offset);
    if (!other || other.writer < segment.writer) byOffset.set(segment.offset, segment);
  }
  const chain: Segment[] = [];
  let cursor = 0;
  for (let next = byOffset.get(0); next && next.size > 0; next = byOffset.get(cursor)) {
    chain.push(next);
    cursor += next.size;
  }
  return { exists: exists || chain.length > 0, chain };
}

function notFoundAsUndefined(error: unknown): undefined {
  if (error instanceof NotFoundError) return undefined;
  throw error;
}

function totalOf(contentRange: string | undefined): number | undefined {
  const match = /\/(\d+)$/.exec(contentRange ?? '');
  return match ? Number(match[1]) : undefined;
}

function splitOnce(path: string): [string, string | undefined] {
  const slash = path.indexOf('/');
  return slash < 0 ? [path, undefined] : [path.slice(0, slash), path.slice(slash + 1)];
}

function pad(n: number): string {
  return String(n).padStart(16, '0');
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Maps `items` with at most `limit` calls in flight, keeping their order. */
async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
