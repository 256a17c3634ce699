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

export interface InMemoryImageStoreConfig {
  bucket: string;
  /** Builds presigned PUT URLs; default {@link defaultLocalPresign} (`local://<bucket>/<key>?…`). */
  presign?: LocalPresign;
  /** For presigned URL expiry; default the system clock. */
  clock?: Clock;
}

interface Entry {
  body: Uint8Array;
  contentType: string | null;
  metadata: Record<string, string>;
}

/** One bucket of objects in memory, with S3's semantics (see the ImageStore contract). */
export class InMemoryImageStore implements ImageStore {
  readonly bucket: string;
  private readonly objects = new Map<string, Entry>();
  private readonly grants: PresignedPutGrants;
  private readonly clock: Clock;

  constructor(config: InMemoryImageStoreConfig) {
    this.bucket = config.bucket;
    this.clock = config.clock ?? new SystemClock();
    this.grants = new PresignedPutGrants(config.bucket, config.presign ?? defaultLocalPresign);
  }

  async put(key: string, body: Uint8Array, options: PutObjectOptions = {}): Promise<void> {
    assertSafeObjectKey(key);
    this.objects.set(key, {
      body: new Uint8Array(body),
      contentType: options.contentType ?? null,
      metadata: stringifyMetadata(options.metadata),
    });
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

  private entry(key: string): Entry {
    assertSafeObjectKey(key);
    const entry = this.objects.get(key);
    if (!entry) throw new NotFoundError('object', `${this.bucket}/${key}`);
    return entry;
  }
}

