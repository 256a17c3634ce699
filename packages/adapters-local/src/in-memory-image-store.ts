import {
  NotFoundError,
  type ByteChunks,
  type ObjectInfo,
  type PutObjectOptions,
  type StoredObject,
  type StreamedObject,
} from '@receiptflow/core';
import { LocalImageStore, type LocalImageStoreConfig } from './local-image-store.js';
import { assertByteRange, assertSafeObjectKey, compareKeys } from './object-keys.js';
import { stringifyMetadata } from './object-metadata.js';

/** An in-memory bucket takes only what every local bucket does. */
export type InMemoryImageStoreConfig = LocalImageStoreConfig;

interface Entry {
  body: Uint8Array;
  contentType: string | null;
  metadata: Record<string, string>;
}

const STREAM_CHUNK_BYTES = 64 * 1024;

/** One bucket of objects in memory, with S3's semantics (see the ImageStore contract). */
export class InMemoryImageStore extends LocalImageStore {
  private readonly objects = new Map<string, Entry>();

  /**
   * An empty bucket that lives as long as this object.
   *
   * @example
   * const images = new InMemoryImageStore({ bucket: 'raw', clock: new FakeClock() });
   * await images.put('raw/abc.png', bytes, { contentType: 'image/png' });
   */
  constructor(config: InMemoryImageStoreConfig) {
    super(config);
  }

  async put(key: string, body: Uint8Array, options: PutObjectOptions = {}): Promise<void> {
    assertSafeObjectKey(key);
    this.store(key, new Uint8Array(body), options);
  }

  /** Collects the chunks (the bucket is memory) and stores them only once `body` has ended. */
  async putStream(key: string, body: ByteChunks, options: PutObjectOptions = {}): Promise<void> {
    assertSafeObjectKey(key);
    const chunks: Uint8Array[] = [];
    let length = 0;
    for await (const chunk of body) {
      chunks.push(new Uint8Array(chunk));
      length += chunk.length;
    }
    // Not through `put`: a test that wraps `put` to catch whole-object writes must not see this.
    this.store(key, new Uint8Array(Buffer.concat(chunks, length)), options);
  }

  async get(key: string): Promise<StoredObject> {
    const entry = this.entry(key);
    return {
      body: new Uint8Array(entry.body),
      contentType: entry.contentType,
      metadata: { ...entry.metadata },
      size: entry.body.length,
    };
  }

  /**
   * Hands the body out in chunks of 64 KiB, as a network or file stream would, so that readers
   * tested against memory meet frames split across chunks.
   */
  async getStream(key: string): Promise<StreamedObject> {
    const entry = this.entry(key);
    const bytes = entry.body;
    return {
      body: (async function* () {
        for (let at = 0; at < bytes.length; at += STREAM_CHUNK_BYTES) yield bytes.slice(at, at + STREAM_CHUNK_BYTES);
      })(),
      contentType: entry.contentType,
      metadata: { ...entry.metadata },
      size: bytes.length,
    };
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    const entry = this.entry(key);
    assertByteRange(key, start, end, entry.body.length);
    return entry.body.slice(start, Math.min(end, entry.body.length - 1) + 1);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertSafeObjectKey(key);
    const entry = this.objects.get(key);
    if (!entry) return null;
    return { key, size: entry.body.length, contentType: entry.contentType, metadata: { ...entry.metadata } };
  }

  async delete(key: string): Promise<void> {
    assertSafeObjectKey(key);
    this.objects.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort(compareKeys);
  }

  private store(key: string, body: Uint8Array, options: PutObjectOptions): void {
    this.objects.set(key, {
      body,
      contentType: options.contentType ?? null,
      metadata: stringifyMetadata(options.metadata),
    });
  }

  private entry(key: string): Entry {
    assertSafeObjectKey(key);
    const entry = this.objects.get(key);
    if (!entry) throw new NotFoundError('object', `${this.bucket}/${key}`);
    return entry;
  }
}
