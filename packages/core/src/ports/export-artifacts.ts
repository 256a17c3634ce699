import { ValidationError } from '../errors.js';
import type { PresignedDownload } from './image-store.js';

/** What {@link ExportArtifacts.put} stored. */
export interface StoredExport {
  key: string;
  /** UTF-8 bytes written. */
  bytes: number;
}

/**
 * Where a finished export is written for the owner to download, when the API cannot stream it
 * back itself (on AWS, API Gateway HTTP APIs buffer a Lambda's answer, 6 MB at most): the export
 * is written as an object, then the client is redirected to a short-lived GET URL of it.
 *
 * Promises (proved by `describeExportArtifactsContract`):
 * - `put` consumes the chunks as it writes them, never the whole export at once (on S3 one
 *   multipart part at a time), and the object appears only once every chunk is written: a
 *   chunk source that throws leaves no object (and no dangling upload) and rethrows its error;
 * - the object holds the chunks' UTF-8 bytes in order, with `contentType`, and `bytes` counts them;
 * - `presignDownload(key, seconds)` is a GET URL of the object valid `seconds` (1..3600);
 *   keys must be under `exports/` (ValidationError naming `key` otherwise).
 *
 * @example
 * const { key } = await artifacts.put('exports/alice/5f0c….csv', exportReceipts(deps, 'alice', 'csv'), 'text/csv; charset=utf-8');
 * const { url } = await artifacts.presignDownload(key, 900); // 303 location of GET /export on AWS
 */
export interface ExportArtifacts {
  put(key: string, chunks: AsyncIterable<string>, contentType: string): Promise<StoredExport>;
  presignDownload(key: string, expiresInSeconds: number): Promise<PresignedDownload>;
}

/** Every export object key starts with this (`exports/<owner>/<id>.<ext>`), so a lifecycle rule can expire them. */
export const EXPORT_KEY_PREFIX = 'exports/';
/** The longest an export URL may be signed for: an hour. */
export const MAX_EXPORT_URL_SECONDS = 3600;

/**
 * Checks an export object key: under {@link EXPORT_KEY_PREFIX}, segments of `A-Z a-z 0-9 . _ @ -`
 * with no empty, `.` or `..` segment. Every adapter checks before touching storage.
 *
 * @example
 * assertExportKey('exports/alice/5f0c.csv'); // ok
 * assertExportKey('raw/alice/x.png');        // ValidationError naming key
 */
export function assertExportKey(key: string): void {
  const segments = key.split('/');
  const ok =
    key.startsWith(EXPORT_KEY_PREFIX) &&
    key.length <= 1024 &&
    segments.length >= 3 &&
    segments.every((s) => /^[A-Za-z0-9._@-]+$/.test(s) && s !== '.' && s !== '..');
  if (!ok) {
    throw new ValidationError('invalid export key', [
      `key ${JSON.stringify(key.slice(0, 200))} is not exports/<owner>/<name> of letters, digits and . _ @ -`,
    ]);
  }
}

/** Checks a URL lifetime: an integer in 1..{@link MAX_EXPORT_URL_SECONDS}, else ValidationError naming expiresInSeconds. */
export function assertExportUrlSeconds(seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_EXPORT_URL_SECONDS) {
    throw new ValidationError('invalid export URL lifetime', [
      `expiresInSeconds ${seconds} is not an integer in 1..${MAX_EXPORT_URL_SECONDS}`,
    ]);
  }
}

/**
 * An export's text chunks as UTF-8 bytes, encoded one chunk at a time as the writer pulls them,
 * with the count of bytes so far: what every adapter's `put` streams and reports.
 *
 * @example
 * const body = utf8Chunks(chunks);
 * await objects.putStream(key, body.bytes, { contentType });
 * return { key, bytes: body.written() };
 */
export function utf8Chunks(chunks: AsyncIterable<string>): { bytes: AsyncIterable<Uint8Array>; written(): number } {
  let written = 0;
  const encoder = new TextEncoder();
  async function* bytes(): AsyncIterable<Uint8Array> {
    for await (const chunk of chunks) {
      const data = encoder.encode(chunk);
      written += data.length;
      yield data;
    }
  }
  return { bytes: bytes(), written: () => written };
}
