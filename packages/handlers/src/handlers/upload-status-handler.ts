import { getUploadStatus, type UploadStatusStores } from '@receiptflow/core';
import { errorResult, json, type HttpApiEvent, type HttpApiResult } from '../http/api-gateway.js';

/** The job-table stores the status route reads. */
export type UploadStatusDeps = UploadStatusStores;

/**
 * `GET /upload-status?image_id=`: the stage an upload reached (awaiting upload, OCR, receipts,
 * compacted), or 404 for an image that does not exist or is another owner's.
 *
 * @example
 * const uploadStatus = createUploadStatusHandler({ jobs, receipts, runs });
 * await uploadStatus(event, 'alice'); // { statusCode: 200, body: '{"stage":"compacted",…}' }
 */
export function createUploadStatusHandler(deps: UploadStatusDeps) {
  return async function uploadStatus(event: HttpApiEvent, owner: string): Promise<HttpApiResult> {
    const imageId = event.queryStringParameters?.image_id;
    if (!imageId) return errorResult(400, 'VALIDATION_FAILED', 'query parameter image_id is required');
    const result = await getUploadStatus(deps, imageId, owner);
    return result ? json(200, result) : errorResult(404, 'NOT_FOUND', `image not found: ${imageId}`);
  };
}
