import { noopMetrics, type Logger, type Metrics, type SubmitJobDeps } from '@receiptflow/core';
import type { ApiKeyAuth } from '../http/api-key-auth.js';
import { errorResult, header, type HttpApiEvent, type HttpApiResult } from '../http/api-gateway.js';
import { uploadErrorResult } from '../http/upload-request.js';
import { createUploadCompleteHandler } from './upload-complete-handler.js';
import { createUploadReceiptHandler } from './upload-receipt-handler.js';
import { createUploadStatusHandler, type UploadStatusDeps } from './upload-status-handler.js';

export { MAX_DIRECT_UPLOAD_BYTES } from './upload-receipt-handler.js';

export interface UploadApiDeps {
  submit: SubmitJobDeps;
  /** What `GET /upload-status` reads. */
  status: UploadStatusDeps;
  auth: ApiKeyAuth;
  logger: Logger;
  /** Counts `Failures`: requests answered 5xx. */
  metrics?: Metrics;
  maxDirectUploadBytes?: number;
  maxPixels?: number;
}

type RouteHandler = (event: HttpApiEvent) => Promise<HttpApiResult>;

/**
 * The upload API (API Gateway HTTP API, payload v2), one Lambda for its three routes, each its
 * own handler:
 * - `POST /upload-receipt` → {@link createUploadReceiptHandler}
 * - `POST /upload-complete` → {@link createUploadCompleteHandler}
 * - `GET /upload-status` → {@link createUploadStatusHandler}
 *
 * This checks the bearer key (the local server has no gateway authorizer in front), picks the
 * route, maps what it throws to an answer, and counts 5xx answers as `Failures`.
 *
 * @example
 * const api = createUploadApi({ submit, status, auth: new ApiKeyAuth(sha256s), logger, metrics });
 * await api(event); // event.rawPath '/upload-status' → the status handler's answer
 */
export function createUploadApi(deps: UploadApiDeps) {
  const metrics = deps.metrics ?? noopMetrics;
  const routes: Record<string, RouteHandler> = {
    'POST /upload-receipt': createUploadReceiptHandler(deps),
    'POST /upload-complete': createUploadCompleteHandler(deps),
    'GET /upload-status': createUploadStatusHandler(deps.status),
  };

  return async function uploadApi(event: HttpApiEvent): Promise<HttpApiResult> {
    if (!deps.auth.verify(header(event, 'authorization'))) {
      return errorResult(401, 'UNAUTHORIZED', 'missing or invalid bearer token');
    }
    const route = `${event.requestContext.http.method.toUpperCase()} ${event.rawPath}`;
    const handle = routes[route];
    metrics.count('Failures', 0);
    try {
      if (!handle) return errorResult(404, 'NOT_FOUND', `no route ${route}`);
      return await handle(event);
    } catch (error) {
      const result = uploadErrorResult(error, deps.logger);
      if (result.statusCode >= 500) metrics.count('Failures');
      return result;
    } finally {
      metrics.flush();
    }
  };
}
