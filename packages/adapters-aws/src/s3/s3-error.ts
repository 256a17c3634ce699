import { NotFoundError, type ReceiptflowError } from '@receiptflow/core';
import { awsErrorName, mapAwsError } from '../errors.js';

const NOT_FOUND_NAMES = new Set(['NoSuchKey', 'NotFound']);

/** The HTTP status of an SDK error, when the service answered. */
export function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/**
 * An S3 SDK error as a core error: a missing key (`NoSuchKey`, `NotFound`, or a bare 404 other
 * than a missing bucket) is `NotFoundError`; anything else is mapped by `mapAwsError`, naming the
 * operation and the object.
 */
export function s3Error(error: unknown, operation: string, bucket: string, key: string): ReceiptflowError {
  const name = awsErrorName(error);
  const status = httpStatusOf(error);
  if ((name !== undefined && NOT_FOUND_NAMES.has(name)) || (status === 404 && name !== 'NoSuchBucket'))
    return new NotFoundError('object', key);
  return mapAwsError('s3', `${operation} s3://${bucket}/${key}`, error);
}
