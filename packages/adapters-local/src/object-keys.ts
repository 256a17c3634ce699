import { ValidationError } from '@receiptflow/core';

/**
 * Throws ValidationError unless `key` is a relative path of safe segments: no leading `/`, no
 * empty segment (`a//b`, trailing `/`), no `.` or `..`, no backslash or control character.
 * Both local image stores check every key with this, so a key can never escape the bucket's
 * directory and behaves the same in memory, on disk and on S3.
 */
export function assertSafeObjectKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new ValidationError('object key is empty');
  }
  if (key.length > 1024) {
    throw new ValidationError(`object key is ${key.length} characters, above S3's 1024`);
  }
  if (key.startsWith('/')) throw new ValidationError(`object key "${key}" is absolute`);
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(key)) {
    throw new ValidationError(`object key "${key}" contains a backslash or control character`);
  }
  for (const segment of key.split('/')) {
    if (segment === '') throw new ValidationError(`object key "${key}" has an empty segment`);
    if (segment === '.' || segment === '..') {
      throw new ValidationError(`object key "${key}" has a "${segment}" segment`);
    }
  }
}

/** S3 lists keys in UTF-8 byte order, which for our keys is plain code-unit order. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** S3 answers 416 for a range starting past the end; a range ending past it is clamped. */
export function assertByteRange(key: string, start: number, end: number, size: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start) {
    throw new ValidationError(`byte range ${start}-${end} of ${key} is invalid`);
  }
  if (start >= size) {
    throw new ValidationError(`byte range ${start}-${end} of ${key} starts past its ${size} bytes`);
  }
}
