import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import {
  NotFoundError,
  ValidationError,
  type ByteChunks,
  type ImageStore,
  type ObjectInfo,
  type PresignDownloadOptions,
  type PresignedDownload,
  type PresignedUpload,
  type PresignUploadOptions,
  type PutObjectOptions,
  type StoredObject,
  type StreamedObject,
} from '@receiptflow/core';
import { awsErrorName, mapAwsError } from '../errors.js';
import { assertSafeKey, assertSafePrefix } from './object-key.js';
import { decodeMetadata, encodeMetadata } from './object-metadata.js';
import { s3Error } from './s3-error.js';
import { streamedUpload } from './streamed-upload.js';

export interface S3ImageStoreConfig {
  bucket: string;
  /** Longest presigned upload lifetime allowed, in seconds (default 3600; SigV4 caps it at 7 days). */
  presignExpiresMax?: number;
}

const SIGV4_MAX_EXPIRY_SECONDS = 7 * 24 * 3600;

/** ImageStore over one S3 bucket. Keys are validated before any request is made. */
export class S3ImageStore implements ImageStore {
  readonly bucket: string;
  private readonly presignExpiresMax: number;

  /**
   * Binds the store to one bucket; the client brings region, credentials and endpoint.
   *
   * @example
   * const images = new S3ImageStore(new S3Client({ region: 'eu-west-1' }), { bucket: 'receipts-raw-123' });
   * await images.put('raw/abc.png', bytes, { contentType: 'image/png' });
   */
  constructor(
    private readonly client: S3Client,
    config: S3ImageStoreConfig,
  ) {
    this.bucket = config.bucket;
    this.presignExpiresMax = Math.min(config.presignExpiresMax ?? 3600, SIGV4_MAX_EXPIRY_SECONDS);
  }

