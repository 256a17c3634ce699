/**
 * S3 user metadata travels as HTTP headers: strings only (docs/lessons.md#lesson-19-non-string-s3-metadata: a number crashed uploads),
 * and only printable ASCII survives. Values are stringified, and non-ASCII ones are sent as
 * RFC 2047 encoded words, the form S3 itself uses when it returns non-ASCII metadata.
 */

const ENCODED_WORD = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=$/i;
const HEADER_SAFE = /^[\x20-\x7e]*$/;

/** The string a metadata value is stored as: strings as-is, numbers and booleans `String(v)`, the rest JSON. */
export function stringifyMetadataValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? String(value);
}

/**
 * Stringified, header-safe metadata for PutObject; keys lowercased as S3 returns them; null and
 * undefined values dropped (as the local stores do).
 */
export function encodeMetadata(metadata: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (value === null || value === undefined) continue;
    const text = stringifyMetadataValue(value);
    out[key.toLowerCase()] =
      HEADER_SAFE.test(text) && !ENCODED_WORD.test(text)
        ? text
        : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
  }
  return out;
}

/** The metadata as it was put: encoded words decoded back to their text. */
export function decodeMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata ?? {})) {
    const match = ENCODED_WORD.exec(value);
    out[key] = match ? Buffer.from(match[1] ?? '', 'base64').toString('utf8') : value;
  }
  return out;
}
