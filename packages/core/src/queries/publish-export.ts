import { OwnerSchema } from '../domain/owner.js';
import { ValidationError } from '../errors.js';
import { EXPORT_KEY_PREFIX, type ExportArtifacts } from '../ports/export-artifacts.js';
import type { IdGenerator } from '../ports/id-generator.js';
import { EXPORT_FORMATS, type ExportFormat } from './export-format.js';
import { exportReceipts, type ExportReceiptsQuery } from './export-receipts.js';
import type { ReceiptQueryDeps } from './list-receipts.js';

/** How long the download URL of a published export stays valid: 15 minutes. */
export const EXPORT_URL_SECONDS = 900;

/** The media type and file extension of each export format. */
export const EXPORT_MEDIA: Record<ExportFormat, { contentType: string; extension: string }> = {
  csv: { contentType: 'text/csv; charset=utf-8', extension: 'csv' },
  jsonl: { contentType: 'application/x-ndjson', extension: 'jsonl' },
};

export interface PublishExportDeps extends ReceiptQueryDeps {
  artifacts: ExportArtifacts;
  ids: IdGenerator;
}

export interface PublishedExport {
  /** `exports/<owner>/<id>.<ext>` */
  key: string;
  bytes: number;
  /** A GET URL of the export, valid {@link EXPORT_URL_SECONDS}. */
  url: string;
  expires_at: string;
}

/**
 * Writes an export of `owner`'s receipts ({@link exportReceipts}: the same filters, CSV or JSON
 * Lines) to the export artifacts under `exports/<owner>/<id>.<ext>`, streamed page by page, and
 * returns a short-lived URL of it. A bad format or filter is a ValidationError naming it, thrown
 * before anything is written (the first page is read before the upload starts).
 *
 * @example
 * const { url } = await publishExport({ catalog, artifacts, ids }, 'alice', 'csv', { from: '2024-01-01' });
 * // HTTP: 303 See Other, location: url
 */
export async function publishExport(
  deps: PublishExportDeps,
  owner: string,
  format: ExportFormat,
  query: ExportReceiptsQuery = {},
): Promise<PublishedExport> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new ValidationError('invalid export', [
      `format: must be ${EXPORT_FORMATS.join(' or ')}, got "${String(format)}"`,
    ]);
  }
  if (!OwnerSchema.safeParse(owner).success) throw new ValidationError('invalid export', ['owner: is invalid']);
  const chunks = await startedExport(exportReceipts(deps, owner, format, query));
  const { contentType, extension } = EXPORT_MEDIA[format];
  const key = `${EXPORT_KEY_PREFIX}${owner}/${deps.ids.newId()}.${extension}`;
  const stored = await deps.artifacts.put(key, chunks, contentType);
  const download = await deps.artifacts.presignDownload(key, EXPORT_URL_SECONDS);
  return { key, bytes: stored.bytes, url: download.url, expires_at: download.expires_at };
}

/**
 * The export's chunks with the first one already pulled, so that a query the listing refuses
 * throws here (a 400 before anything is written or answered) and not from the middle of a write
 * or a response. The rest are pulled as the consumer asks.
 *
 * @example
 * const chunks = await startedExport(exportReceipts(deps, owner, 'csv', query)); // throws ValidationError for a bad `from`
 * for await (const chunk of chunks) response.write(chunk);
 */
export async function startedExport(source: AsyncIterable<string>): Promise<AsyncIterable<string>> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  return {
    async *[Symbol.asyncIterator]() {
      try {
        if (first.done) return;
        yield first.value;
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
      } finally {
        await iterator.return?.();
      }
    },
  };
}