  async put(key: string, body: Uint8Array, options: PutObjectOptions = {}): Promise<void> {
    assertSafeKey(key);
    await this.call('PutObject', key, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          ...(options.contentType ? { ContentType: options.contentType } : {}),
          Metadata: encodeMetadata(options.metadata),
        }),
      ),
    );
  }

  /** A multipart upload, one part at a time: see {@link streamedUpload}. */
  async putStream(key: string, body: ByteChunks, options: PutObjectOptions = {}): Promise<void> {
    assertSafeKey(key);
    await streamedUpload(
      this.client,
      {
        bucket: this.bucket,
        key,
        ...(options.contentType ? { contentType: options.contentType } : {}),
        metadata: encodeMetadata(options.metadata),
      },
      body,
    );
  }

  async get(key: string): Promise<StoredObject> {
    assertSafeKey(key);
    const out = await this.call('GetObject', key, () =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })),
    );
    const body = out.Body ? await out.Body.transformToByteArray() : new Uint8Array(0);
    return {
      body,
      contentType: out.ContentType ?? null,
      metadata: decodeMetadata(out.Metadata),
      size: body.length,
    };
  }

  /**
   * GetObject with its body left on the socket: chunks arrive as S3 sends them. An error while
   * reading (a reset connection, a socket timeout) is mapped like any other S3 error, so the
   * caller sees a retryable TransientDependencyError rather than a bare socket error.
   */
  async getStream(key: string): Promise<StreamedObject> {
    assertSafeKey(key);
    const out = await this.call('GetObject', key, () =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })),
    );
    const source = (out.Body ?? Readable.from([])) as AsyncIterable<Uint8Array>;
    const bucket = this.bucket;
    async function* body(): AsyncGenerator<Uint8Array> {
      try {
        for await (const chunk of source) yield chunk;
      } catch (error) {
        throw mapAwsError('s3', `GetObject s3://${bucket}/${key} (reading the body)`, error);
      }
    }
    return {
      body: body(),
      contentType: out.ContentType ?? null,
      metadata: decodeMetadata(out.Metadata),
      size: out.ContentLength ?? 0,
    };
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    assertSafeKey(key);
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start) {
      throw new ValidationError(`invalid byte range ${start}-${end} of ${key}`, [
        'start and end must be integers with 0 <= start <= end',
      ]);
    }
    let out;
    try {
      out = await this.call('GetObject', key, () =>
        this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${start}-${end}` })),
      );
    } catch (error) {
      if (awsErrorName((error as { cause?: unknown }).cause) === 'InvalidRange') {
        throw new ValidationError(`byte range ${start}-${end} is outside ${key}`, [], { cause: error });
      }
      throw error;
    }
    // A range running past the end comes back shortened, as S3 (and the local stores) do.
    const bytes = out.Body ? await out.Body.transformToByteArray() : new Uint8Array(0);
    return bytes;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertSafeKey(key);
    try {
      const out = await this.call('HeadObject', key, () =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })),
      );
      return {
        key,
        size: out.ContentLength ?? 0,
        contentType: out.ContentType ?? null,
        metadata: decodeMetadata(out.Metadata),
      };
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    await this.call('DeleteObject', key, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })),
    );
  }

  async list(prefix: string): Promise<string[]> {
    assertSafePrefix(prefix);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.call('ListObjectsV2', prefix, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            ...(prefix ? { Prefix: prefix } : {}),
            ...(token ? { ContinuationToken: token } : {}),
          }),
        ),
      );
      for (const object of out.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token !== undefined);
    // S3 lists in UTF-8 byte order; sort by code unit like every other adapter.
    return keys.sort();
  }

  /**
   * A presigned POST (an S3 browser-form upload), not a presigned PUT: only a POST policy can
   * bound the size, with `content-length-range` [1, maxBytes]. The policy also pins the bucket,
   * the exact key and the Content-Type; S3 refuses anything else with 403, and a body outside
   * the range with 400 EntityTooLarge/EntityTooSmall, before storing a byte.
   */
  async presignUpload(key: string, options: PresignUploadOptions): Promise<PresignedUpload> {
    assertSafeKey(key);
    const { contentType, maxBytes, expiresInSeconds } = options;
    const issues: string[] = [];
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > this.presignExpiresMax) {
      issues.push(`expiresInSeconds must be an integer in 1..${this.presignExpiresMax}`);
    }
    if (!Number.isInteger(maxBytes) || maxBytes < 1) issues.push(`maxBytes ${maxBytes} is not a positive integer`);
    if (contentType.trim() === '') issues.push('contentType is empty');
    if (issues.length > 0) throw new ValidationError(`cannot presign an upload of ${key}`, issues);
    // The SDK signs the policy's expiration against the wall clock (it takes no clock), so the
    // expiry reported to the client is read from the same clock, or the two would disagree.
    const expiresAt = Date.now() + expiresInSeconds * 1000;
    const { url, fields } = await createPresignedPost(this.client, {
      Bucket: this.bucket,
      Key: key,
      Fields: { 'Content-Type': contentType },
      Conditions: [
        ['content-length-range', 1, maxBytes],
        ['eq', '$Content-Type', contentType],
      ],
      Expires: expiresInSeconds,
    });
    return {
      method: 'POST',
      url,
      fields,
      headers: {},
      max_bytes: maxBytes,
      expires_at: new Date(expiresAt).toISOString(),
    };
  }

  /**
   * A SigV4 query-signed GetObject URL. Signing is local (no request), so it reads nothing: the
   * caller checks that the object is its to show. The function's role needs s3:GetObject on the
   * key, since S3 checks the signer's permissions when the URL is used.
   */
  async presignDownload(key: string, options: PresignDownloadOptions): Promise<PresignedDownload> {
    assertSafeKey(key);
    const { expiresInSeconds } = options;
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > this.presignExpiresMax) {
      throw new ValidationError(`cannot presign a download of ${key}`, [
        `expiresInSeconds must be an integer in 1..${this.presignExpiresMax}`,
      ]);
    }
    // Signed against the wall clock (the presigner takes no clock); the reported expiry too.
    const expiresAt = Date.now() + expiresInSeconds * 1000;
    const url = await getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: expiresInSeconds,
    });
    return { url, expires_at: new Date(expiresAt).toISOString() };
  }

  private async call<T>(operation: string, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw s3Error(error, operation, this.bucket, key);
    }
  }
}
