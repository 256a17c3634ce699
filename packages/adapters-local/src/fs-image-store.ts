import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  NotFoundError,
  type Clock,
  type ImageStore,
  type ObjectInfo,
  type PutObjectOptions,
  type StoredObject,
} from '@receiptflow/core';
import { assertByteRange, assertSafeObjectKey, compareKeys } from './object-keys.js';
import { stringifyMetadata } from './object-metadata.js';
import { defaultLocalPresign, PresignedPutGrants, type LocalPresign } from './local-presigned-url.js';
import { SystemClock } from './system-clock.js';

export interface FsImageStoreConfig {
  bucket: string;
  /** The directory holding this bucket's objects (created on first write). */
  dir: string;
  /** Builds presigned PUT URLs; default {@link defaultLocalPresign} (`local://<bucket>/<key>?…`). */
  presign?: LocalPresign;
  /** For presigned URL expiry; default the system clock. */
  clock?: Clock;
}

interface Header {
  key: string;
  contentType: string | null;
  metadata: Record<string, string>;
  size: number;
}

const OBJECT_SUFFIX = '.obj';

/**
 * One bucket of objects on disk, with S3's semantics (see the ImageStore contract).
 *
 * Each object is ONE file named by the SHA-256 of its key (so `a` and `a/b` can coexist, as in
 * S3, and long keys fit any file system): a 4-byte big-endian header length, a JSON header
 * (key, content type, metadata, size), then the body. It is written to a temp file and renamed
 * into place, so a reader sees the old object or the new one, never a torn one.
 */
export class FsImageStore implements ImageStore {
  readonly bucket: string;
  private readonly dir: string;
  private readonly grants: PresignedPutGrants;
  private readonly clock: Clock;

  constructor(config: FsImageStoreConfig) {
    this.bucket = config.bucket;
    this.dir = config.dir;
    this.clock = config.clock ?? new SystemClock();
    this.grants = new PresignedPutGrants(config.bucket, config.presign ?? defaultLocalPresign);
  }

  async put(key: string, body: Uint8Array, options: PutObjectOptions = {}): Promise<void> {
    assertSafeObjectKey(key);
    const header: Header = {
      key,
      contentType: options.contentType ?? null,
      metadata: stringifyMetadata(options.metadata),
      size: body.length,
    };
    const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(headerBytes.length);
    await mkdir(this.dir, { recursive: true });
    const temp = join(this.dir, `.tmp-${randomUUID()}`);
    try {
      await writeFile(temp, Buffer.concat([length, headerBytes, body]));
      await rename(temp, this.pathOf(key));
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async get(key: string): Promise<StoredObject> {
    assertSafeObjectKey(key);
    const found = await this.read(key, (header) => ({ start: 0, end: header.size - 1 }));
    if (!found) throw new NotFoundError('object', `${this.bucket}/${key}`);
    return {
      body: found.bytes,
      contentType: found.header.contentType,
      metadata: found.header.metadata,
      size: found.header.size,
    };
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    assertSafeObjectKey(key);
    const found = await this.read(key, (header) => {
      assertByteRange(key, start, end, header.size);
      return { start, end: Math.min(end, header.size - 1) };
    });
    if (!found) throw new NotFoundError('object', `${this.bucket}/${key}`);
    return found.bytes;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertSafeObjectKey(key);
    const found = await this.read(key, () => null);
    if (!found) return null;
    const { header } = found;
    return { key, size: header.size, contentType: header.contentType, metadata: header.metadata };
  }

  async delete(key: string): Promise<void> {
    assertSafeObjectKey(key);
    await rm(this.pathOf(key), { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    const objects = names.filter((name) => name.endsWith(OBJECT_SUFFIX));
    const keys: string[] = [];
    // Headers are read a bounded number at a time: fast, without exhausting file descriptors.
    for (let i = 0; i < objects.length; i += 64) {
      const headers = await Promise.all(
        objects.slice(i, i + 64).map((name) => this.readHeaderAt(join(this.dir, name))),
      );
      for (const header of headers) if (header && header.key.startsWith(prefix)) keys.push(header.key);
    }
    return keys.sort(compareKeys);
  }

  async presignPut(key: string, options: { contentType: string; expiresInSeconds: number }): Promise<string> {
    assertSafeObjectKey(key);
    return this.grants.issue(key, options.contentType, options.expiresInSeconds, this.clock.now());
  }

  /**
   * What the local runtime does when a client PUTs to a URL from {@link presignPut}: stores the
   * bytes under the URL's key. Throws ValidationError for a foreign or expired URL, or a content
   * type other than the one presigned.
   */
  async acceptPresignedPut(url: string, bytes: Uint8Array, contentType: string): Promise<void> {
    const key = this.grants.redeem(url, contentType, this.clock.now());
    await this.put(key, bytes, { contentType });
  }

  private pathOf(key: string): string {
    return join(this.dir, createHash('sha256').update(key).digest('hex') + OBJECT_SUFFIX);
  }

  /** Reads the header and, if `range` asks for one, those body bytes; null when absent. */
  private async read(
    key: string,
    range: (header: Header) => { start: number; end: number } | null,
  ): Promise<{ header: Header; bytes: Uint8Array } | null> {
    let handle;
    try {
      handle = await open(this.pathOf(key), 'r');
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    try {
      const { header, bodyOffset } = await readHeader(handle);
      const wanted = range(header);
      if (!wanted || wanted.end < wanted.start) return { header, bytes: new Uint8Array(0) };
      const length = wanted.end - wanted.start + 1;
      const bytes = new Uint8Array(length);
      let read = 0;
      while (read < length) {
        const { bytesRead } = await handle.read(bytes, read, length - read, bodyOffset + wanted.start + read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      return { header, bytes: bytes.subarray(0, read) };
    } finally {
      await handle.close();
    }
  }

  private async readHeaderAt(path: string): Promise<Header | null> {
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      // Deleted between readdir and open: it is simply not listed.
      if (isMissing(error)) return null;
      throw error;
    }
    try {
      return (await readHeader(handle)).header;
    } finally {
      await handle.close();
    }
  }
}

async function readHeader(
  handle: Awaited<ReturnType<typeof open>>,
): Promise<{ header: Header; bodyOffset: number }> {
  const length = Buffer.alloc(4);
  await handle.read(length, 0, 4, 0);
  const headerLength = length.readUInt32BE(0);
  const headerBytes = Buffer.alloc(headerLength);
  await handle.read(headerBytes, 0, headerLength, 4);
  return { header: JSON.parse(headerBytes.toString('utf8')) as Header, bodyOffset: 4 + headerLength };
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
