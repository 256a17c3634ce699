import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError, type ObjectInfo, type PutObjectOptions, type StoredObject } from '@receiptflow/core';
import { syncDir } from './durable/sync-dir.js';
import { LocalImageStore, type LocalImageStoreConfig } from './local-image-store.js';
import { checkObjectBody, encodeObjectFile, readObjectHeader, type ObjectHeader } from './object-file.js';
import { assertByteRange, assertSafeObjectKey, compareKeys } from './object-keys.js';
import { stringifyMetadata } from './object-metadata.js';

export interface FsImageStoreConfig extends LocalImageStoreConfig {
  /** The directory holding this bucket's objects (created on first write). */
  dir: string;
  /** fsync each object (and its directory) before `put` resolves. Default true. */
  fsync?: boolean;
}

type Header = ObjectHeader;

/** Object files end with this; everything else in the directory is not an object. */
export const OBJECT_SUFFIX = '.obj';

/**
 * One bucket of objects on disk, with S3's semantics (see the ImageStore contract).
 *
 * Each object is ONE file named by the SHA-256 of its key (so `a` and `a/b` can coexist, as in
 * S3, and long keys fit any file system): a checksummed JSON header (key, content type,
 * metadata, size, the body's CRC-32), then the body (see object-file.ts). It is written to a
 * temp file, fsync'd and renamed into place, so a reader sees the old object or the new one,
 * never a torn one. Every read checks the header, and `get` checks the body: a damaged file
 * throws a CorruptDataFileError naming it, never returns wrong bytes.
 */
export class FsImageStore extends LocalImageStore {
  private readonly dir: string;
  private readonly fsync: boolean;

  /**
   * Opens the bucket stored in `config.dir`; the directory is created on the first write.
   *
   * @example
   * const images = new FsImageStore({ bucket: 'raw', dir: join(dataDir, 'objects', 'raw'), clock });
   * await images.put('raw/abc.png', bytes, { contentType: 'image/png' });
   */
  constructor(config: FsImageStoreConfig) {
    super(config);
    this.fsync = config.fsync ?? true;
    this.dir = config.dir;
  }

  async put(key: string, body: Uint8Array, options: PutObjectOptions = {}): Promise<void> {
    assertSafeObjectKey(key);
    const bytes = encodeObjectFile(
      {
        key,
        contentType: options.contentType ?? null,
        metadata: stringifyMetadata(options.metadata),
        size: body.length,
      },
      body,
    );
    await mkdir(this.dir, { recursive: true });
    const temp = join(this.dir, `.tmp-${randomUUID()}`);
    try {
      const handle = await open(temp, 'w');
      try {
        await handle.writeFile(bytes);
        if (this.fsync) await handle.datasync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.pathOf(key));
      if (this.fsync) await syncDir(this.dir);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async get(key: string): Promise<StoredObject> {
    assertSafeObjectKey(key);
    const found = await this.read(key, (header) => ({ start: 0, end: header.size - 1 }));
    if (!found) throw new NotFoundError('object', `${this.bucket}/${key}`);
    checkObjectBody(found.header, found.bytes, this.pathOf(key), found.bodyOffset);
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

  private pathOf(key: string): string {
    return join(this.dir, createHash('sha256').update(key).digest('hex') + OBJECT_SUFFIX);
  }

  /** Reads the header and, if `range` asks for one, those body bytes; null when absent. */
  private async read(
    key: string,
    range: (header: Header) => { start: number; end: number } | null,
  ): Promise<{ header: Header; bytes: Uint8Array; bodyOffset: number } | null> {
    const path = this.pathOf(key);
    const handle = await openIfPresent(path);
    if (!handle) return null;
    try {
      const { header, bodyOffset } = await readObjectHeader(handle, path);
      const wanted = range(header);
      if (!wanted || wanted.end < wanted.start) return { header, bytes: new Uint8Array(0), bodyOffset };
      const length = wanted.end - wanted.start + 1;
      const bytes = new Uint8Array(length);
      let read = 0;
      while (read < length) {
        const { bytesRead } = await handle.read(bytes, read, length - read, bodyOffset + wanted.start + read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      return { header, bytes: bytes.subarray(0, read), bodyOffset };
    } finally {
      await handle.close();
    }
  }

  private async readHeaderAt(path: string): Promise<Header | null> {
    // Deleted between readdir and open: it is simply not listed.
    const handle = await openIfPresent(path);
    if (!handle) return null;
    try {
      return (await readObjectHeader(handle, path)).header;
    } finally {
      await handle.close();
    }
  }
}

/** Opens `path` for reading; null when there is no such file. */
async function openIfPresent(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, 'r');
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
