import type { Logger, Metrics, SubmitJobDeps } from '@receiptflow/core';
import type { ApiKeyAuth } from '../http/api-key-auth.js';
import { createApiRouter, type ApiRoute } from '../http/router.js';
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

/**
 * The upload routes, each its own handler, every one for the caller's owner:
 * - `POST /upload-receipt` → {@link createUploadReceiptHandler} (the image is stored as the owner's)
 * - `POST /upload-complete` → {@link createUploadCompleteHandler}
 * - `GET /upload-status` → {@link createUploadStatusHandler}
 *
 * @example
 * const api = createApiRouter([...uploadRoutes(deps), ...receiptReadRoutes(read)], { auth, logger });
 */
export function uploadRoutes(deps: Omit<UploadApiDeps, 'auth' | 'metrics'>): ApiRoute[] {
  const uploadReceipt = createUploadReceiptHandler(deps);
  const uploadComplete = createUploadCompleteHandler(deps);
  const uploadStatus = createUploadStatusHandler(deps.status);
  return [
    { key: 'POST /upload-receipt', query: ['filename'], handle: ({ event, owner }) => uploadReceipt(event, owner) },
    { key: 'POST /upload-complete', query: [], handle: ({ event, owner }) => uploadComplete(event, owner) },
    { key: 'GET /upload-status', query: ['image_id'], handle: ({ event, owner }) => uploadStatus(event, owner) },
  ];
}

/**
 * The upload API (API Gateway HTTP API, payload v2): the upload routes behind the API router,
 * which checks the bearer key and its owner, maps errors, and counts 5xx answers as `Failures`.
 *
 * @example
 * const api = createUploadApi({ submit, status, auth: new ApiKeyAuth(keys), logger, metrics });
 * await api(event); // event.rawPath '/upload-status' → the status handler's answer
 */
export function createUploadApi(deps: UploadApiDeps) {
  return createApiRouter(uploadRoutes(deps), deps);
}
