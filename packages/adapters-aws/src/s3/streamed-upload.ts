import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ByteChunks } from '@receiptflow/core';
import { Readable } from 'node:stream';
import { s3Error } from './s3-error.js';

/**
 * A streamed put sends parts of S3's minimum size, one at a time: the caller then holds at most
 * about two parts (the one in flight and the one filling), whatever the object's size, and an
 * object under 5 MiB is one PutObject.
 */
export const STREAM_PART_BYTES = 5 * 1024 * 1024;
const STREAM_PARTS_IN_FLIGHT = 1;

export interface StreamedUploadParams {
  bucket: string;
  key: string;
  contentType?: string;
  contentDisposition?: string;
  metadata?: Record<string, string>;
}

/**
 * One object written from a stream of chunks, through `@aws-sdk/lib-storage` (CreateMultipartUpload,
 * UploadPart one part at a time, CompleteMultipartUpload; a single PutObject below one part). The
 * object exists only once the upload completes. On any failure, the body's included, lib-storage
 * aborts the upload (AbortMultipartUpload) so no parts are left billed; the bucket's lifecycle
 * rule cleans up after an abort that itself failed. An error thrown by the body itself (the
 * encoder refusing a record, the listing failing) is rethrown as it was; S3's errors are mapped
 * by {@link s3Error}.
 *
 * @example
 * await streamedUpload(client, { bucket, key: 'exports/alice/e1.csv', contentType: 'text/csv' }, chunks);
 */
export async function streamedUpload(client: S3Client, params: StreamedUploadParams, body: ByteChunks): Promise<void> {
  let bodyError: { error: unknown } | null = null;
  async function* source(): AsyncGenerator<Uint8Array> {
    const iterator =
      Symbol.asyncIterator in body
        ? (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
        : (body as Iterable<Uint8Array>)[Symbol.iterator]();
    try {
      for (;;) {
        let next: IteratorResult<Uint8Array>;
        try {
          next = await iterator.next();
        } catch (error) {
          bodyError = { error };
          throw error;
        }
        if (next.done) return;
        // Outside the try: an abort thrown in here by the stream (a failed part) is not the body's.
        yield next.value;
      }
    } finally {
      await iterator.return?.();
    }
  }
  try {
    const upload = new Upload({
      client,
      queueSize: STREAM_PARTS_IN_FLIGHT,
      partSize: STREAM_PART_BYTES,
      leavePartsOnError: false,
      params: {
        Bucket: params.bucket,
        Key: params.key,
        // objectMode: false makes Node hand lib-storage byte chunks, as it expects.
        Body: Readable.from(source(), { objectMode: false }),
        ...(params.contentType ? { ContentType: params.contentType } : {}),
        ...(params.contentDisposition ? { ContentDisposition: params.contentDisposition } : {}),
        ...(params.metadata ? { Metadata: params.metadata } : {}),
      },
    });
    await upload.done();
  } catch (error) {
    if (bodyError) throw (bodyError as { error: unknown }).error;
    throw s3Error(error, 'Upload', params.bucket, params.key);
  }
}
