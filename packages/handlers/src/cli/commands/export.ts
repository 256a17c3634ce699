import { once } from 'node:events';
import { EXPORT_FORMATS, type ExportFormat, UsageError } from '@receiptflow/core';
import { parseFlags } from '../args.js';
import { UploadApiClient } from '../http-client.js';
import { API_FLAGS } from '../receipts-api.js';

/**
 * `receipts export --format csv|jsonl [--url URL] [--token T] > FILE`: every receipt of the
 * owner, one row each (`GET /export`), copied to stdout as it arrives and at the pace stdout
 * takes it, so an export of 100k receipts never sits in this process's memory either.
 */
export async function exportCommand(argv: string[], sink: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = parseFlags(argv, { ...API_FLAGS, format: { type: 'string' } }, true);
  if (positionals.length > 0) throw new UsageError(`export takes no arguments, got "${positionals[0]}"`);
  const format = values.format;
  if (!isFormat(format)) {
    throw new UsageError(
      `--format must be ${EXPORT_FORMATS.join(' or ')}, got ${format === undefined ? 'nothing' : `"${format}"`}`,
    );
  }
  const body = await new UploadApiClient(values.url, values.token).stream(`/export?format=${format}`);
  for await (const chunk of body) {
    if (!sink.write(chunk)) await once(sink, 'drain');
  }
  return 0;
}

function isFormat(value: string | undefined): value is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(value ?? '');
}
