import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import {
  NotFoundError,
  type ByteChunks,
  type ObjectInfo,
  type PutObjectOptions,
  type StoredObject,
  type StreamedObject,
} from '@receiptflow/core';
import { CorruptDataFileError } from './errors.js';
import { syncDir } from './durable/sync-dir.js';
import { writeFully } from './durable/whole-file.js';
import { LocalImageStore, type LocalImageStoreConfig } from './local-image-store.js';
import {
  checkObjectBody,
  encodeObjectFile,
  encodeObjectFileHeader,
  readObjectHeader,
  type ObjectHeader,
} from './object-file.js';
import { assertByteRange, assertSafeObjectKey, compareKeys } from './object-keys.js';
import { stringifyMetadata } from './object-metadata.js';

export interface FsImageStoreConfig extends LocalImageStoreConfig {
  /** The directory holding this bucket's objects (created on first write). */
  dir: string;
  /** fsync each object (and its directory) before `put` resolves. Default true. */
  fsync?: boolean;
}

type Header = ObjectHeader;

/** How much of a file a streamed read or copy holds at once. */
const STREAM_CHUNK_BYTES = 64 * 1024;

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

  /**
   * The body goes to a side file first, checksummed as it arrives (the object file's header,
   * which comes first, carries the body's size and CRC-32); then header and body are written to
   * the temp file, 64 KiB at a time, which is renamed into place as `put` does.
   */
  async putStream(key: string, body: ByteChunks, options: PutObjectOptions = {}): Promise<void> {
    assertSafeObjectKey(key);
    await mkdir(this.dir, { recursive: true });
    const temp = join(this.dir, `.tmp-${randomUUID()}`);
    const side = `${temp}.body`;
    try {
      let size = 0;
      let crc = 0;
      const bodyHandle = await open(side, 'w+');
      try {
        for await (const chunk of body) {
          crc = crc32(chunk, crc);
          size += chunk.length;
          await writeFully(bodyHandle, chunk);
        }
        const header = encodeObjectFileHeader(
          { key, contentType: options.contentType ?? null, metadata: stringifyMetadata(options.metadata), size },
          crc,
        );
        const handle = await open(temp, 'w');
        try {
          await writeFully(handle, header);
          const buffer = Buffer.alloc(STREAM_CHUNK_BYTES);
          for (let at = 0; at < size;) {
            const { bytesRead } = await bodyHandle.read(buffer, 0, Math.min(buffer.length, size - at), at);
            if (bytesRead === 0) throw new Error(`${side} ended at ${at} of ${size} bytes`);
            await writeFully(handle, buffer.subarray(0, bytesRead));
            at += bytesRead;
          }
          if (this.fsync) await handle.datasync();
        } finally {
          await handle.close();
        }
      } finally {
        await bodyHandle.close();
      }
      await rename(temp, this.pathOf(key));
      if (this.fsync) await syncDir(this.dir);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    } finally {
      await rm(side, { force: true });
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

  /**
   * Reads the body 64 KiB at a time from the file opened here (a later replace renames a new
   * file into place and does not disturb it), checking its CRC-32 at the end: a damaged file
   * throws CorruptDataFileError from the iteration, after the chunks before the damage.
   */
  async getStream(key: string): Promise<StreamedObject> {
    assertSafeObjectKey(key);
    const path = this.pathOf(key);
    const opened = await openIfPresent(path);
    if (!opened) throw new NotFoundError('object', `${this.bucket}/${key}`);
    const handle = opened;
    let header: Header;
    let bodyOffset: number;
    try {
      ({ header, bodyOffset } = await readObjectHeader(handle, path));
    } catch (error) {
      await handle.close();
      throw error;
    }
    async function* chunks(): AsyncGenerator<Uint8Array> {
      try {
        let crc = 0;
        for (let at = 0; at < header.size;) {
          const buffer = Buffer.alloc(Math.min(STREAM_CHUNK_BYTES, header.size - at));
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, bodyOffset + at);
          if (bytesRead === 0)
            throw new CorruptDataFileError(path, bodyOffset + at, `object body ends at ${at} of ${header.size} bytes`);
          const chunk = buffer.subarray(0, bytesRead);
          crc = crc32(chunk, crc);
          at += bytesRead;
          // The last chunk is held back until the checksum is known, so a consumer that reads to
          // the end never gets a damaged body without the error.
          if (at < header.size) yield chunk;
          else {
            if (header.bodyCrc32 !== undefined && crc !== header.bodyCrc32)
              throw new CorruptDataFileError(path, bodyOffset, `object body (${header.size} bytes) fails its checksum`);
            yield chunk;
          }
        }
      } finally {
        await handle.close();
      }
    }
    return { body: chunks(), contentType: header.contentType, metadata: header.metadata, size: header.size };
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
