import type {
  ByteChunks,
  Clock,
  ImageStore,
  ObjectInfo,
  PresignDownloadOptions,
  PresignedDownload,
  PresignedUpload,
  PresignUploadOptions,
  PutObjectOptions,
  StoredObject,
  StreamedObject,
} from '@receiptflow/core';
import { assertSafeObjectKey } from './object-keys.js';
import { LocalPresignedUploads, type PresignedUploadGrant } from './local-presigned-url.js';
import { SystemClock } from './system-clock.js';

/** What every local bucket takes: its name, the presigned-URL signer and the clock for expiry. */
export interface LocalImageStoreConfig {
  bucket: string;
  /** Signs and checks presigned upload URLs; default a random key and an in-memory ledger. */
  uploads?: LocalPresignedUploads;
  /** For presigned URL expiry; default the system clock. */
  clock?: Clock;
}

/**
 * The presigned-upload half of a local bucket, the same whether objects live in memory or on
 * disk: URLs are issued, admitted and consumed by {@link LocalPresignedUploads}, and an admitted
 * body is stored with the subclass's `put`. Subclasses bring the object storage itself.
 *
 * @example
 * class MyImageStore extends LocalImageStore {
 *   async put(key: string, body: Uint8Array, options?: PutObjectOptions): Promise<void> { ... }
 *   // get, getRange, head, delete, list
 * }
 */
export abstract class LocalImageStore implements ImageStore {
  readonly bucket: string;
  private readonly uploads: LocalPresignedUploads;
  private readonly clock: Clock;

  constructor(config: LocalImageStoreConfig) {
    this.bucket = config.bucket;
    this.clock = config.clock ?? new SystemClock();
    this.uploads = config.uploads ?? new LocalPresignedUploads();
  }

  abstract put(key: string, body: Uint8Array, options?: PutObjectOptions): Promise<void>;
  abstract putStream(key: string, body: ByteChunks, options?: PutObjectOptions): Promise<void>;
  abstract get(key: string): Promise<StoredObject>;
  abstract getStream(key: string): Promise<StreamedObject>;
  abstract getRange(key: string, start: number, end: number): Promise<Uint8Array>;
  abstract head(key: string): Promise<ObjectInfo | null>;
  abstract delete(key: string): Promise<void>;
  abstract list(prefix: string): Promise<string[]>;

  async presignUpload(key: string, options: PresignUploadOptions): Promise<PresignedUpload> {
    assertSafeObjectKey(key);
    return this.uploads.issue(this.bucket, key, options, this.clock.now());
  }

  async presignDownload(key: string, options: PresignDownloadOptions): Promise<PresignedDownload> {
    assertSafeObjectKey(key);
    return this.uploads.issueDownload(this.bucket, key, options.expiresInSeconds, this.clock.now());
  }

  /**
   * A client's GET of a presigned download URL: checks its signature, bucket and expiry
   * (PresignedUrlInvalidError, 403) and opens the object as a stream (NotFoundError, 404, when
   * absent), so that an export of any size is served without holding it whole.
   */
  async openPresignedDownload(url: string): Promise<StreamedObject> {
    const grant = this.uploads.admitDownload(this.bucket, url, this.clock.now());
    assertSafeObjectKey(grant.key);
    return this.getStream(grant.key);
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
}
