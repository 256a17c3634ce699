import type { ByteChunks } from '../domain/vector-delta-stream.js';

export interface PutObjectOptions {
  contentType?: string;
  /** Values of any type are stringified before storing (S3 metadata is strings only). */
  metadata?: Record<string, unknown>;
}

export interface StoredObject {
  body: Uint8Array;
  contentType: string | null;
  metadata: Record<string, string>;
  size: number;
}

/**
 * An object whose body is read as it arrives. Iterate `body` once, to its end or not: a
 * consumer that stops early releases it. A failure or damage found while reading (a reset
 * connection, a local file that fails its checksum) is thrown by the iteration.
 */
export interface StreamedObject {
  body: AsyncIterable<Uint8Array>;
  contentType: string | null;
  metadata: Record<string, string>;
  size: number;
}

export interface ObjectInfo {
  key: string;
  size: number;
  contentType: string | null;
  metadata: Record<string, string>;
}

/**
 * One bucket of objects: raw images, OCR JSON artifacts, vector deltas. Keys are relative
 * paths of safe segments; `../`, absolute paths and empty segments throw ValidationError.
 *
 * @example
 * await images.put(`raw/${image_id}.png`, bytes, { contentType: 'image/png', metadata: { job_id } });
 * const { body, contentType } = await images.get(`raw/${image_id}.png`);
 * const keys = await images.list('raw/'); // sorted
 *
 * // Big objects (vector deltas) go as streams, never whole in memory:
 * await deltas.putStream(key, encodeVectorDeltaStream(header, 512, records), { contentType });
 * const { body } = await deltas.getStream(key);
 * for await (const chunk of body) hash.update(chunk);
 */
export interface ImageStore {
  put(key: string, body: Uint8Array, options?: PutObjectOptions): Promise<void>;
  /**
   * Stores the bytes `body` yields, pulling them as it sends them, with a bounded buffer (S3: a
   * multipart upload in parts of 5 MiB, one PutObject when smaller). The object appears whole or
   * not at all; if `body` throws, nothing is stored and the error is rethrown.
   */
  putStream(key: string, body: ByteChunks, options?: PutObjectOptions): Promise<void>;
  /** Throws NotFoundError('object', key) when absent. */
  get(key: string): Promise<StoredObject>;
  /**
   * The object with a body to iterate in chunks, for objects too big to hold whole. Throws
   * NotFoundError('object', key) when absent, before any chunk.
   */
  getStream(key: string): Promise<StreamedObject>;
  /** Bytes `start..end` inclusive; throws NotFoundError when absent, ValidationError if out of range. */
  getRange(key: string, start: number, end: number): Promise<Uint8Array>;
  head(key: string): Promise<ObjectInfo | null>;
  /** Idempotent: deleting an absent key succeeds. */
  delete(key: string): Promise<void>;
  /** Keys under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  /**
   * A presigned upload of one object under `key`: only `contentType`, 1..`maxBytes` bytes,
   * until it expires. Throws ValidationError for an unsafe key or bad options.
   */
  presignUpload(key: string, options: PresignUploadOptions): Promise<PresignedUpload>;
  /**
   * A short-lived URL that GETs the object under `key` without other credentials (S3: a SigV4
   * query-signed GetObject; local stores: an HMAC-signed URL of the local server). Signing reads
   * nothing: the URL of an absent key answers 404 when fetched. Throws ValidationError for an
   * unsafe key or a lifetime that is not a positive integer (or longer than the store allows).
   *
   * @example
   * const { url } = await images.presignDownload(image.s3_key, { expiresInSeconds: 300 });
   */
  presignDownload(key: string, options: PresignDownloadOptions): Promise<PresignedDownload>;
}

export interface PresignDownloadOptions {
  expiresInSeconds: number;
}

/** A GET URL of one object, valid until `expires_at`. */
export interface PresignedDownload {
  url: string;
  /** ISO-8601 time after which the URL is refused. */
  expires_at: string;
}

/**
 * An image store together with the bucket name that job records and queue messages use for it
 * (`s3_bucket`, `ocr_s3_bucket`). The ImageStore port itself knows nothing of buckets: only the
 * use cases that write or check those names ask for this, and the composition roots pass the
 * concrete adapters (S3ImageStore, FsImageStore, InMemoryImageStore), which carry their bucket.
 *
 * @example
 * const raw: NamedImageStore = new S3ImageStore(s3, { bucket: config.rawBucket });
 * await submitJob({ jobs, images: raw, ocrQueue, clock, ids }, upload); // job.s3_bucket = raw.bucket
 */
export interface NamedImageStore extends ImageStore {
  readonly bucket: string;
}

export interface PresignUploadOptions {
  contentType: string;
  /** The largest body the upload may carry (S3: the policy's content-length-range). */
  maxBytes: number;
  expiresInSeconds: number;
}

/**
 * How a client sends the bytes of a presigned upload, the same shape for every store:
 * - `PUT` (local stores): the bytes as the request body, with `headers`.
 * - `POST` (S3): an HTML-form upload: `multipart/form-data` with every entry of `fields`, then
 *   the bytes as the last field, named `file`.
 */
export interface PresignedUpload {
  method: 'PUT' | 'POST';
  url: string;
  /** Form fields to send before the file (POST); empty for PUT. */
  fields: Record<string, string>;
  /** Headers the request must carry (PUT: the signed content type). */
  headers: Record<string, string>;
  max_bytes: number;
  /** ISO-8601 time after which the upload is refused. */
  expires_at: string;
}

/**
 * The HTTP request that sends `bytes` the way `upload` says; the caller hands it to `fetch`.
 * Building it is pure, so that every client (the CLI, the contract suite, an app embedding core)
 * sends a presigned upload the same way.
 *
 * @example
 * const { url, init } = presignedUploadRequest(upload, png);
 * const response = await fetch(url, init);
 */
export function presignedUploadRequest(upload: PresignedUpload, bytes: Uint8Array): { url: string; init: RequestInit } {
  if (upload.method === 'PUT')
    return { url: upload.url, init: { method: 'PUT', body: bytes, headers: upload.headers } };
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  // S3 reads the policy fields before the file, so the file goes last.
  form.append('file', new Blob([bytes], { type: upload.fields['Content-Type'] ?? 'application/octet-stream' }));
  return { url: upload.url, init: { method: 'POST', body: form, headers: upload.headers } };
}

/**
 * Opens the store of a named bucket, for a step whose messages name their bucket: the OCR worker
 * started without `--raw-bucket` reads each image from the bucket its message or job names.
 *
 * @example
 * const images: ImageStoreProvider = { forBucket: (bucket) => new S3ImageStore(s3, { bucket }) };
 */
export interface ImageStoreProvider {
  forBucket(bucket: string): ImageStore;
}

/** True for a provider, false for a store bound to one bucket. */
export function isImageStoreProvider(x: ImageStore | ImageStoreProvider): x is ImageStoreProvider {
  return typeof (x as Partial<ImageStoreProvider>).forBucket === 'function';
}
