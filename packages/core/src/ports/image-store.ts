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

export interface ObjectInfo {
  key: string;
  size: number;
  contentType: string | null;
  metadata: Record<string, string>;
}

/**
 * One bucket of objects: raw images, OCR JSON artifacts, vector deltas. Keys are relative
 * paths of safe segments; `../`, absolute paths and empty segments throw ValidationError.
 */
export interface ImageStore {
  readonly bucket: string;
  put(key: string, body: Uint8Array, options?: PutObjectOptions): Promise<void>;
  /** Throws NotFoundError('object', key) when absent. */
  get(key: string): Promise<StoredObject>;
  /** Bytes `start..end` inclusive; throws NotFoundError when absent, ValidationError if out of range. */
  getRange(key: string, start: number, end: number): Promise<Uint8Array>;
  head(key: string): Promise<ObjectInfo | null>;
  /** Idempotent: deleting an absent key succeeds. */
  delete(key: string): Promise<void>;
  /** Keys under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  /** A URL that accepts one HTTP PUT of the object with this content type. */
  presignPut(key: string, options: { contentType: string; expiresInSeconds: number }): Promise<string>;
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
