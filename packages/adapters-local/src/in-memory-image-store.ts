import {
  NotFoundError,
  type Clock,
  type ImageStore,
  type ObjectInfo,
  type PresignedUpload,
  type PresignUploadOptions,
  type PutObjectOptions,
  type StoredObject,
} from '@receiptflow/core';
import { assertByteRange, assertSafeObjectKey, compareKeys } from './object-keys.js';
import { stringifyMetadata } from './object-metadata.js';
import { LocalPresignedUploads, type PresignedUploadGrant } from './local-presigned-url.js';
import { SystemClock } from './system-clock.js';

export interface InMemoryImageStoreConfig {
  bucket: string;
  /** Signs and checks presigned upload URLs; default a random key and an in-memory ledger. */
  uploads?: LocalPresignedUploads;
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
  private readonly uploads: LocalPresignedUploads;
  private readonly clock: Clock;

  /**
   * An empty bucket that lives as long as this object.
   *
   * @example
   * const images = new InMemoryImageStore({ bucket: 'raw', clock: new FakeClock() });
   * await images.put('raw/abc.png', bytes, { contentType: 'image/png' });
   */
  constructor(config: InMemoryImageStoreConfig) {
    this.bucket = config.bucket;
    this.clock = config.clock ?? new SystemClock();
    this.uploads = config.uploads ?? new LocalPresignedUploads();
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

  async presignUpload(key: string, options: PresignUploadOptions): Promise<PresignedUpload> {
    assertSafeObjectKey(key);
    return this.uploads.issue(this.bucket, key, options, this.clock.now());
  }

  /**
   * The checks of a presigned PUT that need no body (signature, expiry, type, declared length,
   * not used before): what the local server runs before reading the body. Throws
   * PresignedUrlInvalidError, UploadTooLargeError or PresignedUrlUsedError.
   */
  admitPresignedUpload(url: string, contentType: string, declaredBytes: number | null): PresignedUploadGrant {
    return this.uploads.admit(this.bucket, url, contentType, declaredBytes, this.clock.now());
  }

  /** Stores the body of an admitted PUT, as the one use of its URL. */
  async commitPresignedUpload(grant: PresignedUploadGrant, bytes: Uint8Array): Promise<void> {
    await this.uploads.consume(grant, bytes, () => this.put(grant.key, bytes, { contentType: grant.contentType }));
  }

  /** Admit and commit in one step: a client's PUT of `bytes` to `url`. */
  async acceptPresignedPut(url: string, bytes: Uint8Array, contentType: string): Promise<void> {
    await this.commitPresignedUpload(this.admitPresignedUpload(url, contentType, bytes.length), bytes);
  }

  private entry(key: string): Entry {
    assertSafeObjectKey(key);
    const entry = this.objects.get(key);
    if (!entry) throw new NotFoundError('object', `${this.bucket}/${key}`);
    return entry;
  }
}
