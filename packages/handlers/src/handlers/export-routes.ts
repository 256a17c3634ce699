import {
  EXPORT_FORMATS,
  EXPORT_MEDIA,
  exportReceipts,
  publishExport,
  startedExport,
  ValidationError,
  type ExportArtifacts,
  type ExportFormat,
  type IdGenerator,
  type ReceiptQueryDeps,
} from '@receiptflow/core';
import type { HttpApiResult } from '../http/api-gateway.js';
import type { ApiRoute } from '../http/router.js';
import { LIST_FILTER_PARAMS, listFilters } from './receipt-routes.js';

export interface ExportRouteDeps extends ReceiptQueryDeps {
  /**
   * Where exports are written when the answer cannot be streamed (AWS): the route then writes
   * the export there and answers 303 to a presigned GET. Absent (the local server): streamed.
   */
  publish?: { artifacts: ExportArtifacts; ids: IdGenerator };
}

/**
 * `GET /export?format=csv|jsonl` plus the listing filters (merchant, from, to, min, max, text):
 * every matching receipt of the owner, one row (or JSON line) each, newest first. Locally the
 * answer is streamed as the pages are read (`text/csv; charset=utf-8` or `application/x-ndjson`,
 * `content-disposition: attachment`); with `publish` (AWS) the export is written to the export
 * artifacts and the answer is `303 See Other` to a presigned GET valid 15 minutes. A missing or
 * unknown format, or a bad filter, is a 400 naming it, answered before anything is written.
 *
 * @example
 * createApiRouter(exportRoutes({ catalog }), { auth, logger });                                  // local: 200, streamed
 * createApiRouter(exportRoutes({ catalog, publish: { artifacts, ids } }), { auth, logger });     // AWS: 303 → S3
 */
export function exportRoutes(deps: ExportRouteDeps): ApiRoute[] {
  return [
    {
      key: 'GET /export',
      query: ['format', ...LIST_FILTER_PARAMS],
      handle: async ({ owner, query }): Promise<HttpApiResult> => {
        const format = formatParam(query.format);
        const filters = listFilters(query);
        if (deps.publish) {
          const published = await publishExport({ ...deps, ...deps.publish }, owner, format, filters);
          return {
            statusCode: 303,
            headers: { location: published.url, 'cache-control': 'no-store', 'content-type': 'application/json' },
            body: JSON.stringify({ url: published.url, expires_at: published.expires_at, bytes: published.bytes }),
          };
        }
        // The first page is read before answering: a bad filter is still a 400, not a broken 200.
        const chunks = await startedExport(exportReceipts(deps, owner, format, filters));
        const { contentType, extension } = EXPORT_MEDIA[format];
        return {
          statusCode: 200,
          headers: {
            'content-type': contentType,
            'content-disposition': `attachment; filename="receipts.${extension}"`,
            'cache-control': 'no-store',
          },
          body: '',
          bodyStream: chunks,
        };
      },
    },
  ];
}

function formatParam(raw: string | undefined): ExportFormat {
  if (raw === undefined) {
    throw new ValidationError('invalid export', [`format: required, one of ${EXPORT_FORMATS.join(', ')}`]);
  }
  if (!(EXPORT_FORMATS as readonly string[]).includes(raw)) {
    throw new ValidationError('invalid export', [
      `format ${JSON.stringify(raw.slice(0, 40))} is not one of ${EXPORT_FORMATS.join(', ')}`,
    ]);
  }
  return raw as ExportFormat;
}
