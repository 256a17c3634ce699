import { ValidationError } from '@receiptflow/core';

/** S3's limit on key length, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

/**
 * Checks an object key the way the ImageStore contract (and the local filesystem store) does:
 * a relative path of non-empty segments, none of them `.` or `..`, no backslashes or control
 * characters. Throws ValidationError naming the key and the rule.
 */
export function assertSafeKey(key: string): void {
  const problems: string[] = [];
  if (key.length === 0) problems.push('is empty');
  if (key.startsWith('/')) problems.push('is absolute');
  if (key.length > 0 && key.split('/').some((segment) => segment === '')) problems.push('has an empty segment');
  if (key.split('/').some((segment) => segment === '.' || segment === '..')) {
    problems.push('has a "." or ".." segment');
  }
  if (key.includes('\\')) problems.push('contains a backslash');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) problems.push('contains a control character');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) problems.push(`is longer than ${MAX_KEY_BYTES} bytes`);
  if (problems.length > 0) throw new ValidationError(`unsafe object key ${JSON.stringify(key)}`, problems);
}

/** A listing prefix may be empty or end in `/`, but must not escape upwards. */
export function assertSafePrefix(prefix: string): void {
  if (prefix === '') return;
  const problems: string[] = [];
  if (prefix.startsWith('/')) problems.push('is absolute');
  if (prefix.split('/').some((segment) => segment === '..' || segment === '.')) {
    problems.push('has a "." or ".." segment');
  }
  if (prefix.includes('//')) problems.push('has an empty segment');
  if (problems.length > 0) throw new ValidationError(`unsafe key prefix ${JSON.stringify(prefix)}`, problems);
}
